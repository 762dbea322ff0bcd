import { formatImageRef, ImageRef, parseImageRef } from '../../imageReference/fluxImageRef';
import { inputError } from '../errors';
import { scalarText, YamlSource } from '../yaml/yamlSource';
import { walkScalars } from '../yaml/scalarWalk';
import { isTreeDirectory, listManifestFiles, readTreeFile } from './manifestTree';
import type { Change, EditResult } from './types';

const MARKER_KEY = '$imagepolicy';

/**
 * The setter name in a Flux marker comment, e.g. `flux-system:app:tag`. Like Flux, the comment (leading `#`s
 * removed) must be a JSON object of strings with a non-empty "$imagepolicy"; anything else is no marker.
 */
export function parseMarker(comment: string | undefined): string | undefined {
	if (!comment) return undefined;
	let parsed: unknown;
	try {
		parsed = JSON.parse(comment.replace(/^#+/, '').trim());
	} catch {
		return undefined;
	}
	if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
	if (!Object.values(parsed).every((v) => typeof v === 'string')) return undefined;
	const setter = (parsed as Record<string, string>)[MARKER_KEY];
	return setter ? setter : undefined;
}

/** `ns:name` → the policy; the optional third part picks what is written: tag, name or digest. */
export function splitSetter(setter: string): {
	policy: string;
	field?: 'tag' | 'name' | 'digest' | string;
} {
	const parts = setter.split(':');
	return parts.length > 2
		? { policy: parts.slice(0, 2).join(':'), field: parts.slice(2).join(':') }
		: { policy: setter };
}

function setterValue(setter: string, policies: Map<string, ImageRef>): string | undefined {
	const { policy, field } = splitSetter(setter);
	const ref = policies.get(policy);
	if (!ref) return undefined;
	switch (field) {
		case undefined:
			return formatImageRef(ref);
		case 'tag':
			return ref.tag;
		case 'name':
			return ref.name;
		case 'digest':
			return ref.digest;
		default:
			return undefined; // unknown setter suffix: Flux has no such setter, so nothing changes
	}
}

export interface MarkerFileResult {
	after: string;
	changes: Change[];
	/** Policies (`ns:name`) named by markers in the file, whether or not they were set. */
	markers: string[];
	error?: string;
}

/** Applies Flux setters to one file's text. Pure: the same input always gives the same output. */
export function applyImagePolicyMarkers(
	file: string,
	text: string,
	policies: Map<string, ImageRef>,
): MarkerFileResult {
	const source = new YamlSource(text);
	const error = source.error;
	if (error) return { after: text, changes: [], markers: [], error };
	const changes: Change[] = [];
	const markers = new Set<string>();
	for (const doc of source.documents) {
		walkScalars(doc.contents, (site) => {
			const setter = parseMarker(site.lineComment) ?? parseMarker(site.headComment);
			if (!setter) return;
			markers.add(splitSetter(setter).policy);
			const value = setterValue(setter, policies);
			if (value === undefined) return;
			const old = scalarText(site.node);
			if (source.setScalar(site.node, value, site))
				changes.push({ file, line: source.lineOf(site.node.range![0]), old, new: value });
		});
	}
	return { after: source.toString(), changes, markers: [...markers] };
}

/**
 * The `imagePolicyMarkers` mode over a folder: every manifest file that mentions "$imagepolicy" (the cheap
 * screen Flux uses, which also skips Helm templates); unparseable files are skipped and reported.
 * `requirePolicies` makes a folder without any marker for those policies an error that names what was found.
 */
export async function imagePolicyMarkerEdit(
	root: string,
	path: string,
	policyRefs: Record<string, string>,
	requirePolicies = false,
): Promise<EditResult> {
	if (!(await isTreeDirectory(root, path)))
		throw inputError(`Folder "${path}" does not exist in the repository`, 'path');
	const policies = new Map(
		Object.entries(policyRefs).map(([name, ref]) => [name, parseImageRef(ref)]),
	);
	const result: EditResult = { files: [], changes: [], skipped: [] };
	const seen = new Set<string>();
	for (const file of await listManifestFiles(root, path)) {
		const text = await readTreeFile(root, file);
		if (text === undefined || !text.includes(`"${MARKER_KEY}"`)) continue;
		const outcome = applyImagePolicyMarkers(file, text, policies);
		if (outcome.error) {
			result.skipped.push({ file, reason: outcome.error });
			continue;
		}
		outcome.markers.forEach((m) => seen.add(m));
		if (outcome.changes.length > 0) {
			result.files.push({ file, before: text, after: outcome.after });
			result.changes.push(...outcome.changes);
		}
	}
	const missing = Object.keys(policyRefs).filter((p) => !seen.has(p));
	if (requirePolicies && missing.length > 0) {
		const others = [...seen].sort();
		throw inputError(
			`No {"$imagepolicy": "${missing[0]}"} marker under "${path || '/'}"` +
				(others.length > 0
					? `: the markers there are for ${others.map((o) => `"${o}"`).join(', ')}`
					: ': no image policy markers were found'),
			'policyName',
			result.skipped.length > 0
				? `Skipped (not parseable): ${result.skipped.map((s) => `${s.file} (${s.reason})`).join('; ')}`
				: undefined,
		);
	}
	return result;
}
