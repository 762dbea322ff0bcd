import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import type { RegistryTarget } from '../types';

/**
 * The "push" half of a simulated BuildKit run: one pushTestImage call per repository named in the Job's
 * `buildkit.n8n.io/images` annotation, with BuildKit-shaped attestations when asked. The push function comes
 * from test/stack/registry (loaded lazily, as it is written in parallel) or from the configured module.
 */
export interface ImageRef {
	registry: string;
	repository: string;
	tag?: string;
	digest?: string;
}

export function parseImageRef(ref: string): ImageRef {
	let rest = ref.trim();
	let digest: string | undefined;
	const at = rest.indexOf('@');
	if (at >= 0) [rest, digest] = [rest.slice(0, at), rest.slice(at + 1)];
	const slash = rest.indexOf('/');
	const first = slash >= 0 ? rest.slice(0, slash) : '';
	const hasRegistry =
		slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
	const registry = hasRegistry ? first : 'docker.io';
	let path = hasRegistry ? rest.slice(slash + 1) : rest;
	let tag: string | undefined;
	const colon = path.lastIndexOf(':');
	if (colon >= 0) [path, tag] = [path.slice(0, colon), path.slice(colon + 1)];
	if (!hasRegistry && !path.includes('/')) path = `library/${path}`;
	return { registry, repository: path, tag: tag ?? (digest ? undefined : 'latest'), digest };
}

type PushFn = (opts: {
	registry: string;
	repository: string;
	tags: string[];
	username?: string;
	password?: string;
	attestations?:
		false | { sbom: boolean; provenance: false | { sourceRepository: string; revision: string } };
	seed?: string;
}) => Promise<{ digest: string }>;

let loaded: { path: string; fn: PushFn } | undefined;

function pushFunction(modulePath: string | undefined): PushFn {
	const path = modulePath ?? resolve(__dirname, '../../registry');
	if (loaded?.path !== path) {
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		const mod = require(path);
		if (typeof mod.pushTestImage !== 'function')
			throw new Error(`${path} does not export pushTestImage`);
		loaded = { path, fn: mod.pushTestImage };
	}
	return loaded.fn;
}

const FULL_SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** The commit BuildKit would record: the revision itself when it is a full SHA, else what the remote resolves it to. */
export async function resolveRevision(gitUrl: string, revision: string): Promise<string> {
	if (FULL_SHA.test(revision)) return revision;
	try {
		const { stdout } = await promisify(execFile)(
			'git',
			['ls-remote', '--', gitUrl, revision || 'HEAD'],
			{
				timeout: 5000,
				env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
			},
		);
		const sha = stdout.split(/\s/)[0];
		return FULL_SHA.test(sha) ? sha : revision;
	} catch {
		return revision;
	}
}

export interface PushRequest {
	refs: string[];
	seed: string;
	attestations:
		false | { sbom: boolean; provenance: boolean; sourceRepository: string; revision: string };
	registry?: RegistryTarget;
	pushModule?: string;
}

/**
 * Pushes to every ref and returns the digest of the primary (first) one. Without a configured registry nothing
 * is pushed and the digest is derived from the seed, so Jobs still "succeed" in tests that need no registry.
 */
export async function pushImages(req: PushRequest): Promise<string> {
	if (!req.registry || req.refs.length === 0)
		return `sha256:${createHash('sha256').update(req.seed).digest('hex')}`;
	const push = pushFunction(req.pushModule);
	const byRepo = new Map<string, { ref: ImageRef; tags: string[] }>();
	for (const raw of req.refs) {
		const ref = parseImageRef(raw);
		const key = `${ref.registry}/${ref.repository}`;
		const entry = byRepo.get(key) ?? { ref, tags: [] };
		if (ref.tag) entry.tags.push(ref.tag);
		byRepo.set(key, entry);
	}
	const a = req.attestations;
	const attestations = a
		? {
				sbom: a.sbom,
				provenance: a.provenance
					? { sourceRepository: a.sourceRepository, revision: a.revision }
					: (false as const),
			}
		: (false as const);
	let primary: string | undefined;
	for (const { ref, tags } of byRepo.values()) {
		const creds =
			ref.registry === req.registry.host
				? { username: req.registry.username, password: req.registry.password }
				: {};
		const { digest } = await push({
			registry: ref.registry,
			repository: ref.repository,
			tags,
			...creds,
			attestations,
			seed: req.seed,
		});
		primary ??= digest;
	}
	return primary!;
}
