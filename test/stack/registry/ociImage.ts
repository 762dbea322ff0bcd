import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

/**
 * Builds small but valid OCI images in memory (no Docker, no tar binary): one gzip layer with a single file,
 * an image config whose diff_ids match the layer, a manifest per platform, and optionally an image index
 * carrying attestation manifests shaped like the ones BuildKit writes with `attest:sbom` / `attest:provenance`.
 */

export const MEDIA = {
	ociIndex: 'application/vnd.oci.image.index.v1+json',
	ociManifest: 'application/vnd.oci.image.manifest.v1+json',
	ociConfig: 'application/vnd.oci.image.config.v1+json',
	ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
	inToto: 'application/vnd.in-toto+json',
} as const;

export const PREDICATE = {
	spdx: 'https://spdx.dev/Document',
	slsaProvenance02: 'https://slsa.dev/provenance/v0.2',
} as const;

export interface Blob {
	mediaType: string;
	digest: string;
	size: number;
	bytes: Buffer;
}

export interface Descriptor {
	mediaType: string;
	digest: string;
	size: number;
	platform?: { os: string; architecture: string; variant?: string };
	annotations?: Record<string, string>;
}

export interface ProvenanceSource {
	sourceRepository: string;
	revision: string;
}

export interface AttestationRequest {
	sbom: boolean;
	provenance: false | ProvenanceSource;
}

/** Everything a push needs: the blobs, the child manifests, and the top manifest the tags point to. */
export interface BuiltImage {
	blobs: Blob[];
	manifests: Blob[];
	top: Blob;
}

export function sha256Digest(bytes: Buffer): string {
	return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function blobOf(mediaType: string, bytes: Buffer): Blob {
	return { mediaType, digest: sha256Digest(bytes), size: bytes.length, bytes };
}

function jsonBlob(mediaType: string, value: unknown): Blob {
	return blobOf(mediaType, Buffer.from(JSON.stringify(value)));
}

function descriptorOf(blob: Blob, extra: Partial<Descriptor> = {}): Descriptor {
	return { mediaType: blob.mediaType, digest: blob.digest, size: blob.size, ...extra };
}

/** A one-file POSIX ustar archive; enough for a registry and for skopeo, which never unpack it here. */
export function tarWithOneFile(name: string, content: Buffer): Buffer {
	const header = Buffer.alloc(512, 0);
	const octal = (value: number, width: number) => value.toString(8).padStart(width - 1, '0') + '\0';
	header.write(name, 0, 100, 'utf8');
	header.write(octal(0o644, 8), 100, 'ascii');
	header.write(octal(0, 8), 108, 'ascii');
	header.write(octal(0, 8), 116, 'ascii');
	header.write(octal(content.length, 12), 124, 'ascii');
	header.write(octal(0, 12), 136, 'ascii');
	header.write('        ', 148, 'ascii');
	header.write('0', 156, 'ascii');
	header.write('ustar\u000000', 257, 'ascii');
	let checksum = 0;
	for (const byte of header) checksum += byte;
	header.write(octal(checksum, 7) + ' ', 148, 'ascii');
	const padding = Buffer.alloc((512 - (content.length % 512)) % 512, 0);
	return Buffer.concat([header, content, padding, Buffer.alloc(1024, 0)]);
}

export function parsePlatform(text: string): {
	os: string;
	architecture: string;
	variant?: string;
} {
	const [os, architecture, variant] = text.split('/');
	if (!os || !architecture) throw new Error(`platform "${text}" is not os/arch[/variant]`);
	return variant ? { os, architecture, variant } : { os, architecture };
}

function platformImage(platform: string, seed: string): { blobs: Blob[]; manifest: Blob } {
	const p = parsePlatform(platform);
	const tar = tarWithOneFile('hello.txt', Buffer.from(`hello from ${seed} on ${platform}\n`));
	const layer = blobOf(MEDIA.ociLayerGzip, gzipSync(tar, { level: 9 }));
	const config = jsonBlob(MEDIA.ociConfig, {
		created: '2024-01-01T00:00:00Z',
		architecture: p.architecture,
		os: p.os,
		...(p.variant ? { variant: p.variant } : {}),
		config: {
			Cmd: ['/hello.txt'],
			Labels: { 'org.opencontainers.image.description': `test image ${seed}` },
		},
		rootfs: { type: 'layers', diff_ids: [sha256Digest(tar)] },
		history: [{ created: '2024-01-01T00:00:00Z', created_by: 'test/stack/registry' }],
	});
	const manifest = jsonBlob(MEDIA.ociManifest, {
		schemaVersion: 2,
		mediaType: MEDIA.ociManifest,
		config: descriptorOf(config),
		layers: [descriptorOf(layer)],
	});
	return { blobs: [layer, config], manifest };
}

function inTotoStatement(
	predicateType: string,
	subject: { name: string; digest: string },
	predicate: unknown,
): Buffer {
	return Buffer.from(
		JSON.stringify({
			_type: 'https://in-toto.io/Statement/v0.1',
			predicateType,
			subject: [{ name: subject.name, digest: { sha256: subject.digest.replace(/^sha256:/, '') } }],
			predicate,
		}),
	);
}

function spdxDocument(seed: string, platform: string): unknown {
	return {
		spdxVersion: 'SPDX-2.3',
		dataLicense: 'CC0-1.0',
		SPDXID: 'SPDXRef-DOCUMENT',
		name: `sbom-${seed}`,
		documentNamespace: `https://buildkit.test/sbom/${seed}/${platform}`,
		creationInfo: { created: '2024-01-01T00:00:00Z', creators: ['Tool: test-stack-sbom'] },
		packages: [
			{
				name: 'hello',
				SPDXID: 'SPDXRef-Package-hello',
				versionInfo: seed,
				downloadLocation: 'NOASSERTION',
			},
		],
	};
}

/**
 * SLSA v0.2 provenance the way BuildKit (mode=max) records a build from a git context: the source in
 * `invocation.configSource` (uri + sha1 digest of the commit) and in BuildKit's own metadata `vcs` block.
 */
function slsaProvenance(source: ProvenanceSource, platform: string): unknown {
	return {
		builder: { id: '' },
		buildType: 'https://mobyproject.org/buildkit@v1',
		materials: [{ uri: 'pkg:docker/docker/dockerfile@1', digest: { sha256: '0'.repeat(64) } }],
		invocation: {
			configSource: {
				uri: source.sourceRepository,
				digest: { sha1: source.revision },
				entryPoint: 'Dockerfile',
			},
			parameters: {
				frontend: 'dockerfile.v0',
				args: {},
				locals: [{ name: 'context' }, { name: 'dockerfile' }],
			},
			environment: { platform },
		},
		metadata: {
			buildInvocationID: createHash('sha256')
				.update(`${source.revision}${platform}`)
				.digest('hex')
				.slice(0, 26),
			buildStartedOn: '2024-01-01T00:00:00Z',
			buildFinishedOn: '2024-01-01T00:00:10Z',
			completeness: { parameters: true, environment: true, materials: false },
			reproducible: false,
			'https://mobyproject.org/buildkit@v1#metadata': {
				vcs: { source: source.sourceRepository, revision: source.revision },
			},
		},
	};
}

function attestationManifest(
	image: Blob,
	platform: string,
	repository: string,
	seed: string,
	request: AttestationRequest,
): { blobs: Blob[]; manifest: Blob } {
	const subject = {
		name: `pkg:docker/${repository}?platform=${encodeURIComponent(platform)}`,
		digest: image.digest,
	};
	const statements: Array<{ predicateType: string; blob: Blob }> = [];
	if (request.sbom) {
		statements.push({
			predicateType: PREDICATE.spdx,
			blob: blobOf(
				MEDIA.inToto,
				inTotoStatement(PREDICATE.spdx, subject, spdxDocument(seed, platform)),
			),
		});
	}
	if (request.provenance) {
		const predicate = slsaProvenance(request.provenance, platform);
		statements.push({
			predicateType: PREDICATE.slsaProvenance02,
			blob: blobOf(MEDIA.inToto, inTotoStatement(PREDICATE.slsaProvenance02, subject, predicate)),
		});
	}
	const config = jsonBlob(MEDIA.ociConfig, {
		architecture: 'unknown',
		os: 'unknown',
		config: {},
		rootfs: { type: 'layers', diff_ids: statements.map((s) => s.blob.digest) },
	});
	const manifest = jsonBlob(MEDIA.ociManifest, {
		schemaVersion: 2,
		mediaType: MEDIA.ociManifest,
		config: descriptorOf(config),
		layers: statements.map((s) =>
			descriptorOf(s.blob, { annotations: { 'in-toto.io/predicate-type': s.predicateType } }),
		),
	});
	return { blobs: [config, ...statements.map((s) => s.blob)], manifest };
}

/**
 * One platform and no attestations gives a plain image manifest; anything else gives an OCI index, as
 * BuildKit does (attestations always need an index to hang from).
 */
export function buildTestImage(opts: {
	repository: string;
	platforms: string[];
	seed: string;
	attestations: false | AttestationRequest;
}): BuiltImage {
	const { repository, platforms, seed, attestations } = opts;
	if (platforms.length === 0) throw new Error('at least one platform is needed');
	const images = platforms.map((platform) => ({ platform, ...platformImage(platform, seed) }));
	const wantsAttestations = attestations && (attestations.sbom || attestations.provenance);
	if (images.length === 1 && !wantsAttestations) {
		return { blobs: images[0].blobs, manifests: [], top: images[0].manifest };
	}
	const blobs = images.flatMap((i) => i.blobs);
	const manifests = images.map((i) => i.manifest);
	const entries: Descriptor[] = images.map((i) =>
		descriptorOf(i.manifest, { platform: parsePlatform(i.platform) }),
	);
	if (wantsAttestations) {
		for (const image of images) {
			const att = attestationManifest(
				image.manifest,
				image.platform,
				repository,
				seed,
				attestations,
			);
			blobs.push(...att.blobs);
			manifests.push(att.manifest);
			entries.push(
				descriptorOf(att.manifest, {
					annotations: {
						'vnd.docker.reference.digest': image.manifest.digest,
						'vnd.docker.reference.type': 'attestation-manifest',
					},
					platform: { architecture: 'unknown', os: 'unknown' },
				}),
			);
		}
	}
	const top = jsonBlob(MEDIA.ociIndex, {
		schemaVersion: 2,
		mediaType: MEDIA.ociIndex,
		manifests: entries,
	});
	return { blobs, manifests, top };
}
