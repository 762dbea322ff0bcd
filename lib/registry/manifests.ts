import { createHash } from 'node:crypto';
import type { RegistryClient } from './client';
import { RegistryError } from './errors';

/**
 * Manifests and blobs. Every manifest request sends the four manifest types: distribution 2.8 answers 404
 * "OCI index found, but accept header does not support OCI indexes" to a client that forgets one, which a naive
 * client would report as a missing tag.
 */
export const MANIFEST_TYPES = {
	ociIndex: 'application/vnd.oci.image.index.v1+json',
	dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
	ociManifest: 'application/vnd.oci.image.manifest.v1+json',
	dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;

export const MANIFEST_ACCEPT = Object.values(MANIFEST_TYPES).join(', ');

export interface Descriptor {
	mediaType?: string;
	digest: string;
	size?: number;
	platform?: { os?: string; architecture?: string; variant?: string };
	annotations?: Record<string, string>;
}

export interface ImageManifest {
	schemaVersion?: number;
	mediaType?: string;
	config?: Descriptor;
	layers?: Descriptor[];
	manifests?: Descriptor[];
}

export interface FetchedManifest {
	digest: string;
	mediaType: string;
	size: number;
	manifest: ImageManifest;
}

export function sha256Of(bytes: Buffer): string {
	return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The digest algorithms of the OCI image spec, with their hex lengths; no other is fetched or trusted. */
const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

/** The algorithm of a well-formed digest (`sha256:` + 64 lower-case hex, sha384, sha512); throws otherwise. */
export function digestAlgorithm(digest: string): string {
	const [algorithm, hex] = digest.split(':');
	const length = DIGEST_HEX_LENGTH[algorithm];
	if (
		!length ||
		digest.split(':').length !== 2 ||
		!new RegExp(`^[a-f0-9]{${length}}$`).test(hex ?? '')
	) {
		throw new RegistryError(
			`Digest "${digest.slice(0, 140)}" is not a sha256, sha384 or sha512 digest (algorithm:lower-case hex of its length); not fetching it`,
			{ code: 'DIGEST_INVALID' },
		);
	}
	return algorithm;
}

/** True when `bytes` hash to `digest` under its own algorithm. */
function matchesDigest(bytes: Buffer, digest: string): boolean {
	const algorithm = digestAlgorithm(digest);
	return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}` === digest;
}

export function isIndex(mediaType: string | undefined): boolean {
	return mediaType === MANIFEST_TYPES.ociIndex || mediaType === MANIFEST_TYPES.dockerList;
}

function headerValue(value: string | string[] | undefined): string | undefined {
	return Array.isArray(value) ? value[0] : value;
}

function notFound(client: RegistryClient, repository: string, reference: string): RegistryError {
	const shown = reference.includes(':')
		? `${repository}@${reference}`
		: `${repository}:${reference}`;
	return new RegistryError(
		`Image ${shown} was not found on registry ${client.registry} (HTTP 404)`,
		{ statusCode: 404, code: 'MANIFEST_UNKNOWN' },
	);
}

/** The digest a tag points to: HEAD and Docker-Content-Digest, or GET and sha256 of the exact bytes. */
export async function resolveDigest(
	client: RegistryClient,
	repository: string,
	reference: string,
): Promise<{ digest: string; mediaType?: string }> {
	const res = await client.send('HEAD', `/v2/${repository}/manifests/${reference}`, {
		accept: MANIFEST_ACCEPT,
		scope: `repository:${repository}:pull`,
		allow: [404],
	});
	if (res.status === 404) throw notFound(client, repository, reference);
	const digest = headerValue(res.headers['docker-content-digest']);
	const mediaType = headerValue(res.headers['content-type'])?.split(';')[0].trim();
	if (digest && /^sha256:[a-f0-9]{64}$/.test(digest)) return { digest, mediaType };
	const fetched = await getManifest(client, repository, reference);
	return { digest: fetched.digest, mediaType: fetched.mediaType };
}

/** GETs a manifest; its digest is computed from the bytes (and must match when asked for by digest). */
export async function getManifest(
	client: RegistryClient,
	repository: string,
	reference: string,
): Promise<FetchedManifest> {
	const byDigest = reference.includes(':'); // a tag has no ':'
	if (byDigest) digestAlgorithm(reference);
	const res = await client.send('GET', `/v2/${repository}/manifests/${reference}`, {
		accept: MANIFEST_ACCEPT,
		scope: `repository:${repository}:pull`,
		allow: [404],
	});
	if (res.status === 404) throw notFound(client, repository, reference);
	const digest = byDigest && matchesDigest(res.body, reference) ? reference : sha256Of(res.body);
	if (byDigest && reference !== digest) {
		throw new RegistryError(
			`Manifest ${repository}@${reference} from registry ${client.registry} does not match its digest (got ${digest})`,
			{ code: 'DIGEST_MISMATCH' },
		);
	}
	let manifest: ImageManifest;
	try {
		manifest = JSON.parse(res.body.toString());
	} catch {
		throw new RegistryError(
			`Manifest ${repository}:${reference} from registry ${client.registry} is not JSON`,
		);
	}
	const mediaType =
		manifest.mediaType ?? headerValue(res.headers['content-type'])?.split(';')[0].trim() ?? '';
	return { digest, mediaType, size: res.body.length, manifest };
}

/** GETs a blob (following the redirect to storage most registries answer with) and checks its digest. */
export async function getBlob(
	client: RegistryClient,
	repository: string,
	digest: string,
	maxBytes = 16 * 1024 * 1024,
): Promise<Buffer> {
	digestAlgorithm(digest); // a malformed digest or another algorithm is never requested, so never trusted unchecked
	// The limit is applied while reading (a Content-Length over it is refused before reading at all).
	const res = await client.send('GET', `/v2/${repository}/blobs/${digest}`, {
		scope: `repository:${repository}:pull`,
		followRedirects: true,
		allow: [404],
		maxBytes,
	});
	if (res.status === 404)
		throw new RegistryError(
			`Blob ${repository}@${digest} was not found on registry ${client.registry} (HTTP 404)`,
			{ statusCode: 404, code: 'BLOB_UNKNOWN' },
		);
	if (!matchesDigest(res.body, digest)) {
		throw new RegistryError(
			`Blob ${repository}@${digest} from registry ${client.registry} does not match its digest`,
			{ code: 'DIGEST_MISMATCH' },
		);
	}
	return res.body;
}
