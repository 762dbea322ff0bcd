/**
 * Pure reading of the objects Wait for Rollout watches: has the GitOps source applied the commit (or failed to,
 * or applied another one first), and has each workload rolled out the image it must run. The field meanings
 * are those of kustomize-controller api/v1 (status.lastAppliedRevision / lastAttemptedRevision
 * `<branch>@sha1:<sha>`, the Ready condition), helm-controller api/v2 (status.observedGeneration, the Ready and
 * Stalled conditions), argo-cd v1alpha1 (status.sync, status.health, status.operationState) and apps/v1
 * (observedGeneration, replica counts, the Progressing condition).
 */
export type SourceKind = 'fluxKustomization' | 'fluxHelmRelease' | 'argoApplication' | 'none';

interface ResourceType {
	group: string;
	version: string;
	plural: string;
	label: string;
}
const FLUX_KUSTOMIZATION: ResourceType = {
	group: 'kustomize.toolkit.fluxcd.io',
	version: 'v1',
	plural: 'kustomizations',
	label: 'Flux Kustomization',
};

/**
 * The type of the object Source Namespace/Name names. A HelmRelease lives in the GitOps repository, so with
 * fluxHelmRelease that is the Kustomization applying the commit; the release itself is HELM_RELEASE.
 */
export const SOURCE_TYPES: Record<Exclude<SourceKind, 'none'>, ResourceType> = {
	fluxKustomization: FLUX_KUSTOMIZATION,
	fluxHelmRelease: FLUX_KUSTOMIZATION,
	argoApplication: {
		group: 'argoproj.io',
		version: 'v1alpha1',
		plural: 'applications',
		label: 'Argo CD Application',
	},
};

export const HELM_RELEASE: ResourceType = {
	group: 'helm.toolkit.fluxcd.io',
	version: 'v2',
	plural: 'helmreleases',
	label: 'Flux HelmRelease',
};

export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet';
export const WORKLOAD_PLURALS: Record<WorkloadKind, string> = {
	Deployment: 'deployments',
	StatefulSet: 'statefulsets',
	DaemonSet: 'daemonsets',
};

/** The objects as the API server sends them, typed by the fields read here. */
interface Condition {
	type?: string;
	status?: string;
	reason?: string;
	message?: string;
}
interface ObjectMeta {
	name?: string;
	namespace?: string;
	generation?: number;
}
export interface FluxKustomization {
	metadata?: ObjectMeta;
	status?: {
		conditions?: Condition[];
		lastAppliedRevision?: string;
		lastAttemptedRevision?: string;
		observedGeneration?: number;
	};
}
export interface ArgoApplication {
	metadata?: ObjectMeta;
	status?: {
		sync?: { revision?: string; status?: string };
		health?: { status?: string; message?: string };
		operationState?: {
			phase?: string;
			message?: string;
			syncResult?: { revision?: string };
			operation?: { sync?: { revision?: string } };
		};
	};
}
export interface FluxHelmRelease {
	metadata?: ObjectMeta;
	status?: { conditions?: Condition[]; observedGeneration?: number };
}
export type GitOpsSource = FluxKustomization | ArgoApplication;
interface LabelSelector {
	matchLabels?: Record<string, string>;
	matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}
/** A Deployment, StatefulSet or DaemonSet: the status fields of all three, each read for its own kind. */
export interface WorkloadObject {
	metadata?: ObjectMeta;
	spec?: {
		replicas?: number;
		progressDeadlineSeconds?: number;
		selector?: LabelSelector;
		template?: { spec?: { containers?: Array<{ name: string; image?: string }> } };
	};
	status?: {
		observedGeneration?: number;
		conditions?: Condition[];
		replicas?: number;
		updatedReplicas?: number;
		readyReplicas?: number;
		availableReplicas?: number;
		currentRevision?: string;
		updateRevision?: string;
		desiredNumberScheduled?: number;
		updatedNumberScheduled?: number;
		numberReady?: number;
		numberAvailable?: number;
	};
}

export type SourceState =
	| { state: 'applied'; revision: string }
	| { state: 'pending'; revision: string | null; note: string }
	| { state: 'failed'; revision: string | null; reason: string; message: string }
	| { state: 'other'; revision: string };

/** True when a revision names the commit: `main@sha1:<sha>`, `sha1:<sha>`, `main/<sha>` or the bare sha. */
export function revisionIs(revision: string | null | undefined, commit: string): boolean {
	if (!revision || !commit) return false;
	const sha = revision.replace(/^.*[@:/]/, '');
	return sha === commit || (commit.length >= 7 && sha.startsWith(commit));
}

const condition = (obj: { status?: { conditions?: Condition[] } } | undefined, type: string) =>
	(obj?.status?.conditions ?? []).find((c) => c.type === type);

/** The revision the source has applied, whatever commit it is. */
export function appliedRevision(
	kind: Exclude<SourceKind, 'none'>,
	obj: GitOpsSource | undefined,
): string | null {
	return (
		(kind === 'argoApplication'
			? (obj as ArgoApplication | undefined)?.status?.sync?.revision
			: (obj as FluxKustomization | undefined)?.status?.lastAppliedRevision) ?? null
	);
}

export function fluxState(obj: FluxKustomization | undefined, commit: string): SourceState {
	const status = obj?.status ?? {};
	const ready = condition(obj, 'Ready');
	const applied: string | null = status.lastAppliedRevision ?? null;
	const attempted: string | null = status.lastAttemptedRevision ?? null;
	const current = (status.observedGeneration ?? -1) >= (obj?.metadata?.generation ?? 0);
	if (revisionIs(attempted, commit) && current && ready?.status === 'False') {
		return {
			state: 'failed',
			revision: attempted,
			reason: ready.reason ?? 'ReconciliationFailed',
			message: ready.message ?? '',
		};
	}
	if (revisionIs(applied, commit)) {
		if (ready?.status === 'True' && current) return { state: 'applied', revision: applied! };
		return {
			state: 'pending',
			revision: applied,
			note: `applied ${applied}, Ready is ${ready?.status ?? 'unset'}${ready?.message ? ` (${ready.message})` : ''}`,
		};
	}
	return {
		state: 'pending',
		revision: applied,
		note: applied ? `last applied ${applied}` : 'nothing applied yet',
	};
}

export type ReleaseState =
	| { state: 'released'; message: string }
	| { state: 'pending'; note: string }
	| { state: 'failed'; reason: string; message: string };

/**
 * A HelmRelease read after its Kustomization applied the commit: released once helm-controller has seen the
 * current spec (observedGeneration caught up: a Ready=True of the previous generation says nothing about ours)
 * and says Ready=True; failed when, for the current spec, Stalled=True or Ready=False with a *Failed reason
 * (InstallFailed, UpgradeFailed, ArtifactFailed…), with the controller's message.
 */
export function helmReleaseState(obj: FluxHelmRelease | undefined): ReleaseState {
	const generation = obj?.metadata?.generation ?? 0;
	const observed = obj?.status?.observedGeneration ?? -1;
	if (observed < generation)
		return {
			state: 'pending',
			note: `helm-controller has not reconciled generation ${generation} yet (observed ${observed})`,
		};
	const ready = condition(obj, 'Ready');
	const stalled = condition(obj, 'Stalled');
	const failedReady = ready?.status === 'False' && /Failed$/.test(ready.reason ?? '');
	if (stalled?.status === 'True' || failedReady) {
		// Ready carries the Helm action's reason and message; Stalled only says that retries ran out.
		const cause = failedReady ? ready! : stalled!;
		return {
			state: 'failed',
			reason: cause.reason ?? 'Stalled',
			message: cause.message ?? '',
		};
	}
	if (ready?.status === 'True') return { state: 'released', message: ready.message ?? '' };
	return {
		state: 'pending',
		note: `Ready is ${ready?.status ?? 'unset'}${ready?.message ? ` (${ready.message})` : ''}`,
	};
}

export function argoState(obj: ArgoApplication | undefined, commit: string): SourceState {
	const status = obj?.status ?? {};
	const revision: string | null = status.sync?.revision ?? null;
	const op = status.operationState;
	const opRevision = op?.syncResult?.revision ?? op?.operation?.sync?.revision ?? null;
	if (op && revisionIs(opRevision, commit) && (op.phase === 'Failed' || op.phase === 'Error')) {
		return {
			state: 'failed',
			revision: opRevision,
			reason: op.phase === 'Error' ? 'SyncError' : 'SyncFailed',
			message: op.message ?? '',
		};
	}
	if (revisionIs(revision, commit)) {
		const health = status.health?.status;
		if (status.sync?.status === 'Synced' && health === 'Healthy')
			return { state: 'applied', revision: revision! };
		return {
			state: 'pending',
			revision,
			note: `sync ${status.sync?.status ?? 'Unknown'}, health ${health ?? 'Unknown'}${status.health?.message ? ` (${status.health.message})` : ''}`,
		};
	}
	return {
		state: 'pending',
		revision,
		note: revision ? `synced to ${revision}` : 'not synced yet',
	};
}

export interface WorkloadSummary {
	kind: WorkloadKind;
	namespace: string;
	name: string;
	image: string | null;
	desiredReplicas: number;
	updatedReplicas: number;
	readyReplicas: number;
	availableReplicas: number;
	reason: string;
}

export type WorkloadState =
	| { state: 'rolledOut' }
	| { state: 'waitingForImage'; note: string }
	| { state: 'progressing'; note: string }
	| { state: 'failed'; reason: string; message: string };

/** `repo:tag@digest` matches `repo:tag@digest`, and `repo:tag` matches both (the digest is optional to ask for). */
export function imageMatches(running: string | undefined, wanted: string | undefined): boolean {
	if (!wanted) return true;
	if (!running) return false;
	return running === wanted || (!wanted.includes('@') && running.split('@')[0] === wanted);
}

function containers(obj: WorkloadObject | undefined): Array<{ name: string; image?: string }> {
	return obj?.spec?.template?.spec?.containers ?? [];
}

export function workloadImage(obj: WorkloadObject | undefined, wanted?: string): string | null {
	const all = containers(obj);
	return (all.find((c) => imageMatches(c.image, wanted)) ?? all[0])?.image ?? null;
}

export function summarizeWorkload(
	kind: WorkloadKind,
	obj: WorkloadObject | undefined,
	wanted: string | undefined,
	state: WorkloadState,
): WorkloadSummary {
	const s = obj?.status ?? {};
	const desired =
		kind === 'DaemonSet' ? (s.desiredNumberScheduled ?? 0) : (obj?.spec?.replicas ?? 1);
	return {
		kind,
		namespace: obj?.metadata?.namespace ?? '',
		name: obj?.metadata?.name ?? '',
		image: workloadImage(obj, wanted),
		desiredReplicas: desired,
		updatedReplicas: (kind === 'DaemonSet' ? s.updatedNumberScheduled : s.updatedReplicas) ?? 0,
		readyReplicas: (kind === 'DaemonSet' ? s.numberReady : s.readyReplicas) ?? 0,
		availableReplicas: (kind === 'DaemonSet' ? s.numberAvailable : s.availableReplicas) ?? 0,
		reason:
			state.state === 'rolledOut'
				? 'RolledOut'
				: state.state === 'failed'
					? state.reason
					: state.state === 'waitingForImage'
						? 'WaitingForImage'
						: 'Progressing',
	};
}

/** What `kubectl rollout status` checks, per kind, plus "the template runs the wanted image". */
export function workloadState(
	kind: WorkloadKind,
	obj: WorkloadObject | undefined,
	wanted?: string,
): WorkloadState {
	const name = `${kind} ${obj?.metadata?.namespace}/${obj?.metadata?.name}`;
	if (!containers(obj).some((c) => imageMatches(c.image, wanted))) {
		return {
			state: 'waitingForImage',
			note: `${name} runs ${
				containers(obj)
					.map((c) => c.image)
					.join(', ') || 'no image'
			}, not ${wanted} yet`,
		};
	}
	const s = obj?.status ?? {};
	if ((s.observedGeneration ?? 0) < (obj?.metadata?.generation ?? 1))
		return {
			state: 'progressing',
			note: `${name}: the controller has not seen generation ${obj?.metadata?.generation} yet`,
		};
	if (kind === 'Deployment') {
		const progressing = condition(obj, 'Progressing');
		if (progressing?.reason === 'ProgressDeadlineExceeded') {
			return {
				state: 'failed',
				reason: 'ProgressDeadlineExceeded',
				message:
					`${name} exceeded its progress deadline (${obj?.spec?.progressDeadlineSeconds ?? 600} s): ${progressing.message ?? ''}`.trim(),
			};
		}
		const desired = obj?.spec?.replicas ?? 1;
		const updated = s.updatedReplicas ?? 0;
		if (updated < desired)
			return {
				state: 'progressing',
				note: `${name}: ${updated} of ${desired} new replicas updated`,
			};
		if ((s.replicas ?? 0) > updated)
			return {
				state: 'progressing',
				note: `${name}: ${(s.replicas ?? 0) - updated} old replicas pending termination`,
			};
		if ((s.availableReplicas ?? 0) < updated || (s.readyReplicas ?? 0) < updated)
			return {
				state: 'progressing',
				note: `${name}: ${s.availableReplicas ?? 0} of ${updated} updated replicas available`,
			};
		if (progressing && progressing.reason !== 'NewReplicaSetAvailable')
			return { state: 'progressing', note: `${name}: ${progressing.reason}` };
		return { state: 'rolledOut' };
	}
	if (kind === 'StatefulSet') {
		const desired = obj?.spec?.replicas ?? 1;
		if (
			(s.updatedReplicas ?? 0) < desired ||
			(s.readyReplicas ?? 0) < desired ||
			(s.availableReplicas ?? s.readyReplicas ?? 0) < desired
		) {
			return {
				state: 'progressing',
				note: `${name}: ${s.updatedReplicas ?? 0} updated, ${s.readyReplicas ?? 0} ready of ${desired}`,
			};
		}
		if (s.updateRevision && s.currentRevision !== s.updateRevision)
			return {
				state: 'progressing',
				note: `${name}: revision ${s.updateRevision} not current yet`,
			};
		return { state: 'rolledOut' };
	}
	const desired = s.desiredNumberScheduled ?? 0;
	if ((s.updatedNumberScheduled ?? 0) < desired || (s.numberAvailable ?? 0) < desired) {
		return {
			state: 'progressing',
			note: `${name}: ${s.updatedNumberScheduled ?? 0} updated, ${s.numberAvailable ?? 0} available of ${desired}`,
		};
	}
	return { state: 'rolledOut' };
}

/** The label selector of a workload's pods (matchLabels; matchExpressions In with one value). */
export function podSelector(obj: WorkloadObject | undefined): string | undefined {
	const sel = obj?.spec?.selector;
	if (!sel) return undefined;
	const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
	for (const e of sel.matchExpressions ?? []) {
		if (e.operator === 'In') parts.push(`${e.key} in (${(e.values ?? []).join(',')})`);
		else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${(e.values ?? []).join(',')})`);
		else if (e.operator === 'Exists') parts.push(e.key);
		else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
	}
	return parts.length ? parts.join(',') : undefined;
}
