import { boundLogTail, chooseLogSource } from '../../../lib/k8s/wait/logs';
import { redactUrlCredentials as redactCredentials } from '../../../lib/gitUrl';
import { assembleResult, type ResultInput } from '../../../lib/k8s/wait/result';
import { StuckPodMonitor } from '../../../lib/k8s/wait/stuckPod';
import { diagnosePods } from '../../../lib/k8s/wait/podDiagnosis';
import {
	backoffFailedStatus,
	buildFailedPod,
	completeStatus,
	deadlineFailedStatus,
	DIGEST,
	gitFailedPod,
	imagePullPod,
	job,
	oomPod,
	pod,
	cloned,
	runningStatus,
	succeededPod,
} from './fixtures';

const input = (overrides: Partial<ResultInput>): ResultInput => ({
	jobName: 'webapp-build-7f3a9c1',
	namespace: 'build-system',
	end: { kind: 'notFound' },
	pods: [],
	logTail: '',
	endedAt: Date.parse('2025-11-20T10:05:00Z'),
	timeoutSeconds: 1800,
	...overrides,
});

describe('assembleResult', () => {
	it('returns digest, image and repo@digest for a completed build', () => {
		const result = assembleResult(
			input({
				end: { kind: 'terminal', job: job(completeStatus) },
				pods: [succeededPod()],
				logTail: 'done',
			}),
		);
		expect(result).toMatchObject({
			status: 'succeeded',
			reason: 'CompletionsReached',
			startedAt: '2025-11-20T10:00:01.000Z',
			finishedAt: '2025-11-20T10:01:31.000Z',
			durationSeconds: 90,
			image: '127.0.0.1:5000/webapp/app:1.4.2',
			digest: DIGEST,
			imageRef: `127.0.0.1:5000/webapp/app@${DIGEST}`,
			logTail: 'done',
			deleted: false,
		});
		expect(result.pods).toHaveLength(1);
	});

	it('falls back to the annotated image and the digest in the log', () => {
		const log = `pushing manifest for 127.0.0.1:5000/webapp/app:1.4.2@${DIGEST}`;
		const result = assembleResult(
			input({
				end: { kind: 'terminal', job: job(completeStatus) },
				pods: [succeededPod('')],
				logTail: log,
			}),
		);
		expect(result).toMatchObject({
			image: '127.0.0.1:5000/webapp/app:1.4.2',
			digest: DIGEST,
			imageRef: `127.0.0.1:5000/webapp/app@${DIGEST}`,
		});
	});

	it('explains a failed Job by its pod, keeping the Job reason in the message', () => {
		const oom = assembleResult(
			input({ end: { kind: 'terminal', job: job(backoffFailedStatus) }, pods: [oomPod()] }),
		);
		expect(oom).toMatchObject({
			status: 'failed',
			reason: 'OOMKilled',
			digest: null,
			imageRef: null,
			durationSeconds: 45,
		});
		expect(oom.message).toContain('2Gi');
		expect(oom.message).toContain('BackoffLimitExceeded');
		expect(
			assembleResult(
				input({ end: { kind: 'terminal', job: job(backoffFailedStatus) }, pods: [gitFailedPod()] }),
			).reason,
		).toBe('GitCloneFailed');
		expect(
			assembleResult(
				input({
					end: { kind: 'terminal', job: job(backoffFailedStatus) },
					pods: [buildFailedPod()],
				}),
			).reason,
		).toBe('BuildFailed');
		expect(
			assembleResult(input({ end: { kind: 'terminal', job: job(backoffFailedStatus) }, pods: [] }))
				.reason,
		).toBe('BackoffLimitExceeded');
	});

	it('keeps DeadlineExceeded as the reason even when the killed container has an exit code', () => {
		const killed = pod(
			cloned,
			{ state: { terminated: { exitCode: 137, reason: 'Error' } } },
			{ phase: 'Failed' },
		);
		const result = assembleResult(
			input({ end: { kind: 'terminal', job: job(deadlineFailedStatus) }, pods: [killed] }),
		);
		expect(result).toMatchObject({ status: 'failed', reason: 'DeadlineExceeded' });
		expect(result.message).toContain('longer than specified deadline');
	});

	it('reports a deleted Job, a missing Job, a stuck pod and a timeout', () => {
		expect(
			assembleResult(input({ end: { kind: 'deleted', job: job(runningStatus) } })),
		).toMatchObject({ status: 'failed', reason: 'JobDeleted' });
		expect(assembleResult(input({ end: { kind: 'notFound' } }))).toMatchObject({
			status: 'failed',
			reason: 'NotFound',
			startedAt: null,
			durationSeconds: null,
		});
		const problem = diagnosePods([imagePullPod()])!;
		expect(
			assembleResult(
				input({ end: { kind: 'stuck', job: job(runningStatus), problem }, pods: [imagePullPod()] }),
			),
		).toMatchObject({
			status: 'stuck',
			reason: 'ImagePullBackOff',
			durationSeconds: 299,
		});
		const finishing = job({ ...runningStatus, conditions: [backoffFailedStatus!.conditions![0]] });
		const timeout = assembleResult(
			input({ end: { kind: 'deadline', job: finishing }, timeoutSeconds: 60 }),
		);
		expect(timeout).toMatchObject({ status: 'timeout', reason: 'WaitTimeout', finishedAt: null });
		expect(timeout.message).toContain('within 60 s');
		expect(timeout.message).toContain('finishing (BackoffLimitExceeded');
	});
});

describe('log tails', () => {
	it('keeps the last lines', () => {
		expect(boundLogTail('a\nb\nc\nd\n', 2)).toBe('c\nd');
		expect(boundLogTail('a\nb', 10)).toBe('a\nb');
		expect(boundLogTail('a\nb', 0)).toBe('');
	});

	it('keeps at most maxBytes from the end, starting at a whole line and never inside a UTF-8 character', () => {
		const text = ['first line', 'second line', 'third line ✓✓✓'].join('\n');
		const tail = boundLogTail(text, 50, 25);
		expect(Buffer.byteLength(tail)).toBeLessThanOrEqual(25);
		expect(tail).toBe('third line ✓✓✓');
		const oneLong = '✓'.repeat(100);
		const cut = boundLogTail(oneLong, 5, 10);
		expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(10);
		expect(cut).toMatch(/^✓+$/);
	});

	it('removes credentials from URLs', () => {
		expect(
			redactCredentials("fatal: unable to access 'https://n8n:s3cr3t@git.example/a.git/'"),
		).toBe("fatal: unable to access 'https://***@git.example/a.git/'");
		expect(redactCredentials('see https://git.example/a.git')).toBe(
			'see https://git.example/a.git',
		);
	});

	it('reads the failing container, else the build container, else the last container that ran', () => {
		const git = gitFailedPod();
		expect(chooseLogSource([git], diagnosePods([git]))).toEqual({
			pod: 'webapp-build-7f3a9c1-x2k9p',
			container: 'git-clone',
		});
		expect(chooseLogSource([succeededPod()])).toEqual({
			pod: 'webapp-build-7f3a9c1-x2k9p',
			container: 'buildkit',
		});
		const cloning = pod(
			{ state: { running: { startedAt: '2025-11-20T10:00:02Z' } } },
			{ state: { waiting: { reason: 'PodInitializing' } } },
		);
		expect(chooseLogSource([cloning])).toEqual({
			pod: 'webapp-build-7f3a9c1-x2k9p',
			container: 'git-clone',
		});
		expect(chooseLogSource([])).toBeUndefined();
	});
});

describe('StuckPodMonitor', () => {
	it('looks once the Job is stuckAfter old and reports the stuck pod, without looking again in between', async () => {
		let lists = 0;
		const now = Date.now();
		const stuckPod = imagePullPod();
		stuckPod.status!.initContainerStatuses![0].state = {
			terminated: {
				exitCode: 0,
				reason: 'Completed',
				finishedAt: new Date(now - 10_000).toISOString(),
			},
		};
		const found = await new Promise((resolve) => {
			const monitor = new StuckPodMonitor({
				stuckAfterMs: 5_000,
				listPods: async () => {
					lists++;
					return [stuckPod];
				},
				onStuck: resolve,
			});
			// Created 10 s ago: already past stuckAfter, so the first look comes at once.
			monitor.jobSeen({
				...job(runningStatus),
				metadata: { ...job().metadata, creationTimestamp: new Date(now - 10_000).toISOString() },
			});
		});
		expect(found).toMatchObject({ reason: 'ImagePullBackOff', container: 'buildkit' });
		expect(lists).toBe(1);
	});

	it('does not look at all before the Job could have a stuck pod', async () => {
		let lists = 0;
		const monitor = new StuckPodMonitor({
			stuckAfterMs: 60_000,
			listPods: async () => (lists++, []),
			onStuck: () => undefined,
		});
		monitor.jobSeen({
			...job(runningStatus),
			metadata: { ...job().metadata, creationTimestamp: new Date().toISOString() },
		});
		await new Promise((r) => setTimeout(r, 400));
		monitor.stop();
		expect(lists).toBe(0);
	});

	it('reports a Job that never got a pod', async () => {
		const found = await new Promise((resolve) => {
			const monitor = new StuckPodMonitor({
				stuckAfterMs: 1_000,
				listPods: async () => [],
				onStuck: resolve,
			});
			monitor.jobSeen({
				...job({}),
				metadata: {
					...job().metadata,
					creationTimestamp: new Date(Date.now() - 5_000).toISOString(),
				},
			});
		});
		expect(found).toMatchObject({ reason: 'NoPodCreated' });
	});
});
