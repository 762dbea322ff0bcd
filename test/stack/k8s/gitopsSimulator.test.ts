import { execFile } from 'node:child_process';
import * as k8s from '@kubernetes/client-node';
import { git, startGitServer, type GitServer } from '../git';
import { deploymentManifest, helmReleaseManifest, pushFiles } from './gitopsRepo';
import { startKubeStandIn, type KubeStandIn } from './index';
import { until } from './testing';

// The GitOps controller simulator and the Deployment rollout, checked through the API and the real kubectl
// (`rollout status` reads the same Deployment status fields and conditions a real cluster writes).
jest.setTimeout(60_000);

let standIn: KubeStandIn;
let server: GitServer;
let kc: k8s.KubeConfig;
let adminConfig: string;

const deployment = (image: string) =>
	deploymentManifest('web', image, { progressDeadlineSeconds: 2 });

function kubectl(...args: string[]): Promise<{ code: number; out: string }> {
	return new Promise((resolve) => {
		execFile(
			'kubectl',
			['--kubeconfig', adminConfig, ...args],
			{ env: { PATH: process.env.PATH, HOME: standIn.dir }, timeout: 30_000 },
			(err, stdout, stderr) => resolve({ code: err ? 1 : 0, out: `${stdout}${stderr}` }),
		);
	});
}

const pushManifest = (repo: string, content: string) =>
	pushFiles(server, repo, { 'deploy/web.yaml': content });

const objects = () => kc.makeApiClient(k8s.CustomObjectsApi);
const apps = () => kc.makeApiClient(k8s.AppsV1Api);
const core = () => kc.makeApiClient(k8s.CoreV1Api);
const kustomization = (name: string) =>
	objects().getNamespacedCustomObject({
		group: 'kustomize.toolkit.fluxcd.io',
		version: 'v1',
		namespace: 'flux-system',
		plural: 'kustomizations',
		name,
	}) as Promise<any>;
const ready = (obj: any) => obj.status?.conditions?.find((c: any) => c.type === 'Ready');

beforeAll(async () => {
	standIn = await startKubeStandIn();
	server = await startGitServer({ username: 'bot', password: 'pw' });
	kc = new k8s.KubeConfig();
	kc.loadFromString(standIn.kubeconfig(standIn.adminToken));
	adminConfig = standIn.kubeconfigFile(standIn.adminToken, 'admin.yaml');
});

afterAll(async () => {
	await standIn?.stop();
	await server?.stop();
});

async function fluxSource(repo: string, namespace: string): Promise<string> {
	await server.createBareRepo(repo, { 'deploy/web.yaml': deployment('registry.local/web:1.0') });
	const initial = (await git(['rev-parse', 'refs/heads/main'], server.repoDir(repo))).trim();
	await standIn.gitops.configure({
		kind: 'flux',
		namespace: 'flux-system',
		name: repo,
		fetchUrl: server.authedRepoUrl(repo),
		repoUrl: server.repoUrl(repo),
		branch: 'main',
		path: 'deploy',
		targetNamespace: namespace,
		intervalMs: 250,
	});
	return initial;
}

describe('Flux Kustomization', () => {
	it('applies each pushed commit, reports it as Flux does, and rolls the Deployment to the new image', async () => {
		const initial = await fluxSource('apps', 'prod');
		const first = await until(
			'initial revision applied',
			() => kustomization('apps'),
			(k) => k.status?.lastAppliedRevision === `main@sha1:${initial}`,
		);
		expect(ready(first)).toMatchObject({
			status: 'True',
			reason: 'ReconciliationSucceeded',
			message: `Applied revision: main@sha1:${initial}`,
			observedGeneration: 1,
		});
		expect(first.status.inventory.entries).toEqual([{ id: 'prod_web_apps_Deployment', v: 'v1' }]);
		expect(
			await kubectl('rollout', 'status', 'deployment/web', '-n', 'prod', '--timeout=20s'),
		).toMatchObject({ code: 0, out: expect.stringContaining('successfully rolled out') });

		const bumped = await pushManifest('apps', deployment('registry.local/web:1.1'));
		await until(
			'bump applied',
			() => kustomization('apps'),
			(k) => k.status?.lastAppliedRevision === `main@sha1:${bumped}`,
		);
		expect(
			await kubectl('rollout', 'status', 'deployment/web', '-n', 'prod', '--timeout=20s'),
		).toMatchObject({ code: 0 });
		const d = await apps().readNamespacedDeployment({ name: 'web', namespace: 'prod' });
		expect(d.metadata?.generation).toBe(2);
		expect(d.status).toMatchObject({
			observedGeneration: 2,
			replicas: 2,
			updatedReplicas: 2,
			readyReplicas: 2,
			availableReplicas: 2,
		});
		expect(d.status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({
			status: 'True',
			reason: 'NewReplicaSetAvailable',
		});
		const sets = (await apps().listNamespacedReplicaSet({ namespace: 'prod' })).items;
		expect(
			sets.map((rs) => [rs.spec?.template?.spec?.containers[0].image, rs.spec?.replicas]).sort(),
		).toEqual([
			['registry.local/web:1.0', 0],
			['registry.local/web:1.1', 2],
		]);
		const pods = (await core().listNamespacedPod({ namespace: 'prod', labelSelector: 'app=web' }))
			.items;
		expect(pods.map((p) => p.spec?.containers[0].image)).toEqual([
			'registry.local/web:1.1',
			'registry.local/web:1.1',
		]);
	});

	it('crash-loops the image a scenario names: CrashLoopBackOff with a log, then ProgressDeadlineExceeded', async () => {
		await fluxSource('crashy', 'crashy');
		await standIn.gitops.setRolloutScenario({ tag: 'broken' }, { outcome: 'crashloop' });
		await until(
			'initial rollout',
			() =>
				apps()
					.readNamespacedDeployment({ name: 'web', namespace: 'crashy' })
					.catch(() => undefined),
			(d) => d?.status?.availableReplicas === 2,
			30_000,
		);
		const bumped = await pushManifest('crashy', deployment('registry.local/web:broken'));
		await until(
			'bump applied',
			() => kustomization('crashy'),
			(k) => k.status?.lastAppliedRevision === `main@sha1:${bumped}`,
		);
		const pods = await until(
			'crash-looping pods',
			async () =>
				(
					await core().listNamespacedPod({ namespace: 'crashy', labelSelector: 'app=web' })
				).items.filter((p) => p.spec?.containers[0].image?.endsWith(':broken')),
			(ps) =>
				ps.length > 0 &&
				ps.every(
					(p) => p.status?.containerStatuses?.[0].state?.waiting?.reason === 'CrashLoopBackOff',
				),
		);
		expect(pods[0].status?.containerStatuses?.[0]).toMatchObject({
			restartCount: expect.any(Number),
			lastState: { terminated: { exitCode: 1, reason: 'Error' } },
		});
		const logs = await kubectl('logs', '-n', 'crashy', pods[0].metadata!.name!, '--previous');
		expect(logs.out).toContain('panic: DATABASE_URL is not set');
		// The old pods keep serving while the new ReplicaSet fails, as with maxUnavailable.
		const status = await kubectl(
			'rollout',
			'status',
			'deployment/web',
			'-n',
			'crashy',
			'--timeout=20s',
		);
		expect(status).toMatchObject({
			code: 1,
			out: expect.stringContaining('exceeded its progress deadline'),
		});
		const d = await apps().readNamespacedDeployment({ name: 'web', namespace: 'crashy' });
		expect(d.status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({
			status: 'False',
			reason: 'ProgressDeadlineExceeded',
		});
		expect(d.status?.availableReplicas).toBe(2);
	});

	it('reports an invalid manifest as Ready=False with the dry-run error, keeping the last applied revision', async () => {
		const initial = await fluxSource('invalid', 'invalid');
		await until(
			'initial revision applied',
			() => kustomization('invalid'),
			(k) => k.status?.lastAppliedRevision === `main@sha1:${initial}`,
		);
		const bad = await pushManifest(
			'invalid',
			deployment('registry.local/web:2.0').replace('          image: registry.local/web:2.0\n', ''),
		);
		const k = await until(
			'failure reported',
			() => kustomization('invalid'),
			(o) => o.status?.lastAttemptedRevision === `main@sha1:${bad}`,
		);
		expect(ready(k)).toMatchObject({ status: 'False', reason: 'ReconciliationFailed' });
		expect(ready(k).message).toBe(
			'Deployment/invalid/web dry-run failed (Invalid): Deployment.apps "web" is invalid: spec.template.spec.containers[0].image: Required value',
		);
		expect(k.status.lastAppliedRevision).toBe(`main@sha1:${initial}`);
		const wait = await kubectl(
			'wait',
			'-n',
			'flux-system',
			'kustomization/invalid',
			'--for=condition=Ready',
			'--timeout=1s',
		);
		expect(wait.code).toBe(1);
	});
});

describe('Flux HelmRelease', () => {
	it('stores an applied HelmRelease, bumps its generation on a spec change, and releases or fails it as helm-controller does', async () => {
		await fluxSource('charts', 'charts');
		await standIn.gitops.setRolloutScenario({ tag: '2.0' }, { outcome: 'upgradefailed' });
		const helmRelease = () =>
			objects().getNamespacedCustomObject({
				group: 'helm.toolkit.fluxcd.io',
				version: 'v2',
				namespace: 'charts',
				plural: 'helmreleases',
				name: 'webapp',
			}) as Promise<any>;
		const released = (tag: string, generation: number) =>
			pushFiles(server, 'charts', {
				'deploy/webapp.yaml': helmReleaseManifest('webapp', `registry.local/web:${tag}`),
			}).then(() =>
				until(
					`generation ${generation} released`,
					() => helmRelease().catch(() => undefined),
					(h) => h?.status?.observedGeneration === generation,
				),
			);
		const condition = (h: any, type: string) =>
			h.status.conditions.find((c: any) => c.type === type);

		const installed = await released('1.0', 1);
		expect(ready(installed)).toMatchObject({
			status: 'True',
			reason: 'InstallSucceeded',
			message: 'Helm install succeeded for release charts/webapp.v1 with chart webapp@0.1.0',
			observedGeneration: 1,
		});
		const upgraded = await released('1.1', 2);
		expect(upgraded.metadata.generation).toBe(2);
		expect(ready(upgraded)).toMatchObject({ status: 'True', reason: 'UpgradeSucceeded' });
		expect(condition(upgraded, 'Released').message).toBe(
			'Helm upgrade succeeded for release charts/webapp.v2 with chart webapp@0.1.0',
		);
		expect(upgraded.status.history.map((h: any) => [h.version, h.status])).toEqual([
			[2, 'deployed'],
			[1, 'superseded'],
		]);

		const failed = await released('2.0', 3);
		expect(ready(failed)).toMatchObject({
			status: 'False',
			reason: 'UpgradeFailed',
			message:
				'Helm upgrade failed for release charts/webapp with chart webapp@0.1.0: context deadline exceeded',
		});
		expect(condition(failed, 'Stalled')).toMatchObject({
			status: 'True',
			reason: 'RetriesExceeded',
		});
		// Served with its CRD in discovery, as kubectl finds it.
		expect(
			await kubectl('get', 'hr', 'webapp', '-n', 'charts', '-o', 'jsonpath={.metadata.generation}'),
		).toEqual({ code: 0, out: '3' });
	});
});

describe('Argo CD Application', () => {
	it('syncs the pushed commit and reports health from the Deployment', async () => {
		await server.createBareRepo('argo', {
			'deploy/web.yaml': deployment('registry.local/web:1.0'),
		});
		await standIn.gitops.configure({
			kind: 'argo',
			namespace: 'argocd',
			name: 'web',
			fetchUrl: server.authedRepoUrl('argo'),
			repoUrl: server.repoUrl('argo'),
			branch: 'main',
			path: 'deploy',
			targetNamespace: 'argo-web',
			intervalMs: 250,
		});
		const app = () =>
			objects().getNamespacedCustomObject({
				group: 'argoproj.io',
				version: 'v1alpha1',
				namespace: 'argocd',
				plural: 'applications',
				name: 'web',
			}) as Promise<any>;
		const bumped = await pushManifest('argo', deployment('registry.local/web:1.1'));
		const synced = await until(
			'synced and healthy',
			app,
			(a) => a.status?.sync?.revision === bumped && a.status?.health?.status === 'Healthy',
		);
		expect(synced.status.sync).toMatchObject({
			status: 'Synced',
			revision: bumped,
			comparedTo: {
				source: { repoURL: server.repoUrl('argo'), path: 'deploy', targetRevision: 'main' },
			},
		});
		expect(synced.status.operationState).toMatchObject({
			phase: 'Succeeded',
			message: 'successfully synced (all tasks run)',
			syncResult: { revision: bumped },
		});
		expect(synced.status.summary.images).toEqual(['registry.local/web:1.1']);
		expect(JSON.stringify(synced)).not.toContain('pw@');
		const table = await kubectl('get', 'applications.argoproj.io', '-n', 'argocd');
		expect(table).toMatchObject({ code: 0, out: expect.stringContaining('web') });
	});
});
