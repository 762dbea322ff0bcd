import * as k8s from '@kubernetes/client-node';
import { git, startGitServer, type GitServer } from '../stack/git';
import { startKubeStandIn, type KubeStandIn } from '../stack/k8s';
import { deploymentManifest, helmReleaseManifest, pushFiles } from '../stack/k8s/gitopsRepo';
import { grantRolloutRead } from '../stack/k8s/rolloutRbac';
import { InputError } from '../../lib/errors';
import { closeKubernetesConnections } from '../../lib/k8s/connections';
import { kubeConfigFromCredential } from '../../lib/k8s/kubeConfig';
import { JobWatchApiError } from '../../lib/k8s/wait/watcher';
import {
	waitForRollout,
	type WaitForRolloutOptions,
	type WaitForRolloutStats,
} from '../../lib/k8s/rollout/waitForRollout';

// Wait for Rollout's engine against the stand-in with the simulated Flux / Argo CD controllers polling a real
// git repository: each outcome comes from what the controllers and the Deployment rollout write, as on a cluster.
jest.setTimeout(120_000);

let standIn: KubeStandIn;
let server: GitServer;
let kc: k8s.KubeConfig;

const REGISTRY = 'registry.local:5000/webapp/app';
const manifest = (tag: string) =>
	deploymentManifest('web', `${REGISTRY}:${tag}`, { progressDeadlineSeconds: 600 });

async function source(
	kind: 'flux' | 'argo',
	name: string,
	files: Record<string, string> = { 'deploy/web.yaml': manifest('initial') },
): Promise<void> {
	await server.createBareRepo(name, files);
	await standIn.gitops.configure({
		kind,
		namespace: kind === 'flux' ? 'flux-system' : 'argocd',
		name,
		fetchUrl: server.authedRepoUrl(name),
		repoUrl: server.repoUrl(name),
		branch: 'main',
		path: 'deploy',
		targetNamespace: name,
		intervalMs: 250,
	});
}

function options(
	name: string,
	commit: string,
	tag: string,
	extra: Partial<WaitForRolloutOptions> = {},
): WaitForRolloutOptions {
	return {
		commit,
		source: 'fluxKustomization',
		sourceNamespace: 'flux-system',
		sourceName: name,
		workloads: [{ kind: 'Deployment', namespace: name, name: 'web', image: `${REGISTRY}:${tag}` }],
		timeoutSeconds: 60,
		stuckAfterSeconds: 3,
		logTailLines: 20,
		...extra,
	};
}

const noStats = (): WaitForRolloutStats => ({
	lists: 0,
	watches: 0,
	relists: 0,
	retries: 0,
	logReads: 0,
});

beforeAll(async () => {
	standIn = await startKubeStandIn();
	server = await startGitServer({ username: 'bot', password: 'pw' });
	// n8n's own service account, with deploy/rollout applied to exactly these namespaces.
	await grantRolloutRead(standIn, ['flux-system', 'argocd', 'shop', 'store', 'charts']);
	kc = new k8s.KubeConfig();
	kc.loadFromString(standIn.kubeconfig(standIn.tokenFor('automation', 'n8n')));
	for (const scenario of ['crashloop', 'imagepullbackoff', 'unready', 'oomkilled'] as const)
		await standIn.gitops.setRolloutScenario({ tag: scenario }, { outcome: scenario });
	await source('flux', 'shop');
});

afterAll(async () => {
	await closeKubernetesConnections();
	await standIn?.stop();
	await server?.stop();
});

describe('waitForRollout with a Flux Kustomization', () => {
	it('reports rolledOut once Flux applied the commit and the Deployment runs the image, with one LIST and WATCH per object', async () => {
		const commit = await pushFiles(server, 'shop', { 'deploy/web.yaml': manifest('v2') });
		const stats = noStats();
		const result = await waitForRollout(kc, options('shop', commit, 'v2'), stats);
		expect(result).toMatchObject({
			status: 'rolledOut',
			reason: 'RolledOut',
			commit,
			appliedRevision: `main@sha1:${commit}`,
			pods: [],
			logTail: '',
		});
		expect(result.workloads).toEqual([
			{
				kind: 'Deployment',
				namespace: 'shop',
				name: 'web',
				image: `${REGISTRY}:v2`,
				desiredReplicas: 2,
				updatedReplicas: 2,
				readyReplicas: 2,
				availableReplicas: 2,
				reason: 'RolledOut',
			},
		]);
		expect(result.message).toContain(
			`Flux Kustomization flux-system/shop applied main@sha1:${commit}`,
		);
		// Kustomization, Deployment and its pods: three objects, watched, never polled.
		expect(stats.lists).toBe(3);
		expect(stats.relists).toBe(0);
		expect(stats.watches).toBeLessThanOrEqual(4);
	});

	it('reuses kept-alive connections: within a wait, and from one KubeConfig of the credential to the next', async () => {
		const credential = {
			authentication: 'kubeconfig' as const,
			kubeconfig: standIn.kubeconfig(standIn.tokenFor('automation', 'n8n')),
		};
		const commit = await pushFiles(server, 'shop', { 'deploy/web.yaml': manifest('v2-shared') });
		await standIn.clearRequests();
		const result = await waitForRollout(
			kubeConfigFromCredential(credential),
			options('shop', commit, 'v2-shared'),
		);
		expect(result.status).toBe('rolledOut');
		const ours = (await standIn.requests()).filter(
			(r) => r.user === 'system:serviceaccount:automation:n8n',
		);
		expect(ours.filter((r) => !r.watch)).toHaveLength(3);
		// The client alone opens one connection per request; a WATCH here follows its LIST on a kept-alive one.
		expect(new Set(ours.map((r) => r.connection)).size).toBeLessThan(ours.length);

		// Each execution builds a new KubeConfig from the credential: their requests ride the same idle connections.
		await standIn.clearRequests();
		for (let i = 0; i < 4; i++)
			await kubeConfigFromCredential(credential)
				.makeApiClient(k8s.CoreV1Api)
				.listNamespacedPod({ namespace: 'shop' });
		const lists = await standIn.requests();
		expect(lists).toHaveLength(4);
		expect(new Set(lists.map((r) => r.connection)).size).toBeLessThan(4);
	});

	it('diagnoses a crash-looping image: CrashLoopBackOff, the pods and the log tail', async () => {
		const commit = await pushFiles(server, 'shop', { 'deploy/web.yaml': manifest('crashloop') });
		const result = await waitForRollout(kc, options('shop', commit, 'crashloop'));
		expect(result).toMatchObject({
			status: 'failed',
			reason: 'CrashLoopBackOff',
			appliedRevision: `main@sha1:${commit}`,
		});
		expect(result.message).toMatch(
			/Deployment shop\/web did not roll out .*:crashloop: Container app keeps crashing \(CrashLoopBackOff/,
		);
		expect(result.logTail).toContain('panic: DATABASE_URL is not set');
		expect(result.pods.length).toBeGreaterThan(0);
		expect(
			result.pods.flatMap((p) => p.containers).some((c) => c.name === 'app' && c.restartCount > 0),
		).toBe(true);
	});

	it.each([
		['imagepullbackoff', 'ImagePullBackOff', /cannot pull image/],
		['oomkilled', 'OOMKilled', /OOMKilled/],
		['unready', 'NotReady', /running but not ready/],
	])('diagnoses %s pods as %s', async (tag, reason, message) => {
		const commit = await pushFiles(server, 'shop', { 'deploy/web.yaml': manifest(tag) });
		const result = await waitForRollout(kc, options('shop', commit, tag));
		expect(result).toMatchObject({ status: 'failed', reason });
		expect(result.message).toMatch(message);
	});

	it('reports a reconcile error with the controller message', async () => {
		const commit = await pushFiles(server, 'shop', {
			'deploy/web.yaml': manifest('v3').replace(
				'    matchLabels: {app: web}\n',
				'    matchLabels: {app: other}\n',
			),
		});
		const result = await waitForRollout(kc, options('shop', commit, 'v3'));
		expect(result).toMatchObject({ status: 'failed', reason: 'ReconciliationFailed' });
		expect(result.message).toBe(
			`Flux Kustomization flux-system/shop failed to apply main@sha1:${commit}: Deployment/shop/web dry-run failed (Invalid): Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: {"app":"web"}: \`selector\` does not match template \`labels\``,
		);
		expect(result.appliedRevision).not.toBe(`main@sha1:${commit}`);
	});

	it('reports superseded when a newer commit is applied first', async () => {
		const admin = new k8s.KubeConfig();
		admin.loadFromString(standIn.kubeconfig(standIn.adminToken));
		const patch = (suspend: boolean) =>
			admin.makeApiClient(k8s.CustomObjectsApi).patchNamespacedCustomObject(
				{
					group: 'kustomize.toolkit.fluxcd.io',
					version: 'v1',
					namespace: 'flux-system',
					plural: 'kustomizations',
					name: 'shop',
					body: { spec: { suspend } },
				},
				k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
			);
		await patch(true);
		const ours = await pushFiles(server, 'shop', { 'deploy/web.yaml': manifest('v4') });
		const newer = await pushFiles(server, 'shop', { 'deploy/web.yaml': manifest('v5') });
		const waiting = waitForRollout(kc, options('shop', ours, 'v4'));
		await new Promise((r) => setTimeout(r, 500));
		await patch(false);
		const result = await waiting;
		expect(result).toMatchObject({ status: 'superseded', appliedRevision: `main@sha1:${newer}` });
		expect(result.message).toContain(`applied main@sha1:${newer} instead of ${ours}`);
	});

	it('times out naming what it was waiting for', async () => {
		const head = (await git(['rev-parse', 'refs/heads/main'], server.repoDir('shop'))).trim();
		const never = head.replace(/^./, (c) => (c === 'a' ? 'b' : 'a'));
		const result = await waitForRollout(kc, options('shop', never, 'never', { timeoutSeconds: 2 }));
		expect(result.status).toBe('timedOut');
		expect(result.message).toMatch(
			/did not finish within 2 s: .*Flux Kustomization flux-system\/shop: last applied main@sha1:/,
		);
	});

	it('refuses bad input naming the parameter, and an API that forbids the read', async () => {
		await expect(waitForRollout(kc, options('shop', 'not-a-sha', 'v1'))).rejects.toMatchObject({
			field: 'commit',
		});
		await expect(
			waitForRollout(kc, options('shop', 'abcdef1', 'v1', { sourceName: '' })),
		).rejects.toBeInstanceOf(InputError);
		const forbidden = await waitForRollout(
			kc,
			options('shop', 'abcdef1', 'v1', {
				workloads: [{ kind: 'Deployment', namespace: 'kube-system', name: 'coredns' }],
			}),
		).catch((e) => e);
		expect(forbidden).toBeInstanceOf(JobWatchApiError);
		expect(forbidden.failure.statusCode).toBe(403);
	});
});

describe('waitForRollout with an Argo CD Application', () => {
	it('reports rolledOut once the app is Synced to the commit and Healthy', async () => {
		await source('argo', 'store');
		const commit = await pushFiles(server, 'store', { 'deploy/web.yaml': manifest('v2') });
		const result = await waitForRollout(kc, {
			...options('store', commit, 'v2'),
			source: 'argoApplication',
			sourceNamespace: 'argocd',
		});
		expect(result.message).toContain(`Argo CD Application argocd/store applied ${commit}`);
		expect(result).toMatchObject({
			status: 'rolledOut',
			appliedRevision: commit,
			source: { kind: 'argoApplication', namespace: 'argocd', name: 'store' },
		});
	});
});

describe('waitForRollout with a Flux HelmRelease', () => {
	// A HelmRelease in the GitOps repository, applied by the Kustomization `charts`; a bump edits its values.
	const helmRelease = (tag: string) => helmReleaseManifest('webapp', `${REGISTRY}:${tag}`);
	const release = (commit: string): WaitForRolloutOptions => ({
		commit,
		source: 'fluxHelmRelease',
		sourceNamespace: 'flux-system',
		sourceName: 'charts',
		helmReleaseNamespace: 'charts',
		helmReleaseName: 'webapp',
		workloads: [],
		timeoutSeconds: 60,
	});

	beforeAll(async () => {
		await standIn.gitops.setRolloutScenario({ tag: 'bad-upgrade' }, { outcome: 'upgradefailed' });
		await source('flux', 'charts', { 'deploy/webapp.yaml': helmRelease('v1') });
	});

	it('reports rolledOut once the Kustomization applied the commit and helm-controller released its generation', async () => {
		const first = (await git(['rev-parse', 'refs/heads/main'], server.repoDir('charts'))).trim();
		const installed = await waitForRollout(kc, release(first));
		expect(installed.status).toBe('rolledOut');
		expect(installed.message).toContain(
			'Flux HelmRelease charts/webapp: Helm install succeeded for release charts/webapp.v1 with chart webapp@0.1.0',
		);

		const commit = await pushFiles(server, 'charts', { 'deploy/webapp.yaml': helmRelease('v2') });
		const stats = noStats();
		const result = await waitForRollout(kc, release(commit), stats);
		expect(result).toMatchObject({
			status: 'rolledOut',
			reason: 'RolledOut',
			appliedRevision: `main@sha1:${commit}`,
			source: { kind: 'fluxHelmRelease', namespace: 'flux-system', name: 'charts' },
		});
		// helm-controller releases a moment after the Kustomization applied: the Ready=True of v1 was not taken.
		expect(result.message).toContain(
			'Flux HelmRelease charts/webapp: Helm upgrade succeeded for release charts/webapp.v2 with chart webapp@0.1.0',
		);
		// The Kustomization, then the HelmRelease once the commit is applied: one LIST each.
		expect(stats.lists).toBe(2);
		expect(stats.relists).toBe(0);
	});

	it("reports a failed upgrade with helm-controller's reason and message", async () => {
		const commit = await pushFiles(server, 'charts', {
			'deploy/webapp.yaml': helmRelease('bad-upgrade'),
		});
		const result = await waitForRollout(kc, release(commit));
		expect(result).toMatchObject({
			status: 'failed',
			reason: 'UpgradeFailed',
			appliedRevision: `main@sha1:${commit}`,
		});
		expect(result.message).toBe(
			`Flux HelmRelease charts/webapp did not release main@sha1:${commit}: Helm upgrade failed for release charts/webapp with chart webapp@0.1.0: context deadline exceeded`,
		);
	});

	it('refuses a missing HelmRelease name, naming the parameter', async () => {
		await expect(
			waitForRollout(kc, { ...release('abcdef1'), helmReleaseName: ' ' }),
		).rejects.toMatchObject({ field: 'helmReleaseName' });
	});
});
