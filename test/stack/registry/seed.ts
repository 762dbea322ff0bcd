import { buildTestImage, type ProvenanceSource } from './ociImage';
import { inParallel, PushSession } from './pushClient';

/** Seeding helpers: push a small valid image (built in memory) under some tags, then add tags cheaply. */

export interface PushTestImageOptions {
	registry: string;
	repository: string;
	tags: string[];
	username?: string;
	password?: string;
	platforms?: string[];
	attestations?: false | { sbom: boolean; provenance: false | ProvenanceSource };
	seed?: string;
}

export async function pushTestImage(opts: PushTestImageOptions): Promise<{ digest: string }> {
	if (opts.tags.length === 0) throw new Error('pushTestImage needs at least one tag');
	const image = buildTestImage({
		repository: `${opts.registry}/${opts.repository}`,
		platforms: opts.platforms ?? ['linux/amd64', 'linux/arm64'],
		seed: opts.seed ?? opts.tags[0],
		attestations: opts.attestations ?? false,
	});
	const session = new PushSession(opts);
	try {
		// Blobs before the manifests that name them, children before the index (the registry checks both).
		await inParallel(image.blobs, 4, (blob) => session.pushBlob(blob));
		await inParallel(image.manifests, 4, (m) =>
			session.putManifest(m.digest, m.mediaType, m.bytes),
		);
		await inParallel(opts.tags, 8, (tag) =>
			session.putManifest(tag, image.top.mediaType, image.top.bytes),
		);
	} finally {
		await session.close();
	}
	return { digest: image.top.digest };
}

/** PUTs the manifest `fromTag` points to under every tag in `tags` (keep-alive, 8 in flight). */
export async function pushTags(opts: {
	registry: string;
	repository: string;
	fromTag: string;
	tags: string[];
	username?: string;
	password?: string;
}): Promise<void> {
	const session = new PushSession(opts);
	try {
		const manifest = await session.getManifest(opts.fromTag);
		await inParallel(opts.tags, 8, (tag) =>
			session.putManifest(tag, manifest.mediaType, manifest.bytes),
		);
	} finally {
		await session.close();
	}
}
