import * as k8s from '@kubernetes/client-node';
import { startKubeStandIn, type KubeStandIn } from './index';
import { testJob } from './testJob';
import { until } from './testing';

// deploy/'s ResourceQuota enforced (enforceQuota): what a real cluster refuses, and how it shows.
const NS = 'build-system';
// Upper bounds only (the machine is shared and slow at times); nothing here asserts on time.
jest.setTimeout(30_000);
let standIn: KubeStandIn;
let batch: k8s.BatchV1Api;
let core: k8s.CoreV1Api;

const create = (name: string, extra: Parameters<typeof testJob>[0] | object = {}) =>
	batch.createNamespacedJob({ namespace: NS, body: testJob({ name, ...extra }) as k8s.V1Job });
const failedCreate = async (jobName: string) =>
	(
		await core.listNamespacedEvent({
			namespace: NS,
			fieldSelector: `involvedObject.name=${jobName},reason=FailedCreate`,
		})
	).items;

beforeAll(async () => {
	standIn = await startKubeStandIn({ enforceQuota: true });
	const kc = new k8s.KubeConfig();
	kc.loadFromString(standIn.kubeconfig(standIn.adminToken));
	batch = kc.makeApiClient(k8s.BatchV1Api);
	core = kc.makeApiClient(k8s.CoreV1Api);
	await standIn.setScenario('default', { outcome: 'hang', runMs: 60 });
});

afterAll(async () => {
	await standIn?.stop();
});

test('a container without memory limits/requests: the pod is refused, the Job shows no pod and a FailedCreate event', async () => {
	const job = await create('q-nolimits', { gitCloneResources: false });
	const [event] = await until(
		'FailedCreate',
		() => failedCreate('q-nolimits'),
		(e) => e.length > 0,
	);
	expect(event).toMatchObject({
		type: 'Warning',
		involvedObject: { kind: 'Job', uid: job.metadata!.uid },
	});
	expect(event.message).toMatch(
		/^Error creating: pods "q-nolimits-[a-z0-9]{5}" is forbidden: failed quota: build-quota: must specify limits\.memory for: git-clone$/,
	);
	expect(
		(await core.listNamespacedPod({ namespace: NS, labelSelector: 'job-name=q-nolimits' })).items,
	).toHaveLength(0);
	expect(
		(await batch.readNamespacedJob({ name: 'q-nolimits', namespace: NS })).status!.active,
	).toBe(0);
	await batch.deleteNamespacedJob({
		name: 'q-nolimits',
		namespace: NS,
		propagationPolicy: 'Background',
	});
});

test('pods quota from deploy/: one build more than it allows waits for a free slot and starts when one is freed', async () => {
	const quota = await core.readNamespacedResourceQuota({ name: 'build-quota', namespace: NS });
	const slots = Number(quota.spec!.hard!.pods);
	for (let n = 1; n <= slots; n++) await create(`q-slot-${n}`);
	const extra = `q-slot-${slots + 1}`;
	await create(extra);
	const [event] = await until(
		'FailedCreate',
		() => failedCreate(extra),
		(e) => e.length > 0,
	);
	expect(event.message).toContain(
		`exceeded quota: build-quota, requested: pods=1, used: pods=${slots}, limited: pods=${slots}`,
	);
	await batch.deleteNamespacedJob({
		name: 'q-slot-1',
		namespace: NS,
		propagationPolicy: 'Background',
	});
	const pods = await until(
		`pod of ${extra}`,
		() => core.listNamespacedPod({ namespace: NS, labelSelector: `job-name=${extra}` }),
		(l) => l.items.length === 1,
	);
	expect(pods.items[0].metadata!.ownerReferences![0].name).toBe(extra);
});

test('count/jobs.batch: every quota in the namespace counts; the Job past the limit is a 403 naming it', async () => {
	const used = (await batch.listNamespacedJob({ namespace: NS })).items.length + 1;
	await core.createNamespacedResourceQuota({
		namespace: NS,
		body: { metadata: { name: 'tight' }, spec: { hard: { 'count/jobs.batch': String(used) } } },
	});
	await create('q-count-last');
	const err = await create('q-count-over').catch((e) => e);
	expect(err.code).toBe(403);
	expect(JSON.parse(err.body).message).toBe(
		`jobs.batch "q-count-over" is forbidden: exceeded quota: tight, requested: count/jobs.batch=1, used: count/jobs.batch=${used}, limited: count/jobs.batch=${used}`,
	);
});
