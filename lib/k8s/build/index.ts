// Create BuildKit Job engine: checks the node's parameters (inputs), renders the Job (manifest, buildctlArgs,
// scripts), names it (jobName) and creates it through the Kubernetes API (createJob).
export {
	BUILDKIT_VERSION,
	DEFAULT_PRIVILEGED_IMAGE,
	DEFAULT_ROOTLESS_IMAGE,
	validateBuildJobInput,
	type Attestation,
	type BuilderMode,
	type BuildJobInput,
	type BuildPlan,
	type CacheMode,
} from './inputs';
export { BUILD_DEFAULTS } from './defaults';
export { ANNOTATIONS, LABELS, buildJobManifest } from './manifest';
export { jobNameFor } from './jobName';
export {
	createBuildKitJob,
	KubernetesRequestError,
	type CreateBuildKitJobOptions,
	type CreateBuildKitJobResult,
	type IfExists,
} from './createJob';
