/**
 * Job and Pod objects shaped like `kubectl get -o json` output of a BuildKit build Job (git-clone init container,
 * buildkit container), as the watch hands them over (timestamps are strings). Each builder returns a fresh object.
 */
import type { JobLike } from '../../../lib/k8s/wait/outcome';
import type {
	ContainerStatusLike,
	PodConditionLike,
	PodLike,
} from '../../../lib/k8s/wait/podDiagnosis';

export const UID = '4f1c2d9e-8a7b-4c3d-9e2f-1a2b3c4d5e6f';
export const DIGEST = 'sha256:9b2a6f0c1e4d7a8b3c5e6f7081929a3b4c5d6e7f8091a2b3c4d5e6f708192a3b';

export function job(
	status: JobLike['status'] = {},
	extra: { name?: string; annotations?: Record<string, string> } = {},
): JobLike {
	return {
		metadata: {
			name: extra.name ?? 'webapp-build-7f3a9c1',
			namespace: 'build-system',
			uid: UID,
			resourceVersion: '48213',
			creationTimestamp: '2025-11-20T10:00:00Z',
			labels: { webapp: 'webapp', 'app.kubernetes.io/managed-by': 'n8n-nodes-buildkit' },
			annotations: extra.annotations ?? {
				'buildkit.n8n.io/images':
					'127.0.0.1:5000/webapp/app:1.4.2,127.0.0.1:5000/webapp/app:latest',
				'buildkit.n8n.io/git-url': 'http://127.0.0.1:3000/webapp.git',
				'buildkit.n8n.io/git-revision': 'main',
			},
		},
		spec: { backoffLimit: 0, activeDeadlineSeconds: 1800 },
		status,
	};
}

export const completeStatus: JobLike['status'] = {
	startTime: '2025-11-20T10:00:01Z',
	completionTime: '2025-11-20T10:01:31Z',
	succeeded: 1,
	ready: 0,
	conditions: [
		{
			type: 'SuccessCriteriaMet',
			status: 'True',
			reason: 'CompletionsReached',
			message: 'Reached expected number of succeeded pods',
			lastTransitionTime: '2025-11-20T10:01:30Z',
		},
		{
			type: 'Complete',
			status: 'True',
			reason: 'CompletionsReached',
			message: 'Reached expected number of succeeded pods',
			lastTransitionTime: '2025-11-20T10:01:31Z',
		},
	],
};

export const backoffFailedStatus: JobLike['status'] = {
	startTime: '2025-11-20T10:00:01Z',
	failed: 1,
	ready: 0,
	conditions: [
		{
			type: 'FailureTarget',
			status: 'True',
			reason: 'BackoffLimitExceeded',
			message: 'Job has reached the specified backoff limit',
			lastTransitionTime: '2025-11-20T10:00:45Z',
		},
		{
			type: 'Failed',
			status: 'True',
			reason: 'BackoffLimitExceeded',
			message: 'Job has reached the specified backoff limit',
			lastTransitionTime: '2025-11-20T10:00:46Z',
		},
	],
};

export const deadlineFailedStatus: JobLike['status'] = {
	startTime: '2025-11-20T10:00:01Z',
	failed: 1,
	conditions: [
		{
			type: 'FailureTarget',
			status: 'True',
			reason: 'DeadlineExceeded',
			message: 'Job was active longer than specified deadline',
			lastTransitionTime: '2025-11-20T10:30:01Z',
		},
		{
			type: 'Failed',
			status: 'True',
			reason: 'DeadlineExceeded',
			message: 'Job was active longer than specified deadline',
			lastTransitionTime: '2025-11-20T10:30:02Z',
		},
	],
};

export const runningStatus: JobLike['status'] = {
	startTime: '2025-11-20T10:00:01Z',
	active: 1,
	ready: 0,
};

const terminated = (
	exitCode: number,
	reason: string,
	at: string,
	message?: string,
): ContainerStatusLike['state'] => ({
	terminated: {
		exitCode,
		reason,
		startedAt: '2025-11-20T10:00:03Z',
		finishedAt: at,
		...(message ? { message } : {}),
	},
});

export function pod(
	init: Partial<ContainerStatusLike> | null,
	main: Partial<ContainerStatusLike> | null,
	extra: {
		name?: string;
		created?: string;
		phase?: string;
		reason?: string;
		message?: string;
		conditions?: PodConditionLike[];
	} = {},
): PodLike {
	return {
		metadata: {
			name: extra.name ?? 'webapp-build-7f3a9c1-x2k9p',
			uid: '0c9d8e7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f',
			creationTimestamp: extra.created ?? '2025-11-20T10:00:01Z',
			labels: {
				'batch.kubernetes.io/controller-uid': UID,
				'batch.kubernetes.io/job-name': 'webapp-build-7f3a9c1',
				'controller-uid': UID,
				'job-name': 'webapp-build-7f3a9c1',
			},
			ownerReferences: [{ kind: 'Job', uid: UID }],
		},
		spec: {
			initContainers: [
				{
					name: 'git-clone',
					image: 'alpine/git:2.47.2',
					resources: { limits: { memory: '256Mi' } },
				},
			],
			containers: [
				{
					name: 'buildkit',
					image: 'moby/buildkit:v0.23.2-rootless',
					resources: { limits: { memory: '2Gi', cpu: '2' }, requests: { memory: '512Mi' } },
				},
			],
		},
		status: {
			phase: extra.phase ?? 'Running',
			...(extra.reason ? { reason: extra.reason } : {}),
			...(extra.message ? { message: extra.message } : {}),
			startTime: '2025-11-20T10:00:01Z',
			conditions: extra.conditions ?? [
				{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2025-11-20T10:00:01Z' },
				{
					type: 'Initialized',
					status: init?.state?.terminated ? 'True' : 'False',
					lastTransitionTime: '2025-11-20T10:00:05Z',
				},
			],
			initContainerStatuses: init
				? [
						{
							name: 'git-clone',
							image: 'alpine/git:2.47.2',
							ready: false,
							restartCount: 0,
							...init,
						},
					]
				: [],
			containerStatuses: main
				? [
						{
							name: 'buildkit',
							image: 'moby/buildkit:v0.23.2-rootless',
							ready: false,
							restartCount: 0,
							...main,
						},
					]
				: [],
		},
	};
}

export const cloned = { state: terminated(0, 'Completed', '2025-11-20T10:00:05Z') };

export function succeededPod(
	message = JSON.stringify({ digest: DIGEST, image: '127.0.0.1:5000/webapp/app:1.4.2' }),
): PodLike {
	return pod(
		cloned,
		{ state: terminated(0, 'Completed', '2025-11-20T10:01:29Z', message) },
		{ phase: 'Succeeded' },
	);
}

export function oomPod(): PodLike {
	return pod(
		cloned,
		{ state: terminated(137, 'OOMKilled', '2025-11-20T10:00:44Z') },
		{ phase: 'Failed' },
	);
}

export function buildFailedPod(): PodLike {
	return pod(
		cloned,
		{
			state: terminated(
				1,
				'Error',
				'2025-11-20T10:00:44Z',
				'process "/bin/sh -c npm ci" did not complete successfully: exit code: 1',
			),
		},
		{ phase: 'Failed' },
	);
}

export function gitFailedPod(): PodLike {
	return pod(
		{
			state: terminated(
				128,
				'Error',
				'2025-11-20T10:00:04Z',
				"fatal: could not read from remote repository 'https://n8n:s3cr3t-token@git.example/webapp.git'",
			),
		},
		{ state: { waiting: { reason: 'PodInitializing' } } },
		{ phase: 'Failed' },
	);
}

export function imagePullPod(
	reason: 'ImagePullBackOff' | 'ErrImagePull' = 'ImagePullBackOff',
): PodLike {
	return pod(
		cloned,
		{
			state: {
				waiting: {
					reason,
					message:
						'Back-off pulling image "moby/buildkit:v0.23.2-rootles": ErrImagePull: failed to resolve reference "docker.io/moby/buildkit:v0.23.2-rootles": not found',
				},
			},
		},
		{ phase: 'Pending' },
	);
}

export function unschedulablePod(): PodLike {
	return pod(
		{ state: { waiting: { reason: 'PodInitializing' } } },
		{ state: { waiting: { reason: 'PodInitializing' } } },
		{
			phase: 'Pending',
			conditions: [
				{
					type: 'PodScheduled',
					status: 'False',
					reason: 'Unschedulable',
					message:
						'0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.',
					lastTransitionTime: '2025-11-20T10:00:01Z',
				},
			],
		},
	);
}

export function crashLoopPod(): PodLike {
	return pod(cloned, {
		restartCount: 4,
		state: {
			waiting: {
				reason: 'CrashLoopBackOff',
				message:
					'back-off 1m20s restarting failed container=buildkit pod=webapp-build-7f3a9c1-x2k9p',
			},
		},
		lastState: terminated(1, 'Error', '2025-11-20T10:03:10Z'),
	});
}
