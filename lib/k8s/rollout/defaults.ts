import type { SourceKind, WorkloadKind } from './rolloutState';

/** Defaults of a wait, shared with the node's parameters (failOnRolloutFailure is the node's: throw or output). */
export const ROLLOUT_DEFAULTS = {
	timeoutSeconds: 600,
	stuckAfterSeconds: 120,
	logTailLines: 50,
	source: 'fluxKustomization',
	sourceNamespace: 'flux-system',
	/** Of the release when the source is fluxHelmRelease. */
	helmReleaseNamespace: 'flux-system',
	/** Of a workload (the `kind` of each entry of Workloads). */
	kind: 'Deployment',
	failOnRolloutFailure: true,
} as const satisfies { source: SourceKind; kind: WorkloadKind; [key: string]: unknown };
