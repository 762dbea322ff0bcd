import { Document } from 'yaml';
import { inputError } from '../errors';
import type { ValueType } from '../yaml/scalarStyle';
import { parseYamlPath, resolveScalar, ResolvedScalar } from '../yaml/yamlPath';
import { scalarText, YamlSource } from '../yaml/yamlSource';
import { loadYamlFile } from './loadYaml';
import type { Change, EditResult } from './types';

export interface DocumentSelector {
	kind?: string;
	name?: string;
}

function describeDocument(doc: Document.Parsed, index: number): string {
	const kind = doc.get('kind');
	const name = doc.getIn(['metadata', 'name']);
	return kind || name ? `${String(kind ?? '?')}/${String(name ?? '?')}` : `document ${index + 1}`;
}

function matches(doc: Document.Parsed, selector: DocumentSelector): boolean {
	if (selector.kind && String(doc.get('kind')) !== selector.kind) return false;
	if (selector.name && String(doc.getIn(['metadata', 'name'])) !== selector.name) return false;
	return true;
}

/**
 * The one scalar `yamlPath` names in a file. With several documents, the selector (kind and/or
 * metadata.name) picks the document; without one the path must exist in exactly one document.
 */
export function findPathTarget(
	source: YamlSource,
	file: string,
	yamlPath: string,
	selector: DocumentSelector = {},
): ResolvedScalar {
	const segments = parseYamlPath(yamlPath);
	const docs = source.documents.filter((doc) => doc.contents !== null);
	const selected =
		selector.kind || selector.name ? docs.filter((doc) => matches(doc, selector)) : docs;
	if (selected.length === 0) {
		const wanted = [
			selector.kind && `kind ${selector.kind}`,
			selector.name && `name ${selector.name}`,
		]
			.filter(Boolean)
			.join(' and ');
		throw inputError(
			`No document with ${wanted} in "${file}": it holds ${docs.map(describeDocument).join(', ') || 'no documents'}`,
			selector.kind ? 'documentKind' : 'documentName',
		);
	}
	const found = selected.map((doc) => ({ doc, target: resolveScalar(doc, segments) }));
	const hits = found.filter(
		(f): f is { doc: Document.Parsed; target: ResolvedScalar } => 'node' in f.target,
	);
	if (hits.length === 1) return hits[0].target;
	if (hits.length > 1) {
		throw inputError(
			`"${yamlPath}" exists in ${hits.length} documents of "${file}" (${hits.map((h) => describeDocument(h.doc, docs.indexOf(h.doc))).join(', ')}): set Document Kind and/or Document Name to pick one`,
			'documentKind',
		);
	}
	const reason = (found[0].target as { missing: string }).missing;
	throw inputError(`YAML path "${yamlPath}" not found in "${file}": ${reason}`, 'yamlPath');
}

/** Sets one scalar; the change is reported against the original line. */
export function setPath(
	source: YamlSource,
	file: string,
	yamlPath: string,
	value: string,
	selector?: DocumentSelector,
	valueType?: ValueType,
): Change | undefined {
	const target = findPathTarget(source, file, yamlPath, selector);
	const old = scalarText(target.node);
	if (!source.setScalar(target.node, value, target, valueType)) return undefined;
	return { file, line: source.lineOf(target.node.range![0]), old, new: value };
}

/** The `yamlPath` mode: one value in one file (e.g. a kpack Image's spec.source.git.revision). */
export async function yamlPathEdit(
	root: string,
	file: string,
	yamlPath: string,
	value: string,
	selector?: DocumentSelector,
	valueType?: ValueType,
): Promise<EditResult> {
	if (value === '') throw inputError('Value is empty: give the value to write', 'value');
	const source = await loadYamlFile(root, file, 'file');
	const change = setPath(source, file, yamlPath, value, selector, valueType);
	if (!change) return { files: [], changes: [], skipped: [] };
	return {
		files: [{ file, before: source.text, after: source.toString() }],
		changes: [change],
		skipped: [],
	};
}
