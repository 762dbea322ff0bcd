import type { ValueType } from '../yaml/scalarStyle';

/** One changed value: where it is (1-based line of the original file) and what it was and became. */
export interface Change {
	file: string;
	line: number;
	old: string;
	new: string;
}

/** A file whose text an edit changed. */
export interface FileEdit {
	file: string;
	before: string;
	after: string;
}

/** A file an edit could not read as YAML; skipped and reported, never rewritten (Flux's "problem files"). */
export interface SkippedFile {
	file: string;
	reason: string;
}

export interface EditResult {
	files: FileEdit[];
	changes: Change[];
	skipped: SkippedFile[];
}

/** What to change, per mode of the Bump Git Manifest node. Paths are relative to the repository root. */
export type ManifestEdit =
	| {
			mode: 'imagePolicyMarkers';
			path: string;
			policies: Record<string, string>; /* "ns:name" -> image ref */
	  }
	| {
			mode: 'yamlPath';
			file: string;
			yamlPath: string;
			value: string;
			valueType?: ValueType;
			documentKind?: string;
			documentName?: string;
	  }
	| { mode: 'imageReference'; path: string; imageRepository: string; tag?: string; digest?: string }
	| {
			mode: 'helmChart';
			chartPath: string;
			valuesFile?: string;
			valuesPath: string;
			value: string;
			valueType?: ValueType;
			versionBump: 'patch' | 'minor' | 'major' | 'none';
	  };

declare const checked: unique symbol;

/** An edit checkEdit passed: paths normalised and in the repository, values checked, the Helm values file named. */
export type CheckedEdit = (
	| Exclude<ManifestEdit, { mode: 'helmChart' }>
	| (Extract<ManifestEdit, { mode: 'helmChart' }> & { valuesFile: string })
) & { readonly [checked]: true };

/** Folders (and files) an edit reads, so a sparse checkout can hold just those. '' = the whole tree. */
export function editScope(edit: ManifestEdit): string[] {
	switch (edit.mode) {
		case 'imagePolicyMarkers':
		case 'imageReference':
			return [edit.path];
		case 'yamlPath':
			return [edit.file];
		case 'helmChart':
			return [edit.chartPath];
	}
}
