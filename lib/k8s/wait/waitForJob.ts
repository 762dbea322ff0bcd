import type * as k8s from '@kubernetes/client-node';
import { kubernetesClient } from '../kubernetesClient';
import { describeKubernetesError } from '../apiError';
import { redactUrlCredentials } from '../../gitUrl';
import { chooseLogSource, LOG_TAIL_MAX_BYTES, readLogTail } from './logs';
import { watchJob, type JobWatchStats } from './watcher';
import { classifyJob, type JobLike } from './outcome';
import { listJobPods } from './pods';
import { assembleResult, type WaitEnd, type WaitForJobResult } from './result';
import { StuckPodMonitor } from './stuckPod';
import { diagnosePods, type PodLike, type PodProblem } from './podDiagnosis';
import { InputError } from '../../errors';
import { validateDns1123Label } from '../build/kubernetesFields';
import { WAIT_DEFAULTS } from './defaults';

export type { WaitForJobResult } from './result';

export interface WaitForJobOptions {
	namespace: string;
	jobName: string;
	/** Give up with status `timeout` after this long. */
	timeoutSeconds?: number;
	/** A pod in ImagePullBackOff / Unschedulable / CrashLoopBackOff this long ends the wait as `stuck`; 0 turns it off. */
	stuckAfterSeconds?: number;
	logTailLines?: number;
	logTailMaxBytes?: number;
	/** Delete the Job (propagationPolicy Background, so its pods go too) once the wait has its result. */
	deleteWhenDone?: boolean;
	/** Cancels the wait (e.g. the n8n execution was stopped). */
	signal?: AbortSignal;
	/** Server-side timeout of each WATCH request (default 25 s, below the client's 30 s inactivity abort). */
	watchTimeoutSeconds?: number;
}

export interface WaitForJobStats extends JobWatchStats {
	podLists: number;
	logReads: number;
	/** Epoch ms when the watch ended (the outcome was known), before the pods and log reads. */
	noticedAt?: number;
}

export class WaitCancelledError extends Error {
	constructor(jobName: string) {
		super(`Stopped waiting for Job ${jobName}: the execution was cancelled`);
		this.name = 'WaitCancelledError';
	}
}

function validate(
	options: WaitForJobOptions,
): Required<Pick<WaitForJobOptions, 'timeoutSeconds' | 'stuckAfterSeconds' | 'logTailLines'>> {
	validateDns1123Label(
		options.jobName,
		'jobName',
		'Job name (e.g. the jobName output of Create BuildKit Job)',
	);
	validateDns1123Label(options.namespace, 'namespace', 'namespace name');
	const timeoutSeconds = options.timeoutSeconds ?? WAIT_DEFAULTS.timeoutSeconds;
	if (!(timeoutSeconds > 0))
		throw new InputError('timeoutSeconds', 'Timeout Seconds must be greater than 0');
	const stuckAfterSeconds = options.stuckAfterSeconds ?? WAIT_DEFAULTS.stuckAfterSeconds;
	if (!(stuckAfterSeconds >= 0))
		throw new InputError('stuckAfterSeconds', 'Stuck After Seconds must be 0 (off) or more');
	const logTailLines = options.logTailLines ?? WAIT_DEFAULTS.logTailLines;
	if (!(logTailLines >= 0))
		throw new InputError('logTailLines', 'Log Tail Lines must be 0 or more');
	return { timeoutSeconds, stuckAfterSeconds, logTailLines };
}

/**
 * Waits for one Job to finish and explains the outcome: watches the Job (jobWatcher), watches for stuck pods
 * (StuckPodMonitor), then reads the pods and one log tail once, at the end. Throws only for bad input, a
 * refused API (JobWatchApiError) or cancellation; every Job outcome is a result.
 */
export async function waitForJob(
	kc: k8s.KubeConfig,
	options: WaitForJobOptions,
	stats: WaitForJobStats = {
		lists: 0,
		watches: 0,
		relists: 0,
		retries: 0,
		podLists: 0,
		logReads: 0,
	},
): Promise<WaitForJobResult> {
	const { timeoutSeconds, stuckAfterSeconds, logTailLines } = validate(options);
	const { namespace, jobName } = options;
	const deadline = Date.now() + timeoutSeconds * 1000;
	let uid: string | undefined;
	const pods = (): Promise<PodLike[]> => {
		stats.podLists++;
		return listJobPods(kc, namespace, jobName, uid);
	};

	const stop = new AbortController();
	const cancel = (): void => stop.abort();
	options.signal?.addEventListener('abort', cancel, { once: true });
	let stuck: PodProblem | undefined;
	const monitor =
		stuckAfterSeconds > 0
			? new StuckPodMonitor({
					stuckAfterMs: stuckAfterSeconds * 1000,
					listPods: pods,
					onStuck: (problem) => {
						stuck = problem;
						stop.abort();
					},
				})
			: undefined;

	let end: WaitEnd;
	try {
		if (options.signal?.aborted) throw new WaitCancelledError(jobName);
		end = await watchJob(
			{
				kc,
				namespace,
				jobName,
				deadline,
				signal: stop.signal,
				watchTimeoutSeconds: options.watchTimeoutSeconds,
				onJob: (job: JobLike) => {
					uid = job.metadata?.uid ?? uid;
					monitor?.jobSeen(job);
				},
			},
			stats,
		);
	} finally {
		stats.noticedAt = Date.now();
		monitor?.stop();
		options.signal?.removeEventListener('abort', cancel);
	}
	if (end.kind === 'aborted') {
		if (!stuck) throw new WaitCancelledError(jobName);
		end = { kind: 'stuck', job: end.job, problem: stuck };
	}

	const finalPods = end.kind === 'notFound' ? [] : await pods().catch(() => [] as PodLike[]);
	const failed =
		end.kind === 'terminal' && classifyJob(end.job).state === 'succeeded'
			? undefined
			: end.kind === 'stuck'
				? end.problem
				: diagnosePods(finalPods);
	const source = chooseLogSource(finalPods, failed);
	let logTail = '';
	if (source && logTailLines > 0) {
		stats.logReads++;
		logTail = await readLogTail(
			kc,
			namespace,
			source,
			logTailLines,
			options.logTailMaxBytes ?? LOG_TAIL_MAX_BYTES,
		);
	}
	const result = assembleResult({
		jobName,
		namespace,
		end,
		pods: finalPods,
		logTail,
		endedAt: Date.now(),
		timeoutSeconds,
	});
	result.message = redactUrlCredentials(result.message);

	if (options.deleteWhenDone && end.kind !== 'notFound' && end.kind !== 'deleted') {
		try {
			await kc
				.makeApiClient(kubernetesClient().BatchV1Api)
				.deleteNamespacedJob({ name: jobName, namespace, propagationPolicy: 'Background' });
			result.deleted = true;
		} catch (error) {
			const failure = describeKubernetesError(error);
			// Already gone (TTL controller) is what we wanted; anything else is worth saying, not worth failing over.
			if (failure.statusCode === 404) result.deleted = true;
			else result.message += ` (deleting the Job failed: ${failure.message})`;
		}
	}
	return result;
}
