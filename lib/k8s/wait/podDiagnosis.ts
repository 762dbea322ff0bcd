/**
 * Pure diagnosis of a Job's pods: what went wrong (and in which container), which pod is stuck and since when,
 * and the image digest the build container reported. Accepts typed (Date) and raw watch (string) objects.
 */
import { toIsoTime, type KubeTime } from './outcome';

export interface ContainerStateLike {
	waiting?: { reason?: string; message?: string };
	running?: { startedAt?: KubeTime };
	terminated?: {
		exitCode?: number;
		reason?: string;
		message?: string;
		signal?: number;
		startedAt?: KubeTime;
		finishedAt?: KubeTime;
	};
}

export interface ContainerStatusLike {
	name: string;
	image?: string;
	ready?: boolean;
	restartCount?: number;
	state?: ContainerStateLike;
	lastState?: ContainerStateLike;
}

export interface ContainerSpecLike {
	name: string;
	image?: string;
	resources?: { limits?: Record<string, unknown>; requests?: Record<string, unknown> };
}

export interface PodConditionLike {
	type?: string;
	status?: string;
	reason?: string;
	message?: string;
	lastTransitionTime?: KubeTime;
}

export interface PodLike {
	metadata?: {
		name?: string;
		uid?: string;
		creationTimestamp?: KubeTime;
		labels?: Record<string, string>;
		ownerReferences?: Array<{ uid?: string; kind?: string }>;
	};
	spec?: { initContainers?: ContainerSpecLike[]; containers?: ContainerSpecLike[] };
	status?: {
		phase?: string;
		reason?: string;
		message?: string;
		startTime?: KubeTime;
		conditions?: PodConditionLike[];
		initContainerStatuses?: ContainerStatusLike[];
		containerStatuses?: ContainerStatusLike[];
	};
}

/** One line per container in the output's `pods` list. */
export interface ContainerSummary {
	name: string;
	init: boolean;
	state: 'waiting' | 'running' | 'terminated' | 'unknown';
	reason: string | null;
	exitCode: number | null;
	restartCount: number;
}

export interface PodSummary {
	name: string;
	phase: string;
	reason: string | null;
	containers: ContainerSummary[];
}

/** A specific cause found in a pod, naming the container when there is one. */
export interface PodProblem {
	reason: string;
	message: string;
	pod: string;
	container?: string;
}

/** The names the Job simulator contract (and the Create BuildKit Job manifest) give the two containers. */
export const GIT_CONTAINER = 'git-clone';
export const BUILD_CONTAINER = 'buildkit';

/** Waiting reasons that never resolve by themselves: the pod sits there until someone fixes the cause. */
const STUCK_WAITING_REASONS = new Set([
	'ImagePullBackOff',
	'ErrImagePull',
	'InvalidImageName',
	'ErrImageNeverPull',
	'CrashLoopBackOff',
	'CreateContainerConfigError',
]);
const IMAGE_PULL_REASONS = new Set([
	'ImagePullBackOff',
	'ErrImagePull',
	'InvalidImageName',
	'ErrImageNeverPull',
]);

function ms(time: KubeTime): number | undefined {
	const iso = toIsoTime(time);
	return iso === undefined ? undefined : Date.parse(iso);
}

function podName(pod: PodLike): string {
	return pod.metadata?.name ?? '(unnamed pod)';
}

/** Containers in run order: init containers first, as the kubelet starts them. */
function containerStatuses(pod: PodLike): Array<{ status: ContainerStatusLike; init: boolean }> {
	return [
		...(pod.status?.initContainerStatuses ?? []).map((status) => ({ status, init: true })),
		...(pod.status?.containerStatuses ?? []).map((status) => ({ status, init: false })),
	];
}

function containerSpec(pod: PodLike, name: string): ContainerSpecLike | undefined {
	return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find(
		(c) => c.name === name,
	);
}

/** Newest first: with retries, the last pod is the one that decided the Job. */
export function newestFirst(pods: PodLike[]): PodLike[] {
	return [...pods].sort(
		(a, b) => (ms(b.metadata?.creationTimestamp) ?? 0) - (ms(a.metadata?.creationTimestamp) ?? 0),
	);
}

export function summarizePods(pods: PodLike[]): PodSummary[] {
	return [...newestFirst(pods)].reverse().map((pod) => ({
		name: podName(pod),
		phase: pod.status?.phase ?? 'Unknown',
		reason: pod.status?.reason ?? unschedulable(pod)?.reason ?? null,
		containers: containerStatuses(pod).map(({ status, init }) => {
			const s = status.state ?? {};
			const state = s.terminated
				? 'terminated'
				: s.running
					? 'running'
					: s.waiting
						? 'waiting'
						: 'unknown';
			return {
				name: status.name,
				init,
				state,
				reason: s.terminated?.reason ?? s.waiting?.reason ?? null,
				exitCode: s.terminated?.exitCode ?? null,
				restartCount: status.restartCount ?? 0,
			};
		}),
	}));
}

function unschedulable(pod: PodLike): PodConditionLike | undefined {
	return pod.status?.conditions?.find(
		(c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable',
	);
}

function memoryLimit(pod: PodLike, container: string): string | undefined {
	const limit = containerSpec(pod, container)?.resources?.limits?.memory;
	return limit === undefined || limit === null ? undefined : String(limit);
}

function failedContainerReason(container: string): string {
	if (container === GIT_CONTAINER) return 'GitCloneFailed';
	if (container === BUILD_CONTAINER) return 'BuildFailed';
	return 'ContainerFailed';
}

/** The termination message unless it is the build's result JSON (a success record explains no failure). */
function failureDetail(message: string | undefined): string {
	const text = (message ?? '').trim();
	if (!text || text.startsWith('{')) return '';
	return `: ${text.length > 500 ? `${text.slice(0, 500)}…` : text}`;
}

function waitingProblem(pod: PodLike, status: ContainerStatusLike): PodProblem | undefined {
	const waiting = status.state?.waiting;
	const reason = waiting?.reason;
	if (!reason || !STUCK_WAITING_REASONS.has(reason)) return undefined;
	const detail = waiting?.message ? `: ${waiting.message}` : '';
	let message: string;
	if (IMAGE_PULL_REASONS.has(reason)) {
		const image = containerSpec(pod, status.name)?.image ?? status.image ?? 'unknown image';
		message = `Container ${status.name} cannot pull image "${image}" (${reason})${detail}`;
	} else if (reason === 'CrashLoopBackOff') {
		const last = status.lastState?.terminated;
		const exit = last?.exitCode !== undefined ? `, last exit code ${last.exitCode}` : '';
		message = `Container ${status.name} keeps crashing (CrashLoopBackOff, ${status.restartCount ?? 0} restarts${exit})${detail}`;
	} else {
		message = `Container ${status.name} cannot start (${reason})${detail}`;
	}
	return { reason, message, pod: podName(pod), container: status.name };
}

function terminatedProblem(pod: PodLike, status: ContainerStatusLike): PodProblem | undefined {
	// A restarted container's failure lives in lastState; the current state may already be waiting again.
	for (const terminated of [status.state?.terminated, status.lastState?.terminated]) {
		if (!terminated) continue;
		if (terminated.reason === 'OOMKilled') {
			const limit = memoryLimit(pod, status.name);
			return {
				reason: 'OOMKilled',
				message: `Container ${status.name} was OOMKilled (exit code ${terminated.exitCode ?? 137}) ${
					limit
						? `at its memory limit of ${limit}`
						: 'with no memory limit set (the node ran out of memory)'
				}: raise the memory limit or lower the build's memory use`,
				pod: podName(pod),
				container: status.name,
			};
		}
		if (terminated.exitCode !== undefined && terminated.exitCode !== 0) {
			const how = terminated.signal
				? `was killed by signal ${terminated.signal}`
				: `exited with code ${terminated.exitCode}`;
			return {
				reason: failedContainerReason(status.name),
				message: `Container ${status.name} ${how}${failureDetail(terminated.message)}`,
				pod: podName(pod),
				container: status.name,
			};
		}
	}
	return undefined;
}

/** The problems of one pod, most specific first: OOM beats a plain exit code, both beat a pod-level reason. */
function podProblems(pod: PodLike): PodProblem[] {
	const found: PodProblem[] = [];
	const statuses = containerStatuses(pod);
	for (const { status } of statuses) {
		const problem = terminatedProblem(pod, status);
		if (problem?.reason === 'OOMKilled') found.push(problem);
	}
	for (const { status } of statuses) {
		const problem = waitingProblem(pod, status);
		if (problem) found.push(problem);
	}
	const cond = unschedulable(pod);
	if (cond) {
		found.push({
			reason: 'Unschedulable',
			message: `Pod ${podName(pod)} cannot be scheduled${cond.message ? `: ${cond.message}` : ''}`,
			pod: podName(pod),
		});
	}
	for (const { status } of statuses) {
		const problem = terminatedProblem(pod, status);
		if (problem && problem.reason !== 'OOMKilled') found.push(problem);
	}
	if (pod.status?.reason && pod.status.phase === 'Failed') {
		found.push({
			reason: pod.status.reason,
			message: `Pod ${podName(pod)} failed (${pod.status.reason})${pod.status.message ? `: ${pod.status.message}` : ''}`,
			pod: podName(pod),
		});
	}
	return found;
}

/** The most telling problem across the Job's pods (newest pod first), or undefined when none shows one. */
export function diagnosePods(pods: PodLike[]): PodProblem | undefined {
	for (const pod of newestFirst(pods)) {
		const [first] = podProblems(pod);
		if (first) return first;
	}
	return undefined;
}

export interface StuckCheck {
	stuck?: PodProblem & { sinceMs: number };
	/** When a problem seen now would reach stuckAfter: the next moment worth looking again. */
	nextCheckAt?: number;
}

/**
 * When a container entered its current waiting state, as well as the pod status tells: the end of the container
 * that ran before it (previous init container, or its own last run), else when the pod was scheduled or started.
 */
function waitingSince(pod: PodLike, status: ContainerStatusLike): number | undefined {
	if (status.state?.waiting?.reason === 'CrashLoopBackOff') {
		// Crash-looping began with the first crash; the pod start is the closest bound the status keeps.
		return ms(pod.status?.startTime) ?? ms(pod.metadata?.creationTimestamp);
	}
	const statuses = containerStatuses(pod);
	const index = statuses.findIndex((s) => s.status === status);
	for (let i = index - 1; i >= 0; i--) {
		const finished = ms(statuses[i].status.state?.terminated?.finishedAt);
		if (finished !== undefined) return finished;
	}
	const scheduled = pod.status?.conditions?.find(
		(c) => c.type === 'PodScheduled' && c.status === 'True',
	);
	return (
		ms(scheduled?.lastTransitionTime) ??
		ms(pod.status?.startTime) ??
		ms(pod.metadata?.creationTimestamp)
	);
}

/**
 * Finds a pod that has sat in ImagePullBackOff / Unschedulable / CrashLoopBackOff (or another state that never
 * resolves by itself) for at least stuckAfterMs. `firstSeen` remembers when this process first saw each problem,
 * for states the pod status carries no time for; the caller keeps it between checks.
 */
export function findStuckPod(
	pods: PodLike[],
	now: number,
	stuckAfterMs: number,
	firstSeen: Map<string, number>,
): StuckCheck {
	let nextCheckAt: number | undefined;
	const seenNow = new Set<string>();
	for (const pod of newestFirst(pods)) {
		if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
		const candidates: Array<{ problem: PodProblem; since?: number }> = [];
		const cond = unschedulable(pod);
		if (cond) {
			candidates.push({
				problem: {
					reason: 'Unschedulable',
					message: `Pod ${podName(pod)} cannot be scheduled${cond.message ? `: ${cond.message}` : ''}`,
					pod: podName(pod),
				},
				since: ms(cond.lastTransitionTime),
			});
		}
		for (const { status } of containerStatuses(pod)) {
			const problem = waitingProblem(pod, status);
			if (problem) candidates.push({ problem, since: waitingSince(pod, status) });
		}
		for (const { problem, since } of candidates) {
			const key = `${problem.pod}/${problem.container ?? ''}/${problem.reason}`;
			seenNow.add(key);
			if (!firstSeen.has(key)) firstSeen.set(key, now);
			const start = Math.min(since ?? Infinity, firstSeen.get(key)!);
			if (now - start >= stuckAfterMs) {
				const seconds = Math.round((now - start) / 1000);
				return {
					stuck: {
						...problem,
						message: `${problem.message} (for ${seconds} s, stuckAfterSeconds is ${Math.round(stuckAfterMs / 1000)})`,
						sinceMs: start,
					},
				};
			}
			nextCheckAt = Math.min(nextCheckAt ?? Infinity, start + stuckAfterMs);
		}
	}
	// A problem that cleared up must start its clock again if it comes back.
	for (const key of [...firstSeen.keys()]) if (!seenNow.has(key)) firstSeen.delete(key);
	return { nextCheckAt };
}

export interface BuildOutput {
	digest?: string;
	image?: string;
	/** Whether the registry build cache was written (absent when the build exported none or did not say). */
	cacheWritten?: boolean;
}

const DIGEST = /sha256:[0-9a-f]{64}/;

/**
 * The build container's result: `{"digest","image"}` written to its termination message (the Create BuildKit
 * Job contract), from the newest pod that has one. Falls back to the first sha256 digest in the message.
 */
export function readBuildOutput(pods: PodLike[]): BuildOutput {
	for (const pod of newestFirst(pods)) {
		const status = pod.status?.containerStatuses?.find((c) => c.name === BUILD_CONTAINER);
		const message = status?.state?.terminated?.message?.trim();
		if (!message) continue;
		try {
			const parsed = JSON.parse(message) as { digest?: unknown; image?: unknown; cache?: unknown };
			const digest =
				typeof parsed.digest === 'string' && DIGEST.test(parsed.digest) ? parsed.digest : undefined;
			const image = typeof parsed.image === 'string' && parsed.image ? parsed.image : undefined;
			const cacheWritten =
				parsed.cache === 'written' ? true : parsed.cache === 'not written' ? false : undefined;
			if (digest || image)
				return { digest, image, ...(cacheWritten === undefined ? {} : { cacheWritten }) };
		} catch {
			const match = DIGEST.exec(message);
			if (match) return { digest: match[0] };
		}
	}
	return {};
}

/** `registry:5000/app/web:1.2` → `registry:5000/app/web`: the tag is after the last colon of the last path part. */
export function repositoryOf(image: string): string {
	const withoutDigest = image.split('@')[0];
	const slash = withoutDigest.lastIndexOf('/');
	const colon = withoutDigest.lastIndexOf(':');
	return colon > slash ? withoutDigest.slice(0, colon) : withoutDigest;
}

/**
 * BuildKit's plain-progress lines that name the pushed image's digest, most telling first: the push of a tag
 * (`pushing manifest for <ref>@sha256:…`), else the exported index or manifest. The cache export that follows
 * writes its own manifest (`writing cache image manifest sha256:…`), which is never the image.
 */
const IMAGE_DIGEST_LINES = [
	/pushing manifest for \S+@(sha256:[0-9a-f]{64})/,
	/exporting manifest list (sha256:[0-9a-f]{64})/,
	/exporting manifest (sha256:[0-9a-f]{64})/,
];

/** The image digest a BuildKit build log reports (the last match of the most telling kind), if any. */
export function digestFromLog(text: string): string | undefined {
	const lines = text.split('\n').reverse();
	for (const pattern of IMAGE_DIGEST_LINES) {
		for (const line of lines) {
			const match = pattern.exec(line);
			if (match) return match[1];
		}
	}
	return undefined;
}
