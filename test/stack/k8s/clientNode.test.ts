import * as k8s from '@kubernetes/client-node';
import { startKubeStandIn, type KubeStandIn } from './index';
import { testJob } from './testJob';
import { rawRequest, until, watchJobs } from './testing';

// The real @kubernetes/client-node (ESM, undici) against the stand-in over TLS with the n8n service account's
// token: what lib/k8s does at runtime, including the error shapes it has to map.
const NS = 'build-system';
// Upper bounds only (the machine is shared and slow at times); nothing here asserts on time.
jest.setTimeout(30_000);
let standIn: KubeStandIn;
let kc: k8s.KubeConfig;
let batch: k8s.BatchV1Api;
let core: k8s.CoreV1Api;

function configFor(token: string): k8s.KubeConfig {
	const c = new k8s.KubeConfig();
	c.loadFromString(standIn.kubeconfig(token));
	return c;
}

async function apiError(p: Promise<unknown>): Promise<{ code: number; status: any }> {
	try {
		await p;
	} catch (err: any) {
		return {
			code: err.code,
			status: typeof err.body === 'string' ? JSON.parse(err.body) : err.body,
		};
	}
	throw new Error('expected the call to fail');
}

/** Watches one Job from `resourceVersion` until `stopWhen` says stop. */
const watchJob = (
	name: string,
	resourceVersion: string,
	stopWhen: (type: string, obj: any) => boolean,
	params: Record<string, unknown> = {},
) =>
	watchJobs(
		kc,
		NS,
		{ fieldSelector: `metadata.name=${name}`, resourceVersion, ...params },
		stopWhen,
	);

beforeAll(async () => {
	standIn = await startKubeStandIn({ bookmarkIntervalMs: 200 });
	kc = configFor(standIn.tokenFor('automation', 'n8n'));
	batch = kc.makeApiClient(k8s.BatchV1Api);
	core = kc.makeApiClient(k8s.CoreV1Api);
});

afterAll(async () => {
	await standIn?.stop();
});

test('create, read and list a Job over TLS with the n8n token; the server fills uid, selector and labels', async () => {
	const created = await batch.createNamespacedJob({
		namespace: NS,
		body: testJob({ name: 'cn-create' }) as k8s.V1Job,
	});
	expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
	expect(created.spec?.selector?.matchLabels?.['batch.kubernetes.io/controller-uid']).toBe(
		created.metadata?.uid,
	);
	expect(created.spec?.template.metadata?.labels?.['job-name']).toBe('cn-create');
	const read = await batch.readNamespacedJob({ name: 'cn-create', namespace: NS });
	expect(read.metadata?.uid).toBe(created.metadata?.uid);
	const list = await batch.listNamespacedJob({
		namespace: NS,
		fieldSelector: 'metadata.name=cn-create',
	});
	expect(list.items.map((j) => j.metadata?.name)).toEqual(['cn-create']);
	expect(Number(list.metadata?.resourceVersion)).toBeGreaterThanOrEqual(
		Number(read.metadata?.resourceVersion),
	);
});

test('watch from the list resourceVersion sees SuccessCriteriaMet then Complete; the pod carries the digest', async () => {
	await standIn.setScenario({ jobName: 'cn-watch' }, { outcome: 'succeed', runMs: 150 });
	const list = await batch.listNamespacedJob({
		namespace: NS,
		fieldSelector: 'metadata.name=cn-watch',
	});
	const watching = watchJob(
		'cn-watch',
		list.metadata!.resourceVersion!,
		(type, obj) =>
			type === 'MODIFIED' &&
			(obj.status?.conditions ?? []).some((c: any) => c.type === 'Complete' && c.status === 'True'),
	);
	const job = await batch.createNamespacedJob({
		namespace: NS,
		body: testJob({ name: 'cn-watch', images: ['127.0.0.1:1/app/x:1'] }) as k8s.V1Job,
	});
	const { events: seen, end } = await watching;
	expect(end).toBe('stopped');
	expect(seen[0].type).toBe('ADDED');
	const conditionOrder = seen
		.flatMap((e) => (e.obj.status?.conditions ?? []).map((c: any) => c.type))
		.filter((t, i, a) => a.indexOf(t) === i);
	expect(conditionOrder).toEqual(['SuccessCriteriaMet', 'Complete']);
	const final = seen[seen.length - 1].obj;
	expect(final.status.succeeded).toBe(1);
	expect(final.status.completionTime).toBeDefined();

	const pods = await core.listNamespacedPod({
		namespace: NS,
		labelSelector: `batch.kubernetes.io/controller-uid=${job.metadata!.uid}`,
	});
	expect(pods.items).toHaveLength(1);
	const build = pods.items[0].status!.containerStatuses!.find((s) => s.name === 'buildkit')!;
	const message = JSON.parse(build.state!.terminated!.message!);
	expect(message).toEqual({
		digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
		image: '127.0.0.1:1/app/x:1',
	});
	expect(pods.items[0].status!.initContainerStatuses![0].name).toBe('git-clone');
});

test('pod logs per container with tailLines and limitBytes', async () => {
	const job = await batch.readNamespacedJob({ name: 'cn-watch', namespace: NS });
	const pod = (
		await core.listNamespacedPod({ namespace: NS, labelSelector: `job-name=${job.metadata!.name}` })
	).items[0];
	const name = pod.metadata!.name!;
	const clone = await core.readNamespacedPodLog({ name, namespace: NS, container: 'git-clone' });
	expect(clone).toContain("Cloning into '/workspace/src'...");
	const all = await core.readNamespacedPodLog({ name, namespace: NS, container: 'buildkit' });
	const tail = await core.readNamespacedPodLog({
		name,
		namespace: NS,
		container: 'buildkit',
		tailLines: 2,
	});
	expect(tail.trimEnd().split('\n')).toEqual(all.trimEnd().split('\n').slice(-2));
	const limited = await core.readNamespacedPodLog({
		name,
		namespace: NS,
		container: 'buildkit',
		limitBytes: 10,
	});
	expect(Buffer.byteLength(limited)).toBe(10);
	const defaulted = await core.readNamespacedPodLog({ name, namespace: NS });
	expect(defaulted).toBe(all);
});

test('403 in another namespace and for Secrets, 409 on a duplicate, 422 on bad names, 404 for a missing Job', async () => {
	const other = await apiError(
		batch.createNamespacedJob({
			namespace: 'default',
			body: testJob({ name: 'cn-elsewhere', namespace: 'default' }) as k8s.V1Job,
		}),
	);
	expect(other.code).toBe(403);
	expect(other.status).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403 });
	expect(other.status.message).toBe(
		'jobs.batch is forbidden: User "system:serviceaccount:automation:n8n" cannot create resource "jobs" in API group "batch" in the namespace "default"',
	);
	expect((await apiError(core.listNamespacedSecret({ namespace: NS }))).code).toBe(403);

	const dup = await apiError(
		batch.createNamespacedJob({ namespace: NS, body: testJob({ name: 'cn-create' }) as k8s.V1Job }),
	);
	expect(dup.code).toBe(409);
	expect(dup.status).toMatchObject({
		reason: 'AlreadyExists',
		message: 'jobs.batch "cn-create" already exists',
	});

	const bad = await apiError(
		batch.createNamespacedJob({ namespace: NS, body: testJob({ name: 'Bad_Name' }) as k8s.V1Job }),
	);
	expect(bad.code).toBe(422);
	expect(bad.status.reason).toBe('Invalid');
	expect(bad.status.details.causes[0]).toMatchObject({
		field: 'metadata.name',
		reason: 'FieldValueInvalid',
	});
	const long = await apiError(
		batch.createNamespacedJob({
			namespace: NS,
			body: testJob({ name: 'a'.repeat(64) }) as k8s.V1Job,
		}),
	);
	expect(long.code).toBe(422);
	expect(long.status.message).toContain('must be no more than 63 characters');

	const missing = await apiError(batch.readNamespacedJob({ name: 'nope', namespace: NS }));
	expect(missing).toMatchObject({
		code: 404,
		status: { reason: 'NotFound', message: 'jobs.batch "nope" not found' },
	});
});

test('unknown fields (which the typed client would silently drop) are a Warning by default and a 400 with Strict', async () => {
	const body = testJob({ name: 'cn-typo' }) as any;
	// The typo instead of the real key: the Job falls back to the default of 6 retries.
	delete body.spec.backoffLimit;
	body.spec.backofLimit = 0;
	body.spec.template.spec.containers[0].imagePullPolicyy = 'Always';
	const post = (query: string) =>
		rawRequest(
			`${standIn.url}/apis/batch/v1/namespaces/${NS}/jobs${query}`,
			standIn.caPem,
			standIn.tokenFor('automation', 'n8n'),
			'POST',
			JSON.stringify(body),
			'application/json',
		);
	const strict = await post('?fieldValidation=Strict');
	expect(strict.status).toBe(400);
	expect(strict.body.message).toMatch(/^strict decoding error: /);
	expect(strict.body.message).toContain('unknown field "spec.backofLimit"');
	expect(strict.body.message).toContain(
		'unknown field "spec.template.spec.containers[0].imagePullPolicyy"',
	);
	const warned = await post('');
	expect(warned.status).toBe(201);
	expect(warned.headers.warning).toContain('299 - "unknown field \\"spec.backofLimit\\""');
	expect(warned.body.spec.backofLimit).toBeUndefined();
	expect(warned.body.spec.backoffLimit).toBe(6);
});

test('401 for a token the stand-in did not sign', async () => {
	const forged = configFor(`${standIn.tokenFor('automation', 'n8n')}x`).makeApiClient(
		k8s.BatchV1Api,
	);
	const err = await apiError(forged.listNamespacedJob({ namespace: NS }));
	expect(err.code).toBe(401);
});

test('SelfSubjectAccessReview answers from deploy/ RBAC', async () => {
	const authz = kc.makeApiClient(k8s.AuthorizationV1Api);
	const can = async (
		verb: string,
		resource: string,
		namespace = NS,
		group = '',
		subresource?: string,
	) =>
		(
			await authz.createSelfSubjectAccessReview({
				body: { spec: { resourceAttributes: { namespace, verb, group, resource, subresource } } },
			})
		).status!.allowed;
	expect(await can('create', 'jobs', NS, 'batch')).toBe(true);
	expect(await can('get', 'pods', NS, '', 'log')).toBe(true);
	expect(await can('create', 'jobs', 'default', 'batch')).toBe(false);
	expect(await can('get', 'secrets')).toBe(false);
	expect(await can('create', 'pods', NS, '', 'exec')).toBe(false);
});

test('a watch from a forgotten resourceVersion gets an ERROR event with a 410 Expired Status', async () => {
	const list = await batch.listNamespacedJob({ namespace: NS });
	await standIn.faults.forgetHistory();
	const { events: seen } = await watchJob(
		'cn-create',
		list.metadata!.resourceVersion!,
		(type) => type === 'ERROR',
	);
	expect(seen).toHaveLength(1);
	expect(seen[0].obj).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
	// A relist gives a resourceVersion that can be watched again.
	const relist = await batch.listNamespacedJob({ namespace: NS });
	const again = await watchJob(
		'cn-create',
		relist.metadata!.resourceVersion!,
		(type) => type === 'BOOKMARK',
	);
	expect(again.events.map((e) => e.type)).not.toContain('ERROR');
	const bookmark = again.events[again.events.length - 1];
	expect(bookmark.type).toBe('BOOKMARK');
	expect(Number(bookmark.obj.metadata.resourceVersion)).toBeGreaterThanOrEqual(
		Number(relist.metadata!.resourceVersion),
	);
});

test('timeoutSeconds ends the watch cleanly (done(null)) after a last bookmark', async () => {
	const list = await batch.listNamespacedJob({ namespace: NS });
	const { events: seen, end } = await watchJob(
		'cn-create',
		list.metadata!.resourceVersion!,
		() => false,
		{ timeoutSeconds: 1 },
	);
	expect(end).toBeNull();
	expect(seen[seen.length - 1].type).toBe('BOOKMARK');
});

test('delete with propagationPolicy Background removes the Job and then its pods', async () => {
	const job = await batch.readNamespacedJob({ name: 'cn-watch', namespace: NS });
	const status = await batch.deleteNamespacedJob({
		name: 'cn-watch',
		namespace: NS,
		propagationPolicy: 'Background',
	});
	expect(status.status).toBe('Success');
	expect((await apiError(batch.readNamespacedJob({ name: 'cn-watch', namespace: NS }))).code).toBe(
		404,
	);
	const selector = `batch.kubernetes.io/controller-uid=${job.metadata!.uid}`;
	await until(
		'pods deleted',
		() => core.listNamespacedPod({ namespace: NS, labelSelector: selector }),
		(l) => l.items.length === 0,
	);
});
