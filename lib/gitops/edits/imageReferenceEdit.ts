import { basename } from 'node:path';
import { Document, isMap, isScalar, isSeq, YAMLMap } from 'yaml';
import { formatImageRef, parseImageRef } from '../../imageReference/fluxImageRef';
import { inputError } from '../errors';
import { walkScalars } from '../yaml/scalarWalk';
import { scalarText, YamlSource } from '../yaml/yamlSource';
import { isTreeDirectory, listManifestFiles, readTreeFile } from './manifestTree';
import type { Change, EditResult } from './types';

export interface ImageUpdate {
	imageRepository: string;
	tag?: string;
	digest?: string;
}

/** The new `image:` value: the given tag and/or digest; a new tag without a digest drops the old (now stale) digest. */
export function updatedImage(current: string, update: ImageUpdate): string | undefined {
	const ref = parseImageRef(current);
	if (ref.name !== update.imageRepository) return undefined;
	return formatImageRef({
		name: ref.name,
		tag: update.tag ?? ref.tag,
		digest: update.digest ?? (update.tag !== undefined ? undefined : ref.digest),
	});
}

function isKustomization(file: string, doc: Document.Parsed): boolean {
	return (
		doc.get('kind') === 'Kustomization' ||
		/^(kustomization\.ya?ml|Kustomization)$/.test(basename(file))
	);
}

/** kustomize `images:` entries for the repository (matched on name or newName), with the fields to set. */
function editKustomizeImages(
	source: YamlSource,
	file: string,
	doc: Document.Parsed,
	update: ImageUpdate,
	changes: Change[],
): number {
	const images = doc.get('images', true);
	if (!isSeq(images)) return 0;
	let matched = 0;
	for (const entry of images.items) {
		if (!isMap(entry)) continue;
		const map = entry as YAMLMap;
		if (map.get('name') !== update.imageRepository && map.get('newName') !== update.imageRepository)
			continue;
		matched++;
		const fields: Array<[string, string | undefined]> = [
			['newTag', update.tag],
			['digest', update.digest],
		];
		for (const [key, value] of fields) {
			if (value === undefined) continue;
			const node = map.get(key, true);
			if (!isScalar(node)) {
				throw inputError(
					`The images[] entry "${String(map.get('name'))}" in "${file}" has no ${key}: add "${key}:" to it once`,
					'imageRepository',
				);
			}
			const old = scalarText(node);
			if (source.setScalar(node, value, { inFlow: Boolean(map.flow), afterKey: true })) {
				changes.push({ file, line: source.lineOf(node.range![0]), old, new: value });
			}
		}
	}
	return matched;
}

/**
 * The `imageReference` mode: every `image:` value whose repository is `imageRepository`, and kustomize
 * `images[]` entries for it, in the manifest files under `path`. Unparseable files are skipped and reported.
 */
export async function imageReferenceEdit(
	root: string,
	path: string,
	update: ImageUpdate,
): Promise<EditResult> {
	if (!update.imageRepository)
		throw inputError(
			'Image Repository is empty: give the repository part of the image, e.g. registry.local/webapp/app',
			'imageRepository',
		);
	if (update.tag === undefined && update.digest === undefined)
		throw inputError('Give a Tag, a Digest or both', 'tag');
	if (!(await isTreeDirectory(root, path)))
		throw inputError(`Folder "${path}" does not exist in the repository`, 'path');
	const result: EditResult = { files: [], changes: [], skipped: [] };
	let matched = 0;
	for (const file of await listManifestFiles(root, path)) {
		const text = await readTreeFile(root, file);
		if (text === undefined || !text.includes(update.imageRepository)) continue;
		const source = new YamlSource(text);
		if (source.error) {
			result.skipped.push({ file, reason: source.error });
			continue;
		}
		const changes: Change[] = [];
		for (const doc of source.documents) {
			walkScalars(doc.contents, (site) => {
				if (site.key !== 'image' || typeof site.node.value !== 'string') return;
				const next = updatedImage(site.node.value, update);
				if (next === undefined) return;
				matched++;
				const old = scalarText(site.node);
				if (source.setScalar(site.node, next, site))
					changes.push({ file, line: source.lineOf(site.node.range![0]), old, new: next });
			});
			if (isKustomization(file, doc))
				matched += editKustomizeImages(source, file, doc, update, changes);
		}
		if (changes.length > 0) {
			result.files.push({ file, before: text, after: source.toString() });
			result.changes.push(...changes.sort((a, b) => a.line - b.line));
		}
	}
	if (matched === 0) {
		throw inputError(
			`No image: value or kustomize images[] entry for "${update.imageRepository}" under "${path || '/'}"`,
			'imageRepository',
			result.skipped.length > 0
				? `Skipped (not parseable): ${result.skipped.map((s) => s.file).join(', ')}`
				: undefined,
		);
	}
	return result;
}
