import * as k8s from '@kubernetes/client-node';
import { startRegistry, type RunningRegistry } from '../registry';
import { JOB_OUTCOMES, startKubeStandIn, type JobOutcome, type KubeStandIn } from './index';
import { DEFAULT_ROOTLESS_IMAGE } from '../../../lib/k8s/build';
import { testJob, type TestJobOptions } from './testJob';
import { jobCondition, jobFinished, until } from './testing';

// The Job simulator, outcome by outcome, seen through the API the way Wait for Job will see it; a succeeding
// Job pushes a real image to a real registry (distribution) and reports its digest in the termination message.
const NS = 'build-system';
const SHA = '0123456789abcdef0123456789abcdef01234567';
// Upper bounds only (the machine is shared and slow at times); nothing here asserts on time.
jest.setTimeout(30_000);
let standIn: KubeStandIn;
let registry: RunningRegistry;
let batch: k8s.BatchV1Api;
let core: k8s.CoreV1Api;

const condition = jobCondition;
const terminal = jobFinished;
const readJob = (name: string) => batch.readNamespacedJob({ name, namespace: NS });
const podsOf = async (job: k8s.V1Job) =>
	(
		await core.listNamespacedPod({
			namespace: NS,
			labelSelector: `batch.kubernetes.io/controller-uid=${job.metadata!.uid}`,
		})
	).items;
const status = (pod: k8s.V1Pod | undefined, name: string) =>
	[...(pod?.status?.initContainerStatuses ?? []), ...(pod?.status?.containerStatuses ?? [])].find(
		(s) => s.name === name,
	)!;

async function run(outcome: JobOutcome, job: Partial<TestJobOptions> = {}, runMs = 120) {
	const name = `sim-${outcome}`;
	await standIn.setScenario({ jobName: name }, { outcome, runMs });
	return batch.createNamespacedJob({ namespace: NS, body: testJob({ name, ...job }) as k8s.V1Job });
}

beforeAll(async () => {
	registry = await startRegistry();
	standIn = await startKubeStandIn({ registry: { host: registry.host }, realBuilds: false });
	const kc = new k8s.KubeConfig();
	kc.loadFromString(standIn.kubeconfig(standIn.adminToken));
	batch = kc.makeApiClient(k8s.BatchV1Api);
	core = kc.makeApiClient(k8s.CoreV1Api);
}, 30_000);

afterAll(async () => {
	await standIn?.stop();
	await registry?.stop();
});

test('every outcome of the contract is simulated (this file covers each)', () => {
	expect([...JOB_OUTCOMES].sort()).toEqual([
		'build-fail',
		'crashloop',
		'deadline',
		'git-fail',
		'hang',
		'imagepullbackoff',
		'oomkilled',
		'succeed',
		'unschedulable',
	]);
});

test('succeed: pushes to every ref with attestations, digest + image in the termination message, Complete after SuccessCriteriaMet', async () => {
	const images = [
		`${registry.host}/webapp/app:1.4.0`,
		`${registry.host}/webapp/app:latest`,
		`${registry.host}/mirror/app:1.4.0`,
	];
	await run('succeed', { images, revision: SHA, attestations: 'sbom,provenance' });
	const job = await until('Complete', () => readJob('sim-succeed'), terminal);
	expect(condition(job, 'Complete')).toMatchObject({ reason: 'CompletionsReached' });
	expect(condition(job, 'SuccessCriteriaMet')).toBeDefined();
	expect(job.status).toMatchObject({ succeeded: 1, active: 0 });
	expect(job.status!.completionTime).toBeDefined();
	const [pod] = await podsOf(job);
	expect(pod.status!.phase).toBe('Succeeded');
	expect(pod.metadata!.labels).toMatchObject({
		'job-name': 'sim-succeed',
		'batch.kubernetes.io/controller-uid': job.metadata!.uid,
	});
	const term = status(pod, 'buildkit').state!.terminated!;
	expect(term).toMatchObject({ exitCode: 0, reason: 'Completed' });
	const message = JSON.parse(term.message!);
	expect(message.image).toBe(images[0]);

	for (const ref of images) {
		const [, repo, tag] = /^[^/]+\/(.+):([^:]+)$/.exec(ref)!;
		const res = await fetch(`${registry.url}/v2/${repo}/manifests/${tag}`, {
			headers: { Accept: 'application/vnd.oci.image.index.v1+json' },
		});
		expect(res.status).toBe(200);
		// Tags of the primary repository point at the reported digest; the test image embeds its repository
		// name, so another repository gets its own digest.
		if (repo === 'webapp/app')
			expect(res.headers.get('docker-content-digest')).toBe(message.digest);
		const index: any = await res.json();
		const attestations = index.manifests.filter(
			(m: any) => m.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest',
		);
		expect(attestations.length).toBeGreaterThan(0);
	}
	const logs = await core.readNamespacedPodLog({
		name: pod.metadata!.name!,
		namespace: NS,
		container: 'buildkit',
	});
	expect(logs).toContain(`pushing manifest for ${images[0]}@${message.digest}`);
});

test('succeed without the attestations annotation pushes a plain image index', async () => {
	await standIn.setScenario({ appName: 'plain' }, { outcome: 'succeed', runMs: 60 });
	await batch.createNamespacedJob({
		namespace: NS,
		body: testJob({
			name: 'sim-plain',
			appName: 'plain',
			images: [`${registry.host}/plain/app:1`],
		}) as k8s.V1Job,
	});
	const job = await until('Complete', () => readJob('sim-plain'), terminal);
	const digest = JSON.parse(
		status((await podsOf(job))[0], 'buildkit').state!.terminated!.message!,
	).digest;
	const index: any = await (
		await fetch(`${registry.url}/v2/plain/app/manifests/1`, {
			headers: { Accept: 'application/vnd.oci.image.index.v1+json' },
		})
	).json();
	expect(index.manifests.some((m: any) => m.annotations?.['vnd.docker.reference.type'])).toBe(
		false,
	);
	expect(digest).toMatch(/^sha256:/);
});

test('build-fail: buildkit exits 1, pod Failed, FailureTarget then Failed/BackoffLimitExceeded, error in the log', async () => {
	await run('build-fail');
	const job = await until('Failed', () => readJob('sim-build-fail'), terminal);
	expect(condition(job, 'FailureTarget')).toMatchObject({ reason: 'BackoffLimitExceeded' });
	expect(condition(job, 'Failed')).toMatchObject({
		reason: 'BackoffLimitExceeded',
		message: 'Job has reached the specified backoff limit',
	});
	expect(job.status).toMatchObject({ failed: 1, active: 0 });
	expect(job.status!.completionTime).toBeUndefined();
	const [pod] = await podsOf(job);
	expect(pod.status!.phase).toBe('Failed');
	expect(status(pod, 'buildkit').state!.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
	const logs = await core.readNamespacedPodLog({
		name: pod.metadata!.name!,
		namespace: NS,
		container: 'buildkit',
		tailLines: 1,
	});
	expect(logs).toMatch(/^ERROR: failed to solve: .*exit code: 2\n$/);
});

test('git-fail: the git-clone init container exits 128, buildkit never starts (its log is a 400)', async () => {
	await run('git-fail');
	const job = await until('Failed', () => readJob('sim-git-fail'), terminal);
	const [pod] = await podsOf(job);
	expect(status(pod, 'git-clone').state!.terminated).toMatchObject({
		exitCode: 128,
		reason: 'Error',
	});
	expect(status(pod, 'buildkit').state!.waiting).toMatchObject({ reason: 'PodInitializing' });
	expect(
		await core.readNamespacedPodLog({
			name: pod.metadata!.name!,
			namespace: NS,
			container: 'git-clone',
		}),
	).toContain("fatal: repository 'https://git.example/org/app.git' not found");
	const err = await core
		.readNamespacedPodLog({ name: pod.metadata!.name!, namespace: NS, container: 'buildkit' })
		.catch((e) => e);
	expect(err.code).toBe(400);
	expect(JSON.parse(err.body).message).toBe(
		`container "buildkit" in pod "${pod.metadata!.name}" is waiting to start: PodInitializing`,
	);
});

test('oomkilled: buildkit terminated OOMKilled with exit 137; the memory limit is on the pod', async () => {
	await run('oomkilled', { memoryLimit: '1Gi' });
	const job = await until('Failed', () => readJob('sim-oomkilled'), terminal);
	const [pod] = await podsOf(job);
	expect(status(pod, 'buildkit').state!.terminated).toMatchObject({
		exitCode: 137,
		reason: 'OOMKilled',
	});
	expect(pod.spec!.containers[0].resources!.limits).toEqual({ memory: '1Gi' });
});

test('imagepullbackoff and unschedulable sit Pending with the reason until activeDeadlineSeconds → DeadlineExceeded', async () => {
	await run('imagepullbackoff', { activeDeadlineSeconds: 1 });
	await run('unschedulable', { activeDeadlineSeconds: 1 });
	const pulling = await until(
		'ImagePullBackOff',
		async () => (await podsOf(await readJob('sim-imagepullbackoff')))[0],
		(p) => status(p, 'buildkit')?.state?.waiting?.reason === 'ImagePullBackOff',
	);
	expect(status(pulling, 'buildkit').state!.waiting!.message).toBe(
		`Back-off pulling image "${DEFAULT_ROOTLESS_IMAGE}"`,
	);
	expect(pulling.status!.phase).toBe('Pending');
	const stuck = await until(
		'Unschedulable',
		async () => (await podsOf(await readJob('sim-unschedulable')))[0],
		(p) => !!p?.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False'),
	);
	expect(stuck.status!.conditions!.find((c) => c.type === 'PodScheduled')).toMatchObject({
		reason: 'Unschedulable',
		message: expect.stringContaining('Insufficient memory'),
	});
	expect((await readJob('sim-unschedulable')).status).toMatchObject({ active: 1 });

	for (const name of ['sim-imagepullbackoff', 'sim-unschedulable']) {
		const job = await until('DeadlineExceeded', () => readJob(name), terminal);
		expect(condition(job, 'Failed')).toMatchObject({
			reason: 'DeadlineExceeded',
			message: 'Job was active longer than specified deadline',
		});
		expect(condition(job, 'FailureTarget')).toMatchObject({ reason: 'DeadlineExceeded' });
		expect(await podsOf(job)).toHaveLength(0); // the controller deleted the pod before setting Failed
	}
});

test('deadline: a build that runs past its deadline fails with DeadlineExceeded', async () => {
	await run('deadline', {}, 200);
	const job = await until('Failed', () => readJob('sim-deadline'), terminal);
	expect(condition(job, 'Failed')).toMatchObject({ reason: 'DeadlineExceeded' });
	expect(job.status!.failed).toBe(1);
});

test('crashloop: CrashLoopBackOff with restarts and the last termination, then BackoffLimitExceeded', async () => {
	await run('crashloop', { backoffLimit: 2, restartPolicy: 'OnFailure' }, 200);
	const looping = await until(
		'CrashLoopBackOff',
		async () => (await podsOf(await readJob('sim-crashloop')))[0],
		(p) => status(p, 'buildkit')?.state?.waiting?.reason === 'CrashLoopBackOff',
	);
	expect(status(looping, 'buildkit').restartCount).toBeGreaterThanOrEqual(1);
	expect(status(looping, 'buildkit').lastState!.terminated).toMatchObject({
		exitCode: 2,
		reason: 'Error',
	});
	const job = await until('Failed', () => readJob('sim-crashloop'), terminal);
	expect(condition(job, 'Failed')).toMatchObject({ reason: 'BackoffLimitExceeded' });
});

test('hang: the build keeps running, no condition, until the Job is deleted', async () => {
	await run('hang', {}, 50);
	const running = await until(
		'Running',
		async () => (await podsOf(await readJob('sim-hang')))[0],
		(p) => p?.status?.phase === 'Running',
	);
	expect(status(running, 'buildkit').state!.running).toBeDefined();
	await new Promise((r) => setTimeout(r, 200));
	const job = await readJob('sim-hang');
	expect(job.status!.conditions ?? []).toEqual([]);
	expect(job.status).toMatchObject({ active: 1, ready: 1 });
	await batch.deleteNamespacedJob({
		name: 'sim-hang',
		namespace: NS,
		propagationPolicy: 'Foreground',
	});
	await until(
		'Job gone',
		() => batch.listNamespacedJob({ namespace: NS, fieldSelector: 'metadata.name=sim-hang' }),
		(l) => l.items.length === 0,
	);
	expect(await podsOf(job)).toHaveLength(0);
});

test('backoffLimit: a failing build gets a new pod per retry until failures exceed the limit', async () => {
	await standIn.setScenario(
		{ jobName: 'sim-retry' },
		{ outcome: 'build-fail', runMs: 40, exitCode: 3 },
	);
	await batch.createNamespacedJob({
		namespace: NS,
		body: testJob({ name: 'sim-retry', backoffLimit: 2 }) as k8s.V1Job,
	});
	const job = await until('Failed', () => readJob('sim-retry'), terminal);
	expect(job.status!.failed).toBe(3);
	const pods = await podsOf(job);
	expect(pods).toHaveLength(3);
	expect(pods.every((p) => status(p, 'buildkit').state!.terminated!.exitCode === 3)).toBe(true);
});

test('ttlSecondsAfterFinished deletes the finished Job and its pods', async () => {
	await standIn.setScenario({ jobName: 'sim-ttl' }, { outcome: 'succeed', runMs: 40 });
	const created = await batch.createNamespacedJob({
		namespace: NS,
		body: testJob({ name: 'sim-ttl', ttlSecondsAfterFinished: 1 }) as k8s.V1Job,
	});
	await until('Complete', () => readJob('sim-ttl'), terminal);
	await until(
		'TTL cleanup',
		() => batch.listNamespacedJob({ namespace: NS, fieldSelector: 'metadata.name=sim-ttl' }),
		(l) => l.items.length === 0,
	);
	await until(
		'pods gone',
		() => podsOf(created),
		(p) => p.length === 0,
	);
});

test('a push that fails makes the build fail with the push error in its log', async () => {
	await standIn.setScenario({ jobName: 'sim-push-fail' }, { outcome: 'succeed', runMs: 40 });
	// Port 1 on loopback: connection refused.
	await batch.createNamespacedJob({
		namespace: NS,
		body: testJob({ name: 'sim-push-fail', images: [`127.0.0.1:1/nowhere/app:1`] }) as k8s.V1Job,
	});
	const job = await until('Failed', () => readJob('sim-push-fail'), terminal);
	const [pod] = await podsOf(job);
	expect(status(pod, 'buildkit').state!.terminated).toMatchObject({ exitCode: 1 });
	expect(
		await core.readNamespacedPodLog({
			name: pod.metadata!.name!,
			namespace: NS,
			container: 'buildkit',
		}),
	).toContain('failed to push 127.0.0.1:1/nowhere/app:1');
});
