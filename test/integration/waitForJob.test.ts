/**
 * Wait for Job against the Kubernetes stand-in (its own process, real wire format, RBAC from deploy/) and a real
 * registry: Jobs are made by the real Create BuildKit Job code. A succeeding Job runs for real (real git clone of
 * the app, real BuildKit) when BuildKit is available; the stand-in's Job simulator plays every other outcome, and
 * builds of a set length where a test needs one, while its fault hooks break the watch in every way the watcher
 * must survive.
 */
import * as k8s from '@kubernetes/client-node';
import { createBuildKitJob } from '../../lib/k8s/build/createJob';
import { kubeConfigFromCredential } from '../../lib/k8s/kubeConfig';
import {
	waitForJob,
	type WaitForJobOptions,
	type WaitForJobResult,
	type WaitForJobStats,
} from '../../lib/k8s/wait/waitForJob';
import { appFiles, pushBaseImage } from '../stack/buildkit';
import { startGitServer, type GitServer } from '../stack/git';
import { startKubeStandIn, type JobScenario, type KubeStandIn } from '../stack/k8s';
import { startRegistry } from '../stack/registry';

jest.setTimeout(60_000);

type Registry = Awaited<ReturnType<typeof startRegistry>>;
let registry: Registry;
let git: GitServer;
let appUrl: string;
let standIn: KubeStandIn;
let kc: k8s.KubeConfig;
let jobCount = 0;
const uids = new Map<string, string>();

const NAMESPACE = 'build-system';

beforeAll(async () => {
	registry = await startRegistry();
	git = await startGitServer();
	appUrl = await git.createBareRepo('webapp', appFiles(registry.host));
	standIn = await startKubeStandIn({ registry: { host: registry.host } });
	if (standIn.realBuilder) await pushBaseImage(standIn.realBuilder, registry.host);
	// The identity n8n runs as, limited by deploy/'s Role: proves the Role is enough for waiting.
	kc = kubeConfigFromCredential({
		authentication: 'kubeconfig',
		kubeconfig: standIn.kubeconfig(standIn.tokenFor('automation', 'n8n')),
	});
}, 60_000);

afterAll(async () => {
	await standIn?.stop();
	await git?.stop();
	await registry?.stop();
});

/** Creates a build Job with the real manifest builder, after telling the simulator how it should end. */
async function startBuild(
	scenario: JobScenario,
	extra: {
		activeDeadlineSeconds?: number;
		backoffLimit?: number;
		memoryLimit?: string;
		memoryRequest?: string;
	} = {},
): Promise<string> {
	const jobName = `wait-${scenario.outcome}-${++jobCount}-${process.pid % 1000}`;
	await standIn.setScenario({ jobName }, scenario);
	const created = await createBuildKitJob(kc, {
		namespace: NAMESPACE,
		appName: 'webapp',
		gitRepositoryUrl: appUrl,
		allowPlainHttpGit: true,
		image: `${registry.host}/webapp/app:${jobName}`,
		insecureRegistry: true,
		attestations: [],
		jobName,
		...extra,
	});
	uids.set(created.jobName, created.uid);
	return created.jobName;
}

async function wait(
	jobName: string,
	options: Partial<WaitForJobOptions> = {},
	stats?: WaitForJobStats,
): Promise<WaitForJobResult> {
	return waitForJob(
		kc,
		{ namespace: NAMESPACE, jobName, timeoutSeconds: 30, stuckAfterSeconds: 1, ...options },
		stats,
	);
}

/** This wait's own requests from the stand-in's log: the Job LIST/WATCH by name, the pod reads by uid or pod name. */
async function requestsFor(
	jobName: string,
): Promise<{ lists: number; watches: number; podLists: number; logs: number; other: number }> {
	const log = (await standIn.requests()).filter(
		(r) => r.user.includes('automation:n8n') && r.method === 'GET',
	);
	const byName = log.filter((r) =>
		decodeURIComponent(r.query).includes(`metadata.name=${jobName}`),
	);
	const uid = uids.get(jobName) ?? '(none)';
	const pods = log.filter(
		(r) =>
			r.path.endsWith('/pods') &&
			!r.watch &&
			decodeURIComponent(r.query).match(new RegExp(`=(${uid}|${jobName})(&|$)`)),
	);
	const logs = log.filter((r) => r.path.includes(`/pods/${jobName}-`) && r.path.endsWith('/log'));
	const single = log.filter((r) => r.path.endsWith(`/jobs/${jobName}`));
	return {
		lists: byName.filter((r) => !r.watch).length,
		watches: byName.filter((r) => r.watch).length,
		podLists: pods.length,
		logs: logs.length,
		other: single.length,
	};
}

async function registryDigest(tag: string): Promise<string | null> {
	const res = await fetch(`http://${registry.host}/v2/webapp/app/manifests/${tag}`, {
		method: 'HEAD',
		headers: {
			Accept:
				'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json',
		},
	});
	return res.headers.get('docker-content-digest');
}

describe('each outcome of the Job simulator', () => {
	it('succeed: status, digest and imageRef match what the registry holds; one LIST and one WATCH', async () => {
		const jobName = await startBuild({ outcome: 'succeed' });
		// The default stuckAfterSeconds: a build shorter than that needs no pod look before the end.
		const result = await wait(jobName, { stuckAfterSeconds: 300 });
		expect(result).toMatchObject({
			status: 'succeeded',
			reason: 'CompletionsReached',
			jobName,
			namespace: NAMESPACE,
			image: `${registry.host}/webapp/app:${jobName}`,
		});
		const pushed = await registryDigest(jobName);
		expect(pushed).toMatch(/^sha256:[0-9a-f]{64}$/);
		expect(result.digest).toBe(pushed);
		expect(result.imageRef).toBe(`${registry.host}/webapp/app@${pushed}`);
		expect(result.finishedAt).not.toBeNull();
		expect(result.durationSeconds).toEqual(expect.any(Number));
		expect(result.logTail).toContain('pushing manifest');
		expect(result.pods[0].containers.map((c) => [c.name, c.exitCode])).toEqual([
			['git-clone', 0],
			['buildkit', 0],
		]);
		expect(await requestsFor(jobName)).toEqual({
			lists: 1,
			watches: 1,
			podLists: 1,
			logs: 1,
			other: 0,
		});
	});

	it('build-fail: BuildFailed with the build log', async () => {
		const result = await wait(await startBuild({ outcome: 'build-fail', runMs: 200 }));
		expect(result).toMatchObject({
			status: 'failed',
			reason: 'BuildFailed',
			digest: null,
			imageRef: null,
		});
		expect(result.message).toContain('Container buildkit exited with code 1');
		expect(result.message).toContain('BackoffLimitExceeded');
		expect(result.logTail).toContain('ERROR: failed to solve');
	});

	it('git-fail: GitCloneFailed naming the git container and its exit code, with its log', async () => {
		const result = await wait(await startBuild({ outcome: 'git-fail', runMs: 200 }));
		expect(result).toMatchObject({ status: 'failed', reason: 'GitCloneFailed' });
		expect(result.message).toContain('Container git-clone exited with code 128');
		expect(result.logTail).toContain('fatal: repository');
	});

	it('oomkilled: OOMKilled with the container and its memory limit', async () => {
		const result = await wait(
			await startBuild(
				{ outcome: 'oomkilled', runMs: 200 },
				{ memoryLimit: '768Mi', memoryRequest: '512Mi' },
			),
		);
		expect(result).toMatchObject({ status: 'failed', reason: 'OOMKilled' });
		expect(result.message).toContain('Container buildkit was OOMKilled');
		expect(result.message).toContain('768Mi');
		expect(result.pods[0].containers.find((c) => c.name === 'buildkit')).toMatchObject({
			exitCode: 137,
			reason: 'OOMKilled',
		});
	});

	it('imagepullbackoff: stuck after stuckAfterSeconds, naming the image', async () => {
		const result = await wait(await startBuild({ outcome: 'imagepullbackoff', runMs: 200 }));
		expect(result).toMatchObject({ status: 'stuck', reason: 'ImagePullBackOff' });
		expect(result.message).toMatch(/cannot pull image "moby\/buildkit:[^"]+"/);
	});

	it('unschedulable: stuck with the scheduler message', async () => {
		const result = await wait(await startBuild({ outcome: 'unschedulable', runMs: 200 }));
		expect(result).toMatchObject({ status: 'stuck', reason: 'Unschedulable' });
		expect(result.message).toContain('0/3 nodes are available');
	});

	it('crashloop: stuck in CrashLoopBackOff', async () => {
		const result = await wait(
			await startBuild({ outcome: 'crashloop', runMs: 1500 }, { backoffLimit: 5 }),
		);
		expect(result).toMatchObject({ status: 'stuck', reason: 'CrashLoopBackOff' });
		expect(result.message).toContain('keeps crashing');
	});

	it('deadline: failed with DeadlineExceeded', async () => {
		const result = await wait(
			await startBuild({ outcome: 'deadline', runMs: 200 }, { activeDeadlineSeconds: 1 }),
			{ stuckAfterSeconds: 0 },
		);
		expect(result).toMatchObject({ status: 'failed', reason: 'DeadlineExceeded' });
		expect(result.message).toContain('longer than specified deadline');
	});

	it('hang: timeout once timeoutSeconds pass, saying where the Job was', async () => {
		const result = await wait(await startBuild({ outcome: 'hang', runMs: 200 }), {
			timeoutSeconds: 2,
		});
		expect(result).toMatchObject({ status: 'timeout', reason: 'WaitTimeout', finishedAt: null });
		expect(result.message).toContain('within 2 s');
		expect(result.logTail).toContain('RUN make build');
	});
});

describe('a broken watch still ends with the right result', () => {
	afterEach(async () => {
		await standIn.faults.dropWatchesEvery(0);
	});

	it('watches closed every second: re-watched from the last resourceVersion, never re-listed', async () => {
		const jobName = await startBuild({ outcome: 'succeed', scripted: true, runMs: 3500 });
		await standIn.faults.dropWatchesEvery(1000);
		const stats = { lists: 0, watches: 0, relists: 0, retries: 0, podLists: 0, logReads: 0 };
		const result = await wait(jobName, {}, stats);
		expect(result).toMatchObject({
			status: 'succeeded',
			digest: expect.stringMatching(/^sha256:/),
		});
		const seen = await requestsFor(jobName);
		expect(seen.lists).toBe(1);
		expect(seen.watches).toBeGreaterThanOrEqual(3);
		expect(seen.watches).toBe(stats.watches);
	});

	it('connections reset every second: the same', async () => {
		const jobName = await startBuild({ outcome: 'build-fail', runMs: 3000 });
		await standIn.faults.dropWatchesEvery(1000, { abrupt: true });
		const result = await wait(jobName);
		expect(result).toMatchObject({ status: 'failed', reason: 'BuildFailed' });
		const seen = await requestsFor(jobName);
		expect(seen.lists).toBe(1);
		expect(seen.watches).toBeGreaterThanOrEqual(3);
	});

	it('a forced 410: re-lists, then watches from the new list', async () => {
		const jobName = await startBuild({ outcome: 'succeed', scripted: true, runMs: 2000 });
		const stats = { lists: 0, watches: 0, relists: 0, retries: 0, podLists: 0, logReads: 0 };
		const waiting = wait(jobName, {}, stats);
		await until(async () => (await requestsFor(jobName)).watches === 1);
		await standIn.faults.forgetHistory();
		await standIn.faults.dropWatches();
		const result = await waiting;
		expect(result).toMatchObject({
			status: 'succeeded',
			digest: expect.stringMatching(/^sha256:/),
		});
		expect(stats.relists).toBe(1);
		const seen = await requestsFor(jobName);
		expect(seen.lists).toBe(2);
		expect(seen.watches).toBe(3);
		const watchStatuses = (await standIn.requests()).filter(
			(r) => r.watch && decodeURIComponent(r.query).includes(`metadata.name=${jobName}`),
		);
		expect(watchStatuses).toHaveLength(3);
	});

	it('the stand-in restarted mid-wait: the wait carries on to the outcome', async () => {
		const jobName = await startBuild({ outcome: 'oomkilled', runMs: 2500 }, { memoryLimit: '1Gi' });
		const stats = { lists: 0, watches: 0, relists: 0, retries: 0, podLists: 0, logReads: 0 };
		const waiting = wait(jobName, {}, stats);
		await until(async () => (await requestsFor(jobName)).watches === 1);
		const pidBefore = standIn.pid;
		await standIn.faults.restart();
		expect(standIn.pid).not.toBe(pidBefore);
		const result = await waiting;
		expect(result).toMatchObject({ status: 'failed', reason: 'OOMKilled' });
		// The first stream died with the old process; the outcome came through a later one.
		expect(stats.watches).toBeGreaterThanOrEqual(2);
		expect(result.message).toContain('1Gi');
	});

	it('the Job deleted while waiting: failed with JobDeleted', async () => {
		const jobName = await startBuild({ outcome: 'hang', runMs: 200 });
		const waiting = wait(jobName, { stuckAfterSeconds: 0 });
		await until(async () => (await requestsFor(jobName)).watches === 1);
		await kc.makeApiClient(k8s.BatchV1Api).deleteNamespacedJob({
			name: jobName,
			namespace: NAMESPACE,
			propagationPolicy: 'Background',
		});
		const result = await waiting;
		expect(result).toMatchObject({ status: 'failed', reason: 'JobDeleted' });
		expect(result.message).toContain('was deleted while waiting');
	});
});

describe('around the wait', () => {
	it('a Job that does not exist: failed with NotFound, after one LIST and nothing else', async () => {
		const result = await wait('no-such-job-here');
		expect(result).toMatchObject({ status: 'failed', reason: 'NotFound', pods: [] });
		expect(await requestsFor('no-such-job-here')).toEqual({
			lists: 1,
			watches: 0,
			podLists: 0,
			logs: 0,
			other: 0,
		});
	});

	it('deleteWhenDone removes the Job and its pods with background propagation', async () => {
		const jobName = await startBuild({ outcome: 'succeed' });
		const result = await wait(jobName, { deleteWhenDone: true });
		expect(result).toMatchObject({ status: 'succeeded', deleted: true });
		const deletes = (await standIn.requests()).filter(
			(r) => r.method === 'DELETE' && r.path.endsWith(`/jobs/${jobName}`),
		);
		expect(deletes).toHaveLength(1);
		expect(deletes[0].query).toContain('propagationPolicy=Background');
		await expect(
			kc.makeApiClient(k8s.BatchV1Api).readNamespacedJob({ name: jobName, namespace: NAMESPACE }),
		).rejects.toMatchObject({ code: 404 });
	});

	it('an identity without watch rights gets a clear API error, not a retry loop', async () => {
		const outsider = kubeConfigFromCredential({
			authentication: 'kubeconfig',
			kubeconfig: standIn.kubeconfig(standIn.tokenFor('default', 'nobody')),
		});
		await expect(
			waitForJob(outsider, { namespace: NAMESPACE, jobName: 'anything', timeoutSeconds: 10 }),
		).rejects.toMatchObject({
			name: 'JobWatchApiError',
			failure: { statusCode: 403 },
		});
	});

	it('several waits run side by side: all their watches are open at the same time', async () => {
		const names = await Promise.all(
			[1, 2, 3, 4].map(() => startBuild({ outcome: 'succeed', scripted: true, runMs: 1500 })),
		);
		const results = Promise.all(names.map((name) => wait(name)));
		await until(async () => {
			const seen = await Promise.all(names.map(requestsFor));
			return seen.every((s) => s.watches >= 1);
		});
		// All four watches exist before any of the Jobs has finished.
		const finishedEarly = (await standIn.requests()).filter((r) =>
			names.some((n) => r.path.includes(`/pods/${n}-`)),
		);
		expect(finishedEarly).toHaveLength(0);
		expect((await results).map((r) => r.status)).toEqual([
			'succeeded',
			'succeeded',
			'succeeded',
			'succeeded',
		]);
	});
});

async function until(check: () => Promise<boolean>): Promise<void> {
	for (let i = 0; i < 200; i++) {
		if (await check()) return;
		await new Promise((r) => setTimeout(r, 50));
	}
	throw new Error('condition not reached');
}
