/**
 * Pure classification of a Job's status into where it stands. Works on both shapes the client hands out:
 * typed objects from list/read calls (timestamps are Date) and raw watch objects (timestamps are strings).
 */

export type KubeTime = Date | string | null | undefined;

export interface JobConditionLike {
	type?: string;
	status?: string;
	reason?: string;
	message?: string;
	lastTransitionTime?: KubeTime;
}

export interface JobLike {
	metadata?: {
		name?: string;
		namespace?: string;
		uid?: string;
		resourceVersion?: string;
		creationTimestamp?: KubeTime;
		annotations?: Record<string, string>;
		labels?: Record<string, string>;
	};
	spec?: { suspend?: boolean; activeDeadlineSeconds?: number; backoffLimit?: number };
	status?: {
		conditions?: JobConditionLike[];
		startTime?: KubeTime;
		completionTime?: KubeTime;
		active?: number;
		succeeded?: number;
		failed?: number;
		ready?: number;
	};
}

export type JobProgress =
	| { state: 'succeeded' | 'failed'; reason: string; message: string; finishedAt?: string }
	/** SuccessCriteriaMet / FailureTarget: the outcome is decided, the pods are still being terminated. */
	| { state: 'finishing'; toward: 'succeeded' | 'failed'; reason: string; message: string }
	| { state: 'suspended' | 'running' | 'pending'; reason?: undefined; message?: undefined };

export function toIsoTime(time: KubeTime): string | undefined {
	if (time === null || time === undefined || time === '') return undefined;
	const date = time instanceof Date ? time : new Date(time);
	return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function trueCondition(job: JobLike, type: string): JobConditionLike | undefined {
	// kubectl compares condition types case-insensitively; so do we.
	return job.status?.conditions?.find(
		(c) => c.type?.toLowerCase() === type.toLowerCase() && c.status === 'True',
	);
}

/** Where the Job stands. Terminal only on Complete=True or Failed=True, as the Job API defines "finished". */
export function classifyJob(job: JobLike): JobProgress {
	const complete = trueCondition(job, 'Complete');
	if (complete) {
		return {
			state: 'succeeded',
			reason: complete.reason || 'Complete',
			message: complete.message || 'Job completed',
			finishedAt: toIsoTime(job.status?.completionTime) ?? toIsoTime(complete.lastTransitionTime),
		};
	}
	const failed = trueCondition(job, 'Failed');
	if (failed) {
		return {
			state: 'failed',
			reason: failed.reason || 'Failed',
			message: failed.message || 'Job failed',
			finishedAt: toIsoTime(failed.lastTransitionTime),
		};
	}
	const successMet = trueCondition(job, 'SuccessCriteriaMet');
	if (successMet) {
		return {
			state: 'finishing',
			toward: 'succeeded',
			reason: successMet.reason || 'SuccessCriteriaMet',
			message: successMet.message || 'Success criteria met',
		};
	}
	const failureTarget = trueCondition(job, 'FailureTarget');
	if (failureTarget) {
		return {
			state: 'finishing',
			toward: 'failed',
			reason: failureTarget.reason || 'FailureTarget',
			message: failureTarget.message || 'Job is about to fail',
		};
	}
	if (job.spec?.suspend || trueCondition(job, 'Suspended')) return { state: 'suspended' };
	if (job.status?.startTime || (job.status?.active ?? 0) > 0) return { state: 'running' };
	return { state: 'pending' };
}

export function isTerminal(
	progress: JobProgress,
): progress is Extract<JobProgress, { state: 'succeeded' | 'failed' }> {
	return progress.state === 'succeeded' || progress.state === 'failed';
}
