import * as k8s from '@kubernetes/client-node';
import { kubeConfigFromCredential } from '../../lib/k8s/kubeConfig';
import { startKubeStandIn, type KubeStandIn } from '../stack/k8s';
import { runWorkflowOnce } from '../stack/n8n';

/**
 * The node itself in real n8n (packed and installed like a community package), run once from a Manual
 * Trigger: parameters and options reach the lib as the node's contract says, a real Job lands on the API
 * stand-in, and a bad parameter becomes an error item (Continue On Fail) that names the parameter.
 */
jest.setTimeout(300_000);

let standIn: KubeStandIn;

beforeAll(async () => {
	standIn = await startKubeStandIn();
});

afterAll(async () => {
	await standIn?.stop();
});

const SHA = 'a'.repeat(40);

function createNode(name: string, parameters: Record<string, unknown>, position: number) {
	return {
		id: `node-${position}`,
		name,
		type: 'n8n-nodes-buildkit.createBuildKitJob',
		typeVersion: 1,
		position: [position * 220, 0],
		parameters,
		credentials: { kubernetesApi: { id: 'kube', name: 'Kube' } },
		onError: 'continueRegularOutput',
	};
}

test('Create BuildKit Job in real n8n: creates the Job with the options given; a bad revision is an error item', async () => {
	const token = standIn.tokenFor('automation', 'n8n');
	const workflow = {
		name: 'create-buildkit-job',
		active: false,
		nodes: [
			{
				id: 'trigger',
				name: 'Start',
				type: 'n8n-nodes-base.manualTrigger',
				typeVersion: 1,
				position: [0, 0],
				parameters: {},
			},
			createNode(
				'Build',
				{
					appName: 'webapp',
					gitRepositoryUrl: 'https://git.example.com/org/webapp.git',
					gitRevision: SHA,
					image: 'registry.local:5000/webapp/app:2.0.0',
					options: {
						additionalTags: 'latest, 2.0',
						platforms: 'linux/amd64, linux/arm64',
						buildArgs: { arg: [{ name: 'GREETING', value: "hello $(id) 'world'" }] },
						attestations: ['provenance'],
						deterministicName: true,
						ifExists: 'reuse',
					},
				},
				1,
			),
			createNode(
				'Bad',
				{
					appName: 'webapp',
					gitRepositoryUrl: 'https://git.example.com/org/webapp.git',
					gitRevision: '--upload-pack=touch',
					image: 'registry.local:5000/webapp/app:2.0.0',
				},
				2,
			),
		],
		connections: {
			Start: {
				main: [
					[
						{ node: 'Build', type: 'main', index: 0 },
						{ node: 'Bad', type: 'main', index: 0 },
					],
				],
			},
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
					namespace: 'build-system',
				},
			},
		],
	});
	const output = (node: string) =>
		run.data.data.resultData.runData[node][0].data.main[0].map((i: { json: unknown }) => i.json);

	const [built] = output('Build');
	expect(built).toMatchObject({
		namespace: 'build-system',
		image: 'registry.local:5000/webapp/app:2.0.0',
		tags: ['2.0.0', 'latest', '2.0'],
		gitRevision: SHA,
		attestations: ['provenance'],
		reused: false,
		dryRun: false,
	});
	expect(built.jobName).toMatch(/^webapp-aaaaaaa-[a-z0-9]{5}$/);
	const job = await kubeConfigFromCredential({
		authentication: 'kubeconfig',
		kubeconfig: standIn.kubeconfig(standIn.adminToken),
	})
		.makeApiClient(k8s.BatchV1Api)
		.readNamespacedJob({ name: built.jobName, namespace: 'build-system' });
	expect(job.metadata?.uid).toBe(built.uid);
	const args = job.spec!.template.spec!.containers[0].args!;
	expect(args).toContain("build-arg:GREETING=hello $(id) 'world'");
	expect(args).toContain('platform=linux/amd64,linux/arm64');
	expect(args).not.toContain('attest:sbom=');

	const [bad] = output('Bad');
	expect(bad.error).toContain('gitRevision');
	expect(bad.error).toContain('starts with "-"');
	expect(JSON.stringify(run.data)).not.toContain(token);
});
