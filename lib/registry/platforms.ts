import type { Descriptor, ImageManifest } from './manifests';

/**
 * Platforms of an image index. BuildKit hangs attestation manifests in the same index (annotation
 * `vnd.docker.reference.type: attestation-manifest`, platform unknown/unknown): they are not platforms.
 */
export const ATTESTATION_REFERENCE_TYPE = 'attestation-manifest';

export function isAttestationEntry(entry: Descriptor): boolean {
	if (entry.annotations?.['vnd.docker.reference.type'] === ATTESTATION_REFERENCE_TYPE) return true;
	return entry.platform?.os === 'unknown' && entry.platform?.architecture === 'unknown';
}

export function formatPlatform(platform: {
	os?: string;
	architecture?: string;
	variant?: string;
}): string {
	return [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
}

export function platformsOfIndex(index: ImageManifest): string[] {
	return (index.manifests ?? [])
		.filter((m) => m.platform && !isAttestationEntry(m))
		.map((m) => formatPlatform(m.platform!));
}

/**
 * Whether `available` has `wanted` (os/arch[/variant]). A wanted platform without a variant matches any
 * variant of that os/arch (linux/arm64 matches linux/arm64/v8), as container runtimes do.
 */
export function hasPlatform(available: string[], wanted: string): boolean {
	const [os, arch, variant] = wanted.toLowerCase().split('/');
	return available.some((p) => {
		const [pOs, pArch, pVariant] = p.toLowerCase().split('/');
		return pOs === os && pArch === arch && (!variant || variant === pVariant);
	});
}
