import { createBuildKitJob } from '../../lib/k8s/build/createJob';
import { kubeConfigFromCredential } from '../../lib/k8s/kubeConfig';
import { startKubeStandIn, type JobScenario, type KubeStandIn } from '../stack/k8s';
import { runWorkflowOnce } from '../stack/n8n';

/**
 * The Wait for Job node in real n8n (packed and installed like a community package), run once from a Manual
 * Trigger over four items: each item gets its own outcome with pairedItem, the items wait side by side (the
 * stand-in's request log shows every watch open before any wait ends), and with Fail on Job Failure on, a
 * failed build becomes an error carrying the diagnosis.
 */
jest.setTimeout(300_000);

const NAMESPACE = 'build-system';
let standIn: KubeStandIn;

beforeAll(async () => {
	standIn = await startKubeStandIn();
});

afterAll(async () => {
	await standIn?.stop();
});

const node = (
	name: string,
	type: string,
	position: number,
	parameters: Record<string, unknown>,
	extra: Record<string, unknown> = {},
) => ({
	id: `node-${position}-${name}`,
	name,
	type,
	typeVersion: type === 'n8n-nodes-base.set' ? 3.4 : 1,
	position: [position * 220, 0],
	parameters,
	...extra,
});

const waitNode = (name: string, position: number, parameters: Record<string, unknown>) =>
	node(
		name,
		'n8n-nodes-buildkit.waitForJob',
		position,
		{ timeoutSeconds: 4, stuckAfterSeconds: 0, logTailLines: 5, ...parameters },
		{
			credentials: { kubernetesApi: { id: 'kube', name: 'Kube' } },
			onError: 'continueRegularOutput',
		},
	);

test('Wait for Job in real n8n: one result per item, side by side; Fail on Job Failure gives the diagnosis as the error', async () => {
	const token = standIn.tokenFor('automation', 'n8n');
	const kc = kubeConfigFromCredential({
		authentication: 'kubeconfig',
		kubeconfig: standIn.kubeconfig(token),
	});
	const start = async (jobName: string, scenario: JobScenario) => {
		await standIn.setScenario({ jobName }, scenario);
		await createBuildKitJob(kc, {
			namespace: NAMESPACE,
			appName: 'webapp',
			gitRepositoryUrl: 'https://git.example.com/webapp.git',
			image: 'registry.local:5000/webapp/app:1.0.0',
			attestations: [],
			jobName,
		});
	};
	await start('node-ok', { outcome: 'succeed', runMs: 100 });
	await start('node-build-fail', { outcome: 'build-fail', runMs: 100 });
	await start('node-hang-1', { outcome: 'hang', runMs: 100 });
	await start('node-hang-2', { outcome: 'hang', runMs: 100 });
	const jobs = (names: string[]) =>
		JSON.stringify({ jobs: names.map((jobName) => ({ jobName, namespace: NAMESPACE })) });

	const workflow = {
		name: 'wait-for-job',
		active: false,
		nodes: [
			node('Start', 'n8n-nodes-base.manualTrigger', 0, {}),
			node('Jobs', 'n8n-nodes-base.set', 1, {
				mode: 'raw',
				jsonOutput: jobs(['node-ok', 'node-build-fail', 'node-hang-1', 'node-hang-2']),
			}),
			node('Split', 'n8n-nodes-base.splitOut', 2, { fieldToSplitOut: 'jobs' }),
			// Namespace and Job Name left at their defaults: {{ $json.namespace }} / {{ $json.jobName }}.
			waitNode('Wait', 3, { failOnJobFailure: false }),
			node('Failed Job', 'n8n-nodes-base.set', 1, {
				mode: 'raw',
				jsonOutput: JSON.stringify({ jobName: 'node-build-fail', namespace: NAMESPACE }),
			}),
			waitNode('Wait Strict', 2, { failOnJobFailure: true }),
		],
		connections: {
			Start: {
				main: [
					[
						{ node: 'Jobs', type: 'main', index: 0 },
						{ node: 'Failed Job', type: 'main', index: 0 },
					],
				],
			},
			Jobs: { main: [[{ node: 'Split', type: 'main', index: 0 }]] },
			Split: { main: [[{ node: 'Wait', type: 'main', index: 0 }]] },
			'Failed Job': { main: [[{ node: 'Wait Strict', type: 'main', index: 0 }]] },
		},
	};
	const run = await runWorkflowOnce(workflow, {
		credentials: [
			{
				id: 'kube',
				name: 'Kube',
				type: 'kubernetesApi',
				data: {
					authentication: 'token',
					server: standIn.url,
					token,
					caCertificate: standIn.caPem,
					namespace: NAMESPACE,
				},
			},
		],
	});
	const items = (name: string) =>
		run.data.data.resultData.runData[name][0].data.main[0] as Array<{ json: any; pairedItem: any }>;

	const waited = items('Wait');
	expect(waited.map((i) => [i.json.jobName, i.json.status, i.json.reason])).toEqual([
		['node-ok', 'succeeded', 'CompletionsReached'],
		['node-build-fail', 'failed', 'BuildFailed'],
		['node-hang-1', 'timeout', 'WaitTimeout'],
		['node-hang-2', 'timeout', 'WaitTimeout'],
	]);
	expect(waited.map((i) => i.pairedItem)).toEqual([
		{ item: 0 },
		{ item: 1 },
		{ item: 2 },
		{ item: 3 },
	]);
	expect(waited[0].json.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
	expect(waited[0].json.imageRef).toBe(`registry.local:5000/webapp/app@${waited[0].json.digest}`);
	expect(waited[1].json.logTail.split('\n').length).toBeLessThanOrEqual(5);

	// Side by side: both hanging Jobs were being watched before either wait ended (its end reads the pods).
	const log = await standIn.requests();
	const firstAt = (match: (r: (typeof log)[number]) => boolean) =>
		Math.min(...log.filter(match).map((r) => r.at));
	const watchOpened = (job: string) =>
		firstAt((r) => r.watch && decodeURIComponent(r.query).includes(`metadata.name=${job}`));
	const endOfHangWaits = firstAt(
		(r) => r.path.includes('/pods/node-hang-') && r.path.endsWith('/log'),
	);
	expect(watchOpened('node-hang-1')).toBeLessThan(endOfHangWaits);
	expect(watchOpened('node-hang-2')).toBeLessThan(endOfHangWaits);

	const [strict] = items('Wait Strict');
	expect(strict.json.error).toContain('Container buildkit exited with code 1');
	expect(strict.json.error).toContain('BackoffLimitExceeded');
	expect(strict.pairedItem).toEqual({ item: 0 });
	expect(JSON.stringify(run.data)).not.toContain(token);
});
