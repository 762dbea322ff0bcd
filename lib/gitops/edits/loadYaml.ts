import { inputError } from '../errors';
import { YamlSource } from '../yaml/yamlSource';
import { isManifestFileName, readTreeFile } from './manifestTree';

/** A named file of the work tree, parsed for surgical edits; each way it can be unusable is its own error. */
export async function loadYamlFile(root: string, file: string, field: string): Promise<YamlSource> {
	if (!isManifestFileName(file)) {
		throw inputError(
			`"${file}" is not a YAML file: name a .yaml or .yml file (or Kustomization)`,
			field,
		);
	}
	const text = await readTreeFile(root, file);
	if (text === undefined)
		throw inputError(`File "${file}" does not exist in the repository`, field);
	const source = new YamlSource(text);
	if (source.error)
		throw inputError(
			`"${file}" cannot be parsed as YAML (${source.error}); it was left unchanged`,
			field,
		);
	return source;
}
