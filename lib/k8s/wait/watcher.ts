import type * as k8s from '@kubernetes/client-node';
import { RemoteError } from '../../errors';
import { kubernetesClient } from '../kubernetesClient';
import { watchRound, watchTimeoutSeconds } from '../watchRound';
import {
	describeKubernetesError,
	hintForAdmissionDenial,
	type KubernetesApiFailure,
} from '../apiError';
import { classifyJob, isTerminal, type JobLike } from './outcome';

/**
 * Follows one Job until it is terminal, deleted, the deadline passes or the caller aborts: LIST (by name), then
 * WATCH from the list's resourceVersion, the way client-go's reflector does, so a quiet Job costs one LIST and
 * one WATCH. Every break is recovered from without losing an event:
 * - the stream ends (server timeout, dropped connection) or the client's 30 s inactivity abort fires
 *   → watch again from the last resourceVersion seen (BOOKMARKs included);
 * - 410 Gone (as an ERROR event or an HTTP status) or another ERROR event → LIST again;
 * - a reset connection, a server down or a 5xx → back off, then watch again from the same resourceVersion;
 *   a failed LIST → back off, LIST again. Only errors no retry can fix (401/403/400/422...) are thrown.
 */

export interface JobWatchOptions {
	kc: k8s.KubeConfig;
	namespace: string;
	jobName: string;
	/** Epoch ms at which to give up with `deadline`. */
	deadline: number;
	/** Aborting ends the watch with `aborted` (stuck detection uses this). */
	signal?: AbortSignal;
	/** Called with every state of the Job seen, first from the LIST. */
	onJob?: (job: JobLike) => void;
	/** Server-side watch timeout; below client-node 2.x's 30 s inactivity abort so streams end cleanly. */
	watchTimeoutSeconds?: number;
}

export type JobWatchEnd =
	| { kind: 'terminal'; job: JobLike }
	/** The Job was deleted (or replaced by a new one with the same name) while we waited. */
	| { kind: 'deleted'; job: JobLike }
	| { kind: 'notFound' }
	| { kind: 'deadline'; job?: JobLike }
	| { kind: 'aborted'; job?: JobLike };

export interface JobWatchStats {
	lists: number;
	watches: number;
	/** LISTs caused by 410 Gone / ERROR events. */
	relists: number;
	/** Failed requests that were retried. */
	retries: number;
}

/** A failure retrying cannot fix (bad token, no RBAC, bad request). */
export class JobWatchApiError extends RemoteError {
	/** `rightsHint`: which rights the watch needs and where they come from (a Job wait's by default). */
	constructor(
		readonly failure: KubernetesApiFailure,
		rightsHint = 'The identity needs get/list/watch on jobs and list on pods in the namespace (deploy/ Role build-job-manager)',
	) {
		const denial = failure.admissionPolicy;
		super(
			denial
				? `Kubernetes API refused the wait: admission policy "${denial.policy}" denied it: ${denial.rule}`
				: `Kubernetes API refused the wait: ${failure.message}`,
			{
				statusCode: failure.statusCode,
				hint: denial ? hintForAdmissionDenial(denial.policy) : rightsHint,
			},
		);
	}
}

const statusCodeOf = (error: unknown): number | undefined =>
	describeKubernetesError(error).statusCode;

/** 4xx other than timeouts, conflicts, 410 and throttling: the request itself is refused and will stay refused. */
export function isPermanentFailure(statusCode: number | undefined): boolean {
	return (
		statusCode !== undefined &&
		statusCode >= 400 &&
		statusCode < 500 &&
		![408, 409, 410, 429].includes(statusCode)
	);
}

/** How the job's event handler ends a watch round. */
type JobRoundEnd = { end: 'terminal' | 'deleted'; job: JobLike };

export async function watchJob(
	options: JobWatchOptions,
	stats: JobWatchStats = { lists: 0, watches: 0, relists: 0, retries: 0 },
): Promise<JobWatchEnd> {
	const { kc, namespace, jobName, deadline, signal } = options;
	const batch = kc.makeApiClient(kubernetesClient().BatchV1Api);
	const fieldSelector = `metadata.name=${jobName}`;
	const path = `/apis/batch/v1/namespaces/${encodeURIComponent(namespace)}/jobs`;
	let last: JobLike | undefined;
	let uid: string | undefined;
	let failures = 0;

	const stopped = (): JobWatchEnd | undefined => {
		if (signal?.aborted) return { kind: 'aborted', job: last };
		if (Date.now() >= deadline) return { kind: 'deadline', job: last };
		return undefined;
	};
	const observe = (job: JobLike): 'terminal' | 'replaced' | 'running' => {
		if (uid && job.metadata?.uid && job.metadata.uid !== uid) return 'replaced';
		uid = job.metadata?.uid ?? uid;
		last = job;
		options.onJob?.(job);
		return isTerminal(classifyJob(job)) ? 'terminal' : 'running';
	};
	const backOff = async (): Promise<void> => {
		failures++;
		stats.retries++;
		const base = Math.min(5000, 200 * 2 ** Math.min(failures - 1, 5));
		await sleepUntil(Math.min(deadline, Date.now() + base * (0.5 + Math.random() / 2)), signal);
	};

	for (;;) {
		const stop = stopped();
		if (stop) return stop;
		let list: k8s.V1JobList;
		try {
			stats.lists++;
			list = await batch.listNamespacedJob({ namespace, fieldSelector });
		} catch (error) {
			if (isPermanentFailure(statusCodeOf(error)))
				throw new JobWatchApiError(describeKubernetesError(error));
			await backOff();
			continue;
		}
		failures = 0;
		const job = list.items.find((j) => j.metadata?.name === jobName);
		if (!job) return last ? { kind: 'deleted', job: last } : { kind: 'notFound' };
		const seen = observe(job);
		if (seen === 'replaced') return { kind: 'deleted', job: last! };
		if (seen === 'terminal') return { kind: 'terminal', job };
		// The list's RV, not the Job's own: a quiet Job's RV can be older than the watch window (→ endless 410s).
		let rv = list.metadata?.resourceVersion ?? job.metadata?.resourceVersion;
		let quickEmptyRounds = 0;

		watching: for (;;) {
			const stop = stopped();
			if (stop) return stop;
			stats.watches++;
			const round = await watchRound<JobLike, JobRoundEnd>(
				kc,
				path,
				{
					fieldSelector,
					resourceVersion: rv,
					allowWatchBookmarks: true,
					timeoutSeconds: watchTimeoutSeconds(options.watchTimeoutSeconds, deadline),
				},
				deadline,
				signal,
				(type, obj) => {
					const next = obj?.metadata?.resourceVersion;
					if (next) rv = next;
					if (type === 'DELETED') return { end: 'deleted', job: obj };
					if (type !== 'ADDED' && type !== 'MODIFIED') return undefined;
					const seen = observe(obj);
					if (seen === 'terminal') return { end: 'terminal', job: obj };
					if (seen === 'replaced') return { end: 'deleted', job: obj };
					return undefined;
				},
			);
			switch (round.end) {
				case 'terminal':
					return { kind: 'terminal', job: round.job };
				case 'deleted':
					// A replacement Job with the same name is not ours: report the one we were following.
					return {
						kind: 'deleted',
						job: uid && round.job.metadata?.uid !== uid && last ? last : round.job,
					};
				case 'deadline':
					return { kind: 'deadline', job: last };
				case 'aborted':
					return { kind: 'aborted', job: last };
				case 'relist':
					stats.relists++;
					break watching;
				case 'failed':
					if (round.events > 0) failures = 0;
					if (isPermanentFailure(statusCodeOf(round.error)))
						throw new JobWatchApiError(describeKubernetesError(round.error));
					// A reset connection or a server that is down for a moment: our RV is still good, so watch from it
					// again (as client-go's reflector does); if the server lost it, the next watch says 410 and we LIST.
					await backOff();
					continue;
				case 'closed':
					failures = 0;
					// A server that closes every watch at once would otherwise be hammered; real ends are rarely instant.
					quickEmptyRounds = round.events === 0 && round.ms < 200 ? quickEmptyRounds + 1 : 0;
					if (quickEmptyRounds > 1)
						await sleepUntil(
							Math.min(deadline, Date.now() + Math.min(1000, 25 * 2 ** quickEmptyRounds)),
							signal,
						);
					continue;
			}
		}
	}
}

export function sleepUntil(at: number, signal?: AbortSignal): Promise<void> {
	if (signal?.aborted) return Promise.resolve();
	return new Promise((resolve) => {
		const done = (): void => {
			clearTimeout(timer);
			signal?.removeEventListener('abort', done);
			resolve();
		};
		const timer = setTimeout(done, Math.max(0, at - Date.now()));
		signal?.addEventListener('abort', done, { once: true });
	});
}
