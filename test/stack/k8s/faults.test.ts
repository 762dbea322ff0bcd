import * as k8s from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeAccessReview } from './server/protobuf';
import { startKubeStandIn, type KubeStandIn } from './index';
import { testJob } from './testJob';
import { jobCondition, rawRequest, until, watchJobs } from './testing';

// Faults on demand (what Wait for Job must survive) and the request log that counts LIST/WATCH per wait.
const NS = 'build-system';
// Upper bounds only (the machine is shared and slow at times); nothing here asserts on time.
jest.setTimeout(30_000);
let standIn: KubeStandIn;
let kc: k8s.KubeConfig;
let batch: k8s.BatchV1Api;

const watch = (params: Record<string, unknown>, stopWhen?: (type: string, obj: any) => boolean) =>
	watchJobs(kc, NS, params, stopWhen);
const complete = (j: k8s.V1Job) => !!jobCondition(j, 'Complete');
const watchCount = (n: number) =>
	until(
		`${n} open watches`,
		() => standIn.openWatches(),
		(open) => open === n,
	);

beforeAll(async () => {
	standIn = await startKubeStandIn({ bookmarkIntervalMs: 100 });
	kc = new k8s.KubeConfig();
	kc.loadFromString(standIn.kubeconfig(standIn.tokenFor('automation', 'n8n')));
	batch = kc.makeApiClient(k8s.BatchV1Api);
});

afterAll(async () => {
	await standIn?.stop();
});

test('bookmarks arrive periodically on a quiet watch and carry the current resourceVersion', async () => {
	const list = await batch.listNamespacedJob({ namespace: NS });
	let bookmarks = 0;
	const { events } = await watch(
		{ resourceVersion: list.metadata!.resourceVersion },
		(type) => type === 'BOOKMARK' && ++bookmarks === 3,
	);
	expect(events.map((e) => e.type)).toEqual(['BOOKMARK', 'BOOKMARK', 'BOOKMARK']);
	expect(events[0].obj).toMatchObject({
		kind: 'Job',
		apiVersion: 'batch/v1',
		metadata: { resourceVersion: list.metadata!.resourceVersion },
	});
});

test('dropWatches ends every open watch (the client sees done(null)); abrupt drops reset the connection', async () => {
	const list = await batch.listNamespacedJob({ namespace: NS });
	const a = watch({ resourceVersion: list.metadata!.resourceVersion });
	const b = watch({ resourceVersion: list.metadata!.resourceVersion });
	await watchCount(2);
	await standIn.faults.dropWatches();
	expect((await a).end).toBeNull();
	expect((await b).end).toBeNull();
	const c = watch({ resourceVersion: list.metadata!.resourceVersion });
	await watchCount(1);
	await standIn.faults.dropWatches({ abrupt: true });
	expect((await c).end).toBeInstanceOf(Error);
	expect(await standIn.openWatches()).toBe(0);
});

test('dropWatchesEvery keeps cutting watches until switched off', async () => {
	await standIn.faults.dropWatchesEvery(100);
	const list = await batch.listNamespacedJob({ namespace: NS });
	const ends = await Promise.all(
		[1, 2, 3].map(() => watch({ resourceVersion: list.metadata!.resourceVersion })),
	);
	expect(ends.map((e) => e.end)).toEqual([null, null, null]);
	await standIn.faults.dropWatchesEvery(0);
	const { end } = await watch({
		resourceVersion: list.metadata!.resourceVersion,
		timeoutSeconds: 1,
	});
	expect(end).toBeNull();
});

test('forgetHistory: the next watch from a seen resourceVersion gets 410; a relist resourceVersion works', async () => {
	const list = await batch.listNamespacedJob({ namespace: NS });
	await standIn.faults.forgetHistory();
	const expired = await watch({ resourceVersion: list.metadata!.resourceVersion });
	expect(expired.events).toEqual([
		{ type: 'ERROR', obj: expect.objectContaining({ code: 410, reason: 'Expired' }) },
	]);
	expect(expired.end).toBeNull();
	const relist = await batch.listNamespacedJob({ namespace: NS });
	expect(Number(relist.metadata!.resourceVersion)).toBeGreaterThan(
		Number(list.metadata!.resourceVersion),
	);
	const fresh = await watch(
		{ resourceVersion: relist.metadata!.resourceVersion },
		(type) => type === 'BOOKMARK',
	);
	expect(fresh.events[0].type).toBe('BOOKMARK');
});

test('a watch without resourceVersion starts with ADDED for what exists; selector exits are DELETED events', async () => {
	await standIn.setScenario({ jobName: 'ft-initial' }, { outcome: 'hang' });
	await batch.createNamespacedJob({
		namespace: NS,
		body: testJob({ name: 'ft-initial' }) as k8s.V1Job,
	});
	const initial = await watch(
		{ fieldSelector: 'metadata.name=ft-initial' },
		(type) => type === 'ADDED',
	);
	expect(initial.events[0].obj.metadata.name).toBe('ft-initial');
	// A label change moves the Job out of this watcher's label selector: the watcher must see it as DELETED.
	const job = await batch.readNamespacedJob({ name: 'ft-initial', namespace: NS });
	const watching = watch(
		{ labelSelector: 'webapp=app', resourceVersion: job.metadata!.resourceVersion },
		(type) => type === 'DELETED',
	);
	await watchCount(1);
	const admin = new k8s.KubeConfig();
	admin.loadFromString(standIn.kubeconfig(standIn.adminToken));
	await admin
		.makeApiClient(k8s.BatchV1Api)
		.patchNamespacedJob(
			{ name: 'ft-initial', namespace: NS, body: { metadata: { labels: { webapp: 'moved' } } } },
			k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
		);
	const { events } = await watching;
	const last = events[events.length - 1];
	expect(last.obj.metadata.labels.webapp).toBe('moved');
	expect(events.filter((e) => e.type === 'ADDED')).toEqual([]);
});

test('restart: same port, same Jobs and uids, the simulation carries on, open watches are cut', async () => {
	await standIn.setScenario({ jobName: 'ft-restart' }, { outcome: 'succeed', runMs: 600 });
	const before = (await batch.listNamespacedJob({ namespace: NS })).metadata!.resourceVersion;
	const created = await batch.createNamespacedJob({
		namespace: NS,
		body: testJob({ name: 'ft-restart' }) as k8s.V1Job,
	});
	const cut = watch({
		fieldSelector: 'metadata.name=ft-restart',
		resourceVersion: created.metadata!.resourceVersion,
		timeoutSeconds: 20,
	});
	await watchCount(1);
	const oldPid = standIn.pid;
	await standIn.faults.restart();
	expect(standIn.pid).not.toBe(oldPid);
	expect(() => process.kill(oldPid, 0)).toThrow();
	expect((await cut).end).not.toBe('stopped');
	const after = await batch.readNamespacedJob({ name: 'ft-restart', namespace: NS });
	expect(after.metadata!.uid).toBe(created.metadata!.uid);
	await until(
		'Complete after restart',
		() => batch.readNamespacedJob({ name: 'ft-restart', namespace: NS }),
		complete,
	);
	// History restarts cold, as after an apiserver restart: a resourceVersion from before the last pre-restart
	// write is too old (the head itself would still be watchable).
	const stale = await watch({ resourceVersion: before, timeoutSeconds: 5 }, () => true);
	expect(stale.events[0].obj).toMatchObject({ code: 410 });
});

test('a push cut short by a restart is done again by the new process, and the Job completes', async () => {
	const pushLog = join(standIn.dir, 'pushes.jsonl');
	const pushing = await startKubeStandIn({
		registry: { host: '127.0.0.1:5999' },
		pushModule: join(__dirname, 'fakePush.ts'),
		env: { FAKE_PUSH_DELAY_MS: '400', FAKE_PUSH_LOG: pushLog },
	});
	try {
		const admin = new k8s.KubeConfig();
		admin.loadFromString(pushing.kubeconfig(pushing.adminToken));
		const jobs = admin.makeApiClient(k8s.BatchV1Api);
		await pushing.setScenario('default', { outcome: 'succeed', runMs: 50 });
		await jobs.createNamespacedJob({
			namespace: NS,
			body: testJob({
				name: 'ft-push',
				images: ['127.0.0.1:5999/app/x:1', '127.0.0.1:5999/app/x:2'],
			}) as k8s.V1Job,
		});
		const firstPid = pushing.pid;
		// The build container is done after runMs; the push then takes 400 ms: restart in the middle of it.
		await new Promise((r) => setTimeout(r, 200));
		await pushing.faults.restart();
		const done = await until(
			'Complete',
			() => jobs.readNamespacedJob({ name: 'ft-push', namespace: NS }),
			complete,
		);
		expect(complete(done)).toBe(true);
		const pushes = readFileSync(pushLog, 'utf8')
			.trim()
			.split('\n')
			.map((l) => JSON.parse(l));
		expect(pushes).toHaveLength(1); // the first process was stopped before its push finished
		expect(pushes[0]).toMatchObject({
			registry: '127.0.0.1:5999',
			repository: 'app/x',
			tags: ['1', '2'],
		});
		expect(pushes[0].pid).not.toBe(firstPid);
	} finally {
		await pushing.stop();
	}
});

test('the request log counts LISTs and WATCHes with their query and status', async () => {
	await standIn.clearRequests();
	const list = await batch.listNamespacedJob({
		namespace: NS,
		fieldSelector: 'metadata.name=ft-restart',
	});
	await watch({
		fieldSelector: 'metadata.name=ft-restart',
		resourceVersion: list.metadata!.resourceVersion,
		timeoutSeconds: 1,
	});
	const log = await standIn.requests();
	const jobs = log.filter((r) => r.path === `/apis/batch/v1/namespaces/${NS}/jobs`);
	expect(jobs.map((r) => ({ method: r.method, watch: r.watch, status: r.status }))).toEqual([
		{ method: 'GET', watch: false, status: 200 },
		{ method: 'GET', watch: true, status: 200 },
	]);
	expect(jobs[1].query).toContain(`resourceVersion=${list.metadata!.resourceVersion}`);
	expect(jobs.every((r) => r.user === 'system:serviceaccount:automation:n8n')).toBe(true);
});

test('the protobuf SelfSubjectAccessReview body kubectl sends is decoded (built here byte for byte)', async () => {
	const post = (attrs: Record<string, string>) =>
		rawRequest(
			`${standIn.url}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews`,
			standIn.caPem,
			standIn.tokenFor('automation', 'n8n'),
			'POST',
			encodeAccessReview(attrs),
			'application/vnd.kubernetes.protobuf',
		);
	const yes = await post({ namespace: NS, verb: 'create', group: 'batch', resource: 'jobs' });
	expect(yes).toMatchObject({
		status: 201,
		body: { kind: 'SelfSubjectAccessReview', status: { allowed: true } },
	});
	expect(yes.body.status.reason).toContain(
		'RoleBinding "n8n-build-manager/build-system" of Role "build-job-manager"',
	);
	const no = await post({ namespace: NS, verb: 'create', resource: 'pods', subresource: 'exec' });
	expect(no.body.status.allowed).toBe(false);
	expect(no.body.spec.resourceAttributes).toEqual({
		namespace: NS,
		verb: 'create',
		resource: 'pods',
		subresource: 'exec',
	});
});
