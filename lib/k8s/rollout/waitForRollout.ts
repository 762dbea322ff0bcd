import type * as k8s from '@kubernetes/client-node';
import { kubernetesClient } from '../kubernetesClient';
import { ROLLOUT_DEFAULTS } from './defaults';
import { InputError } from '../../errors';
import { redactUrlCredentials } from '../../gitUrl';
import { validateDns1123Label } from '../build/kubernetesFields';
import { boundLogTail, LOG_TAIL_MAX_BYTES } from '../wait/logs';
import {
	diagnosePods,
	findStuckPod,
	summarizePods,
	type PodLike,
	type PodProblem,
	type PodSummary,
} from '../wait/podDiagnosis';
import {
	watchCollection,
	type CollectionRef,
	type WatchedObject,
	type WatchStats,
} from './collectionWatcher';
import {
	appliedRevision,
	argoState,
	fluxState,
	HELM_RELEASE,
	helmReleaseState,
	imageMatches,
	podSelector,
	revisionIs,
	SOURCE_TYPES,
	summarizeWorkload,
	WORKLOAD_PLURALS,
	workloadState,
	type ArgoApplication,
	type FluxHelmRelease,
	type FluxKustomization,
	type GitOpsSource,
	type SourceKind,
	type SourceState,
	type WorkloadKind,
	type WorkloadObject,
	type WorkloadSummary,
} from './rolloutState';

export type { SourceKind, WorkloadKind, WorkloadSummary } from './rolloutState';
export { ROLLOUT_DEFAULTS };

export interface WorkloadTarget {
	kind: WorkloadKind;
	namespace: string;
	/** One workload by name, or all the label selector picks (at least one must exist). */
	name?: string;
	labelSelector?: string;
	/** The image it must run (`repo:tag` or `repo:tag@digest`); empty: any, once rolled out. */
	image?: string;
}

export interface WaitForRolloutOptions {
	/** The GitOps commit the source must have applied (Bump Git Manifest's `commit`). */
	commit?: string;
	source: SourceKind;
	sourceNamespace?: string;
	sourceName?: string;
	/** The release, when source is fluxHelmRelease (Source Namespace/Name then name its Kustomization). */
	helmReleaseNamespace?: string;
	helmReleaseName?: string;
	workloads: WorkloadTarget[];
	timeoutSeconds?: number;
	/** A new pod crash-looping, failing to pull, OOMKilled or unready this long fails the rollout; 0 turns it off. */
	stuckAfterSeconds?: number;
	logTailLines?: number;
	signal?: AbortSignal;
	watchTimeoutSeconds?: number;
}

export type RolloutStatus = 'rolledOut' | 'failed' | 'timedOut' | 'superseded';

/** The Wait for Rollout output; absent values are null so every item has one shape. */
export interface WaitForRolloutResult {
	status: RolloutStatus;
	reason: string;
	message: string;
	commit: string | null;
	source: { kind: SourceKind; namespace: string; name: string } | null;
	appliedRevision: string | null;
	durationSeconds: number;
	workloads: WorkloadSummary[];
	/** The pods of the workload that failed (the Wait for Job pod summary). */
	pods: PodSummary[];
	logTail: string;
}

export interface WaitForRolloutStats extends WatchStats {
	logReads: number;
	/** Epoch ms when the outcome was known, before the log read. */
	noticedAt?: number;
}

export class WaitForRolloutCancelledError extends Error {
	constructor() {
		super('Stopped waiting for the rollout: the execution was cancelled');
		this.name = 'WaitForRolloutCancelledError';
	}
}

const COMMIT = /^[0-9a-f]{7,64}$/;
const KINDS: WorkloadKind[] = ['Deployment', 'StatefulSet', 'DaemonSet'];
/** How often time-based checks (stuck pods) run between events; no request is made. */
const TICK_MS = 250;

function validate(o: WaitForRolloutOptions): {
	timeoutSeconds: number;
	stuckAfterSeconds: number;
	logTailLines: number;
	commit?: string;
} {
	const commit = o.commit?.trim().toLowerCase() || undefined;
	if (commit && !COMMIT.test(commit))
		throw new InputError(
			'commit',
			`Commit must be a git commit SHA (7 to 64 hex digits), e.g. the "commit" output of Bump Git Manifest`,
		);
	if (o.source !== 'none') {
		if (!SOURCE_TYPES[o.source])
			throw new InputError(
				'source',
				`Source must be one of fluxKustomization, fluxHelmRelease, argoApplication or none`,
			);
		if (!commit)
			throw new InputError(
				'commit',
				`Commit is empty: a ${SOURCE_TYPES[o.source].label} is checked for a commit, e.g. {{ $json.commit }} from Bump Git Manifest`,
			);
		validateDns1123Label(
			o.sourceNamespace ?? '',
			'sourceNamespace',
			`namespace of the ${SOURCE_TYPES[o.source].label}`,
		);
		if (!o.sourceName?.trim())
			throw new InputError(
				'sourceName',
				`Source Name is empty: give the name of the ${SOURCE_TYPES[o.source].label}`,
			);
	}
	if (o.source === 'fluxHelmRelease') {
		validateDns1123Label(
			o.helmReleaseNamespace ?? '',
			'helmReleaseNamespace',
			`namespace of the ${HELM_RELEASE.label}`,
		);
		if (!o.helmReleaseName?.trim())
			throw new InputError(
				'helmReleaseName',
				`HelmRelease Name is empty: give the name of the ${HELM_RELEASE.label}`,
			);
	}
	if (o.source === 'none' && o.workloads.length === 0)
		throw new InputError(
			'workloads',
			'Nothing to wait for: choose a source, add workloads, or both',
		);
	o.workloads.forEach((w, i) => {
		const field = `workloads[${i}]`;
		if (!KINDS.includes(w.kind))
			throw new InputError(
				`${field}.kind`,
				`Workload kind must be Deployment, StatefulSet or DaemonSet`,
			);
		validateDns1123Label(w.namespace, `${field}.namespace`, 'namespace name');
		if (!w.name?.trim() && !w.labelSelector?.trim())
			throw new InputError(`${field}.name`, `Workload ${i + 1} needs a name or a label selector`);
	});
	const timeoutSeconds = o.timeoutSeconds ?? ROLLOUT_DEFAULTS.timeoutSeconds;
	if (!(timeoutSeconds > 0))
		throw new InputError('timeoutSeconds', 'Timeout Seconds must be greater than 0');
	const stuckAfterSeconds = o.stuckAfterSeconds ?? ROLLOUT_DEFAULTS.stuckAfterSeconds;
	if (!(stuckAfterSeconds >= 0))
		throw new InputError('stuckAfterSeconds', 'Stuck After Seconds must be 0 (off) or more');
	const logTailLines = o.logTailLines ?? ROLLOUT_DEFAULTS.logTailLines;
	if (!(logTailLines >= 0))
		throw new InputError('logTailLines', 'Log Tail Lines must be 0 or more');
	return { timeoutSeconds, stuckAfterSeconds, logTailLines, commit };
}

/** A container running but never ready for stuckAfter: its readiness probe keeps failing. */
function unreadyProblem(
	pods: PodLike[],
	now: number,
	stuckAfterMs: number,
): PodProblem | undefined {
	for (const pod of pods) {
		for (const s of pod.status?.containerStatuses ?? []) {
			const started = s.state?.running?.startedAt;
			// A container that has restarted is crash-looping, which the waiting-reason check explains better.
			if (!started || s.ready || (s.restartCount ?? 0) > 0) continue;
			const since = Date.parse(typeof started === 'string' ? started : started.toISOString());
			if (now - since < stuckAfterMs) continue;
			return {
				reason: 'NotReady',
				message: `Container ${s.name} is running but not ready for ${Math.round((now - since) / 1000)} s (its readiness probe keeps failing; stuckAfterSeconds is ${Math.round(stuckAfterMs / 1000)})`,
				pod: pod.metadata?.name ?? '',
				container: s.name,
			};
		}
	}
	return undefined;
}

interface Decision {
	status: RolloutStatus;
	reason: string;
	message: string;
	/** The workload whose pods explain a failure. */
	failing?: string;
	problem?: PodProblem;
}

/**
 * Waits until the GitOps source has applied the commit and every workload runs its image, or says why not.
 * Each watched object costs one LIST and one WATCH (collectionWatcher); pods of a workload are watched once
 * the workload is seen. Throws only for bad input, an API that refuses (JobWatchApiError) and cancellation.
 */
export async function waitForRollout(
	kc: k8s.KubeConfig,
	options: WaitForRolloutOptions,
	stats: WaitForRolloutStats = { lists: 0, watches: 0, relists: 0, retries: 0, logReads: 0 },
): Promise<WaitForRolloutResult> {
	const { timeoutSeconds, stuckAfterSeconds, logTailLines, commit } = validate(options);
	const startedAt = Date.now();
	const deadline = startedAt + timeoutSeconds * 1000;
	const stop = new AbortController();
	const cancel = (): void => stop.abort();
	options.signal?.addEventListener('abort', cancel, { once: true });
	if (options.signal?.aborted) throw new WaitForRolloutCancelledError();

	const sourceType = options.source === 'none' ? undefined : SOURCE_TYPES[options.source];
	let sourceObj: GitOpsSource | undefined;
	let sourceSeen = false;
	let initialRevision: string | null | undefined;
	const releaseName = options.helmReleaseName?.trim() ?? '';
	const release = `${HELM_RELEASE.label} ${options.helmReleaseNamespace}/${releaseName}`;
	let releaseObj: FluxHelmRelease | undefined;
	let releaseWatched = false;
	const workloadObjs = options.workloads.map(() => new Map<string, WorkloadObject>());
	const pods = new Map<string, Map<string, PodLike>>();
	const firstSeen = new Map<string, number>();
	const watchers: Array<Promise<void>> = [];
	let decision: Decision | undefined;
	let lastNotes: string[] = [];
	let failure: unknown;

	const watch = <T extends WatchedObject>(
		ref: CollectionRef,
		onChange: (objects: Map<string, T>) => void,
	): void => {
		watchers.push(
			watchCollection(
				kc,
				ref,
				{
					deadline,
					signal: stop.signal,
					onChange,
					watchTimeoutSeconds: options.watchTimeoutSeconds,
				},
				stats,
			).catch((error) => {
				failure ??= error;
				stop.abort();
			}),
		);
	};

	const podsOf = (w: WorkloadObject): PodLike[] => {
		const selector = podSelector(w);
		return selector ? [...(pods.get(`${w.metadata?.namespace}/${selector}`)?.values() ?? [])] : [];
	};
	const newPods = (w: WorkloadObject, image?: string): PodLike[] =>
		podsOf(w).filter(
			(p) => !image || (p.spec?.containers ?? []).some((c) => imageMatches(c.image, image)),
		);

	const sourceState = (): SourceState | undefined => {
		if (!sourceObj || !commit) return undefined;
		return options.source === 'argoApplication'
			? argoState(sourceObj as ArgoApplication, commit)
			: fluxState(sourceObj as FluxKustomization, commit);
	};

	const decide = (): Decision | undefined => {
		const notes: string[] = [];
		const src = sourceState();
		if (sourceType) {
			const what = `${sourceType.label} ${options.sourceNamespace}/${options.sourceName}`;
			if (!src) notes.push(sourceSeen ? `${what} has no status yet` : `${what} not found`);
			else if (src.state === 'failed') {
				return {
					status: 'failed',
					reason: src.reason,
					message: `${what} failed to apply ${src.revision ?? commit}: ${src.message}`,
				};
			} else if (src.state === 'pending') {
				if (
					src.revision &&
					!revisionIs(src.revision, commit!) &&
					initialRevision !== undefined &&
					src.revision !== initialRevision
				) {
					return {
						status: 'superseded',
						reason: 'Superseded',
						message: `${what} applied ${src.revision} instead of ${commit}: a newer commit was applied first`,
					};
				}
				notes.push(`${what}: ${src.note}`);
			} else if (options.source === 'fluxHelmRelease') {
				const rel = releaseObj && helmReleaseState(releaseObj);
				if (!rel) notes.push(`${release} not found`);
				else if (rel.state === 'failed')
					return {
						status: 'failed',
						reason: rel.reason,
						message: `${release} did not release ${src.revision}: ${rel.message}`,
					};
				else if (rel.state === 'pending') notes.push(`${release}: ${rel.note}`);
			}
		}
		for (const [i, target] of options.workloads.entries()) {
			const objs = [...workloadObjs[i].values()];
			const label = target.name
				? `${target.kind} ${target.namespace}/${target.name}`
				: `${target.kind}s in ${target.namespace} with ${target.labelSelector}`;
			if (objs.length === 0) notes.push(`${label} not found`);
			for (const obj of objs) {
				const state = workloadState(target.kind, obj, target.image);
				const key = `${obj.metadata?.namespace}/${obj.metadata?.name}`;
				if (state.state === 'waitingForImage') {
					notes.push(state.note);
					continue;
				}
				const fresh = newPods(obj, target.image);
				if (state.state === 'failed')
					return {
						status: 'failed',
						reason: state.reason,
						message: state.message,
						failing: key,
						problem: diagnosePods(fresh),
					};
				if (state.state === 'progressing') {
					if (stuckAfterSeconds > 0) {
						const now = Date.now();
						const stuck =
							findStuckPod(fresh, now, stuckAfterSeconds * 1000, firstSeen).stuck ??
							unreadyProblem(fresh, now, stuckAfterSeconds * 1000);
						if (stuck) {
							// The most specific cause of that pod: OOMKilled explains a CrashLoopBackOff.
							const specific = diagnosePods(fresh.filter((p) => p.metadata?.name === stuck.pod));
							const problem = specific?.reason === 'OOMKilled' ? specific : stuck;
							return {
								status: 'failed',
								reason: problem.reason,
								message: `${target.kind} ${key} did not roll out ${target.image ?? 'its new pods'}: ${problem.message}`,
								failing: key,
								problem,
							};
						}
					}
					notes.push(state.note);
				}
			}
		}
		if (notes.length === 0) return { status: 'rolledOut', reason: 'RolledOut', message: '' };
		lastNotes = notes;
		return undefined;
	};

	const evaluate = (): void => {
		if (decision || stop.signal.aborted) return;
		decision = decide();
		if (decision) stop.abort();
	};

	if (sourceType) {
		const kind = options.source as Exclude<SourceKind, 'none'>;
		watch<GitOpsSource>(
			{
				...sourceType,
				namespace: options.sourceNamespace!,
				fieldSelector: `metadata.name=${options.sourceName!.trim()}`,
			},
			(objects) => {
				sourceObj = objects.get(options.sourceName!.trim());
				sourceSeen ||= !!sourceObj;
				if (sourceObj && initialRevision === undefined)
					initialRevision = appliedRevision(kind, sourceObj);
				// Watched from here on, so every HelmRelease read comes after the commit was applied and its spec
				// (generation) is the commit's, never a copy from before that still says Ready=True.
				if (kind === 'fluxHelmRelease' && !releaseWatched && sourceState()?.state === 'applied') {
					releaseWatched = true;
					watch<FluxHelmRelease>(
						{
							...HELM_RELEASE,
							namespace: options.helmReleaseNamespace!,
							fieldSelector: `metadata.name=${releaseName}`,
						},
						(found) => {
							releaseObj = found.get(releaseName);
							evaluate();
						},
					);
				}
				evaluate();
			},
		);
	}
	options.workloads.forEach((target, i) => {
		const ref: CollectionRef = {
			group: 'apps',
			version: 'v1',
			plural: WORKLOAD_PLURALS[target.kind],
			namespace: target.namespace,
			...(target.name
				? { fieldSelector: `metadata.name=${target.name.trim()}` }
				: { labelSelector: target.labelSelector!.trim() }),
		};
		watch<WorkloadObject>(ref, (objects) => {
			workloadObjs[i] = objects;
			for (const obj of objects.values()) {
				const selector = podSelector(obj);
				const namespace = obj.metadata?.namespace ?? target.namespace;
				const key = `${namespace}/${selector}`;
				if (!selector || pods.has(key)) continue;
				pods.set(key, new Map());
				watch<PodLike>(
					{ group: '', version: 'v1', plural: 'pods', namespace, labelSelector: selector },
					(found) => {
						pods.set(key, found);
						evaluate();
					},
				);
			}
			evaluate();
		});
	});

	const ticker = setInterval(
		evaluate,
		stuckAfterSeconds > 0 ? Math.min(TICK_MS, stuckAfterSeconds * 500) : 1000,
	);
	const timer = setTimeout(() => stop.abort(), Math.max(0, deadline - Date.now()));
	try {
		await new Promise<void>((resolve) =>
			stop.signal.aborted
				? resolve()
				: stop.signal.addEventListener('abort', () => resolve(), { once: true }),
		);
		await Promise.all(watchers);
	} finally {
		clearInterval(ticker);
		clearTimeout(timer);
		stats.noticedAt = Date.now();
		options.signal?.removeEventListener('abort', cancel);
	}
	if (failure) throw failure;
	if (!decision && options.signal?.aborted) throw new WaitForRolloutCancelledError();
	const d: Decision = decision ?? {
		status: 'timedOut',
		reason: 'Timeout',
		message: `The rollout did not finish within ${timeoutSeconds} s: ${lastNotes.join('; ') || 'nothing seen yet'}`,
	};

	const summaries: WorkloadSummary[] = [];
	options.workloads.forEach((target, i) => {
		for (const obj of workloadObjs[i].values())
			summaries.push(
				summarizeWorkload(
					target.kind,
					obj,
					target.image,
					workloadState(target.kind, obj, target.image),
				),
			);
	});
	let failingPods: PodLike[] = [];
	if (d.failing) {
		const i = options.workloads.findIndex((_, j) => workloadObjs[j].has(d.failing!.split('/')[1]));
		const obj = i >= 0 ? workloadObjs[i].get(d.failing.split('/')[1]) : undefined;
		if (obj) failingPods = newPods(obj, options.workloads[i].image);
	}
	let logTail = '';
	if (d.problem?.container && logTailLines > 0) {
		stats.logReads++;
		const namespace = d.failing!.split('/')[0];
		logTail = await readContainerLog(
			kc,
			namespace,
			d.problem.pod,
			d.problem.container,
			logTailLines,
		);
	}
	const src = sourceState();
	const released = releaseObj && helmReleaseState(releaseObj);
	const revision = options.source === 'none' ? null : appliedRevision(options.source, sourceObj);
	const message =
		d.status === 'rolledOut'
			? `Rolled out${commit ? ` ${commit.slice(0, 12)}` : ''}: ${[...(sourceType ? [`${sourceType.label} ${options.sourceNamespace}/${options.sourceName} applied ${src?.revision}`] : []), ...(released?.state === 'released' ? [`${release}: ${released.message}`] : []), ...summaries.map((w) => `${w.kind} ${w.namespace}/${w.name} runs ${w.image} (${w.availableReplicas}/${w.desiredReplicas} available)`)].join('; ')}`
			: d.message;
	return {
		status: d.status,
		reason: d.reason,
		message: redactUrlCredentials(message),
		commit: commit ?? null,
		source: sourceType
			? {
					kind: options.source,
					namespace: options.sourceNamespace!,
					name: options.sourceName!.trim(),
				}
			: null,
		appliedRevision: revision,
		durationSeconds: Math.round((Date.now() - startedAt) / 10) / 100,
		workloads: summaries,
		pods: summarizePods(failingPods),
		logTail,
	};
}

/**
 * The end of a failing container's log: the current run, else (a crash-looping container waits between runs)
 * the previous one. Unreadable logs give '' rather than hiding the outcome behind a log error.
 */
async function readContainerLog(
	kc: k8s.KubeConfig,
	namespace: string,
	pod: string,
	container: string,
	lines: number,
): Promise<string> {
	const core = kc.makeApiClient(kubernetesClient().CoreV1Api);
	for (const previous of [false, true]) {
		try {
			const text = await core.readNamespacedPodLog({
				name: pod,
				namespace,
				container,
				tailLines: lines,
				previous,
				limitBytes: 256 * 1024,
			});
			const tail = boundLogTail(
				redactUrlCredentials(String(text ?? '')),
				lines,
				LOG_TAIL_MAX_BYTES,
			);
			if (tail) return tail;
		} catch {
			// waiting to start (CrashLoopBackOff, ImagePullBackOff): try the previous run
		}
	}
	return '';
}
