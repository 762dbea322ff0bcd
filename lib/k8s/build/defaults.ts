import type { IfExists } from './createJob';
import type { Attestation, BuilderMode, CacheMode } from './inputs';

/** Defaults of a build request, shared with the node's parameters. */
export const BUILD_DEFAULTS = {
	namespace: 'build-system',
	gitRevision: 'main',
	dockerfile: 'Dockerfile',
	serviceAccountName: 'buildkit-sa',
	registrySecretName: 'registry-credentials',
	memoryLimit: '2Gi',
	memoryRequest: '1Gi',
	ttlSecondsAfterFinished: 600,
	activeDeadlineSeconds: 3600,
	backoffLimit: 0,
	attestations: ['sbom', 'provenance'] as Attestation[],
	builderMode: 'rootless' as BuilderMode,
	cacheMode: 'max' as CacheMode,
	ifExists: 'fail' as IfExists,
} as const;
