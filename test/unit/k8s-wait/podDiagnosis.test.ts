import {
	diagnosePods,
	digestFromLog,
	findStuckPod,
	readBuildOutput,
	repositoryOf,
	summarizePods,
} from '../../../lib/k8s/wait/podDiagnosis';
import {
	buildFailedPod,
	cloned,
	crashLoopPod,
	DIGEST,
	gitFailedPod,
	imagePullPod,
	oomPod,
	pod,
	succeededPod,
	unschedulablePod,
} from './fixtures';

const at = (iso: string): number => Date.parse(iso);

describe('diagnosePods', () => {
	it('names the OOMKilled container and its memory limit', () => {
		const problem = diagnosePods([oomPod()]);
		expect(problem).toMatchObject({
			reason: 'OOMKilled',
			container: 'buildkit',
			pod: 'webapp-build-7f3a9c1-x2k9p',
		});
		expect(problem!.message).toContain('memory limit of 2Gi');
		expect(problem!.message).toContain('exit code 137');
	});

	it('finds an OOM kill in lastState after a restart', () => {
		const restarted = pod(cloned, {
			restartCount: 1,
			state: { running: { startedAt: '2025-11-20T10:01:00Z' } },
			lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
		});
		expect(diagnosePods([restarted])).toMatchObject({ reason: 'OOMKilled', container: 'buildkit' });
	});

	it('names the image that cannot be pulled', () => {
		for (const reason of ['ImagePullBackOff', 'ErrImagePull'] as const) {
			const problem = diagnosePods([imagePullPod(reason)]);
			expect(problem).toMatchObject({ reason, container: 'buildkit' });
			expect(problem!.message).toContain('"moby/buildkit:v0.23.2-rootless"');
			expect(problem!.message).toContain('not found');
		}
	});

	it('quotes the scheduler message for an unschedulable pod', () => {
		const problem = diagnosePods([unschedulablePod()]);
		expect(problem).toMatchObject({ reason: 'Unschedulable' });
		expect(problem!.message).toContain('0/3 nodes are available: 3 Insufficient memory');
		expect(problem!.container).toBeUndefined();
	});

	it('reports CrashLoopBackOff with restarts and the last exit code', () => {
		const problem = diagnosePods([crashLoopPod()]);
		expect(problem).toMatchObject({ reason: 'CrashLoopBackOff', container: 'buildkit' });
		expect(problem!.message).toMatch(/4 restarts, last exit code 1/);
	});

	it('tells a failed clone from a failed build by container', () => {
		const git = diagnosePods([gitFailedPod()]);
		expect(git).toMatchObject({ reason: 'GitCloneFailed', container: 'git-clone' });
		expect(git!.message).toContain('exited with code 128');
		const build = diagnosePods([buildFailedPod()]);
		expect(build).toMatchObject({ reason: 'BuildFailed', container: 'buildkit' });
		expect(build!.message).toContain('npm ci');
	});

	it('uses the pod-level reason when no container explains the failure', () => {
		const evicted = pod(cloned, null, {
			phase: 'Failed',
			reason: 'DeadlineExceeded',
			message: 'Pod was active on the node longer than the specified deadline',
		});
		expect(diagnosePods([evicted])).toMatchObject({
			reason: 'DeadlineExceeded',
			pod: 'webapp-build-7f3a9c1-x2k9p',
		});
	});

	it('looks at the newest pod first', () => {
		const older = {
			...oomPod(),
			metadata: { ...oomPod().metadata, name: 'old', creationTimestamp: '2025-11-20T09:00:00Z' },
		};
		const newer = {
			...buildFailedPod(),
			metadata: {
				...buildFailedPod().metadata,
				name: 'new',
				creationTimestamp: '2025-11-20T10:00:00Z',
			},
		};
		expect(diagnosePods([older, newer])).toMatchObject({ reason: 'BuildFailed', pod: 'new' });
	});

	it('finds nothing wrong with a succeeded pod', () => {
		expect(diagnosePods([succeededPod()])).toBeUndefined();
		expect(diagnosePods([])).toBeUndefined();
	});
});

describe('summarizePods', () => {
	it('lists phase, reason and exit code per container, init containers first', () => {
		expect(summarizePods([oomPod()])).toEqual([
			{
				name: 'webapp-build-7f3a9c1-x2k9p',
				phase: 'Failed',
				reason: null,
				containers: [
					{
						name: 'git-clone',
						init: true,
						state: 'terminated',
						reason: 'Completed',
						exitCode: 0,
						restartCount: 0,
					},
					{
						name: 'buildkit',
						init: false,
						state: 'terminated',
						reason: 'OOMKilled',
						exitCode: 137,
						restartCount: 0,
					},
				],
			},
		]);
		expect(summarizePods([unschedulablePod()])[0]).toMatchObject({
			phase: 'Pending',
			reason: 'Unschedulable',
		});
	});
});

describe('findStuckPod', () => {
	it('is stuck once the image pull has failed for stuckAfter, counted from the end of the init container', () => {
		// git-clone finished 10:00:05, so the pull has failed since then.
		const early = findStuckPod([imagePullPod()], at('2025-11-20T10:00:30Z'), 60_000, new Map());
		expect(early.stuck).toBeUndefined();
		expect(early.nextCheckAt).toBe(at('2025-11-20T10:01:05Z'));
		const late = findStuckPod([imagePullPod()], at('2025-11-20T10:01:05Z'), 60_000, new Map());
		expect(late.stuck).toMatchObject({
			reason: 'ImagePullBackOff',
			container: 'buildkit',
			sinceMs: at('2025-11-20T10:00:05Z'),
		});
		expect(late.stuck!.message).toContain('for 60 s');
	});

	it('times Unschedulable from the PodScheduled transition', () => {
		const check = findStuckPod(
			[unschedulablePod()],
			at('2025-11-20T10:05:00Z'),
			120_000,
			new Map(),
		);
		expect(check.stuck).toMatchObject({
			reason: 'Unschedulable',
			sinceMs: at('2025-11-20T10:00:01Z'),
		});
	});

	it('is stuck on CrashLoopBackOff', () => {
		expect(
			findStuckPod([crashLoopPod()], at('2025-11-20T10:10:00Z'), 300_000, new Map()).stuck,
		).toMatchObject({ reason: 'CrashLoopBackOff' });
	});

	it('falls back to when it first saw a problem whose start the status does not carry', () => {
		const noTimes = imagePullPod();
		noTimes.status!.initContainerStatuses = [];
		noTimes.status!.conditions = [];
		delete noTimes.status!.startTime;
		delete noTimes.metadata!.creationTimestamp;
		const seen = new Map<string, number>();
		expect(findStuckPod([noTimes], 1_000, 5_000, seen)).toEqual({ nextCheckAt: 6_000 });
		expect(findStuckPod([noTimes], 6_000, 5_000, seen).stuck).toMatchObject({
			reason: 'ImagePullBackOff',
			sinceMs: 1_000,
		});
	});

	it('forgets a problem that cleared, and ignores running or finished pods', () => {
		const seen = new Map<string, number>();
		const stripped = imagePullPod();
		stripped.status!.initContainerStatuses = [];
		stripped.status!.conditions = [];
		delete stripped.status!.startTime;
		delete stripped.metadata!.creationTimestamp;
		findStuckPod([stripped], 1_000, 5_000, seen);
		expect(seen.size).toBe(1);
		const running = pod(cloned, { state: { running: { startedAt: '2025-11-20T10:00:06Z' } } });
		expect(findStuckPod([running], 2_000, 5_000, seen)).toEqual({ nextCheckAt: undefined });
		expect(seen.size).toBe(0);
		expect(
			findStuckPod([oomPod(), succeededPod()], at('2026-01-01T00:00:00Z'), 1_000, seen).stuck,
		).toBeUndefined();
	});
});

describe('build output', () => {
	it('reads digest and image from the buildkit termination message', () => {
		expect(readBuildOutput([succeededPod()])).toEqual({
			digest: DIGEST,
			image: '127.0.0.1:5000/webapp/app:1.4.2',
		});
	});

	it('falls back to a digest anywhere in a non-JSON message, and to nothing', () => {
		expect(readBuildOutput([succeededPod(`"containerimage.digest": "${DIGEST}"`)])).toEqual({
			digest: DIGEST,
		});
		expect(readBuildOutput([succeededPod('')])).toEqual({});
		expect(readBuildOutput([succeededPod('{"digest":"sha256:short"}')])).toEqual({});
	});

	it('strips tags but keeps registry ports', () => {
		expect(repositoryOf('127.0.0.1:5000/webapp/app:1.4.2')).toBe('127.0.0.1:5000/webapp/app');
		expect(repositoryOf('127.0.0.1:5000/webapp/app')).toBe('127.0.0.1:5000/webapp/app');
		expect(repositoryOf(`ghcr.io/org/app:v1@${DIGEST}`)).toBe('ghcr.io/org/app');
		expect(repositoryOf('nginx')).toBe('nginx');
	});

	it('finds the pushed manifest digest in a BuildKit log', () => {
		const other = 'sha256:' + 'a'.repeat(64);
		const log = [
			`#12 exporting config ${other} done`,
			`#12 pushing manifest for 127.0.0.1:5000/webapp/app:1.4.2@${DIGEST} 0.1s done`,
			'#12 DONE 1.2s',
		].join('\n');
		expect(digestFromLog(log)).toBe(DIGEST);
		expect(digestFromLog('no digest here')).toBeUndefined();
	});
});
