import type { JobWatchEnd } from './watcher';
import { classifyJob, toIsoTime, type JobLike } from './outcome';
import {
	BUILD_CONTAINER,
	diagnosePods,
	digestFromLog,
	readBuildOutput,
	repositoryOf,
	summarizePods,
	type PodLike,
	type PodProblem,
	type PodSummary,
} from './podDiagnosis';

/** The Wait for Job output (docs/nodes/wait-for-job.md). Absent values are null so every item has the same shape. */
export interface WaitForJobResult {
	jobName: string;
	namespace: string;
	status: 'succeeded' | 'failed' | 'timeout' | 'stuck';
	reason: string;
	message: string;
	startedAt: string | null;
	finishedAt: string | null;
	durationSeconds: number | null;
	image: string | null;
	digest: string | null;
	imageRef: string | null;
	/** Whether the build wrote its registry cache: false means the next build starts without it; null when not known. */
	cacheWritten: boolean | null;
	logTail: string;
	pods: PodSummary[];
	/** True when deleteWhenDone removed the Job. */
	deleted: boolean;
}

export type WaitEnd = JobWatchEnd | { kind: 'stuck'; job?: JobLike; problem: PodProblem };

export interface ResultInput {
	jobName: string;
	namespace: string;
	end: WaitEnd;
	pods: PodLike[];
	logTail: string;
	/** Epoch ms when the wait ended: the end of the duration for Jobs that have not finished. */
	endedAt: number;
	timeoutSeconds: number;
}

/** The annotation Create BuildKit Job writes: comma-separated refs, the first is the primary image. */
export const IMAGES_ANNOTATION = 'buildkit.n8n.io/images';
/** The SBOM scanner image the build pulls (Create BuildKit Job sets it when SBOM is on). */
export const SBOM_GENERATOR_ANNOTATION = 'buildkit.n8n.io/sbom-generator';

function primaryImage(job: JobLike | undefined): string | undefined {
	return job?.metadata?.annotations?.[IMAGES_ANNOTATION]?.split(',')[0]?.trim() || undefined;
}

function seconds(from: string | undefined, to: string | number | undefined): number | null {
	if (!from || to === undefined) return null;
	const end = typeof to === 'number' ? to : Date.parse(to);
	const value = (end - Date.parse(from)) / 1000;
	return Number.isFinite(value) ? Math.max(0, Math.round(value * 1000) / 1000) : null;
}

/** The last known state of a Job that has not finished, for timeout messages. */
function progressNote(job: JobLike | undefined, problem: PodProblem | undefined): string {
	if (!job) return '';
	const progress = classifyJob(job);
	if (progress.state === 'finishing')
		return `; it was finishing (${progress.reason}: ${progress.message})`;
	if (problem) return `; ${problem.message}`;
	return `; it was ${progress.state}`;
}

/** Docker Hub names as BuildKit prints them: `docker/x:1` is `docker.io/docker/x:1`, `alpine` is `docker.io/library/alpine`. */
function spellings(image: string): string[] {
	const first = image.split('/')[0];
	if (image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost'))
		return [image];
	return [image, `docker.io/${image.includes('/') ? image : `library/${image}`}`];
}

/**
 * A build that failed because BuildKit could not pull the SBOM scanner image (Docker Hub by default, which
 * air-gapped clusters cannot reach) gets a diagnosis naming the image and both ways out.
 */
function sbomGeneratorProblem(
	job: JobLike | undefined,
	problem: PodProblem | undefined,
): PodProblem | undefined {
	const generator = job?.metadata?.annotations?.[SBOM_GENERATOR_ANNOTATION];
	if (
		!generator ||
		!problem ||
		problem.container !== BUILD_CONTAINER ||
		problem.reason !== 'BuildFailed'
	)
		return problem;
	if (
		!spellings(generator).some(
			(name) => problem.message.includes(`${name}:`) || problem.message.includes(`${name} `),
		)
	)
		return problem;
	return {
		...problem,
		reason: 'SbomGeneratorUnavailable',
		message:
			`BuildKit could not pull the SBOM scanner image ${generator} (${problem.message}): mirror it into a registry the cluster can reach ` +
			'and name the copy in Create BuildKit Job → Options → SBOM Generator, or leave SBOM out of Options → Attestations',
	};
}

/** Combines how the wait ended, the Job, its pods and the log tail into the output item (pure). */
export function assembleResult(input: ResultInput): WaitForJobResult {
	const { jobName, namespace, end, pods } = input;
	const job = 'job' in end ? end.job : undefined;
	const startedAt =
		toIsoTime(job?.status?.startTime) ?? toIsoTime(job?.metadata?.creationTimestamp);
	const base = {
		jobName,
		namespace,
		startedAt: startedAt ?? null,
		finishedAt: null as string | null,
		durationSeconds: seconds(startedAt, input.endedAt),
		image: primaryImage(job) ?? null,
		digest: null as string | null,
		imageRef: null as string | null,
		cacheWritten: null as boolean | null,
		logTail: input.logTail,
		pods: summarizePods(pods),
		deleted: false,
	};
	const problem = sbomGeneratorProblem(
		job,
		end.kind === 'stuck' ? end.problem : diagnosePods(pods),
	);

	switch (end.kind) {
		case 'terminal': {
			const progress = classifyJob(end.job);
			if (progress.state !== 'succeeded' && progress.state !== 'failed') break;
			const finished = {
				...base,
				finishedAt: progress.finishedAt ?? null,
				durationSeconds: seconds(startedAt, progress.finishedAt ?? input.endedAt),
			};
			if (progress.state === 'succeeded') {
				const output = readBuildOutput(pods);
				const image = output.image ?? base.image;
				const digest = output.digest ?? digestFromLog(input.logTail) ?? null;
				const cacheNote =
					output.cacheWritten === false
						? '; the build cache was not written, so the next build starts without it (see the log)'
						: '';
				return {
					...finished,
					status: 'succeeded',
					reason: progress.reason,
					message: `Job ${jobName} completed${digest ? ` and pushed ${image ?? 'its image'}@${digest}` : ''}${cacheNote}`,
					image,
					digest,
					imageRef: image && digest ? `${repositoryOf(image)}@${digest}` : null,
					cacheWritten: output.cacheWritten ?? null,
				};
			}
			// The deadline is the cause even when the killed container shows an exit code; otherwise the pod says why.
			if (progress.reason === 'DeadlineExceeded' || !problem) {
				const during = problem ? ` (${problem.message})` : '';
				return {
					...finished,
					status: 'failed',
					reason: progress.reason,
					message: `Job ${jobName} failed: ${progress.reason}: ${progress.message}${during}`,
				};
			}
			return {
				...finished,
				status: 'failed',
				reason: problem.reason,
				message: `Job ${jobName} failed: ${problem.message} (${progress.reason}: ${progress.message})`,
			};
		}
		case 'deleted':
			return {
				...base,
				status: 'failed',
				reason: 'JobDeleted',
				message: `Job ${jobName} was deleted while waiting for it to finish${progressNote(job, problem)}`,
			};
		case 'notFound':
			return {
				...base,
				status: 'failed',
				reason: 'NotFound',
				message: `Job ${jobName} was not found in namespace ${namespace}: check Job Name and Namespace (a finished Job is also removed once its ttlSecondsAfterFinished passes)`,
			};
		case 'stuck':
			return {
				...base,
				status: 'stuck',
				reason: end.problem.reason,
				message: `Job ${jobName} is stuck: ${end.problem.message}`,
			};
		case 'deadline':
		case 'aborted':
			break;
	}
	return {
		...base,
		status: 'timeout',
		reason: 'WaitTimeout',
		message: `Job ${jobName} did not finish within ${input.timeoutSeconds} s (Timeout Seconds)${progressNote(job, problem)}`,
	};
}
