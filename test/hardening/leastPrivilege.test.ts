import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { checkCanCreateJobs } from '../../lib/k8s/checkAccess';
import { kubeConfigFromCredential } from '../../lib/k8s/kubeConfig';
import { CreateBuildKitJob } from '../../nodes/CreateBuildKitJob/CreateBuildKitJob.node';
import { WaitForJob } from '../../nodes/WaitForJob/WaitForJob.node';
import { startKubeStandIn, type KubeStandIn } from '../stack/k8s';
import { grantRolloutRead } from '../stack/k8s/rolloutRbac';
import { executeContext, outputItems, writeCounts } from './harness';

/**
 * Least privilege, with the stand-in's RBAC loaded from deploy/: the automation/n8n identity may do exactly
 * what the nodes need and nothing else. Each right is checked three ways: a SelfSubjectAccessReview made with
 * the n8n token through the package's Kubernetes client, `kubectl auth can-i --as=system:serviceaccount:
 * automation:n8n` (the real kubectl, impersonating from an admin kubeconfig), and for the denials a real
 * request with the n8n token that must come back 403. Then the nodes run a whole build as n8n and every
 * request they made is mapped back to a right: all of them must be granted ones.
 */

jest.setTimeout(120_000);

const N8N = 'system:serviceaccount:automation:n8n';
const NS = 'build-system';

interface Right {
	verb: string;
	resource: string;
	group?: string;
	subresource?: string;
	namespace?: string;
}
const show = (r: Right) =>
	`${r.verb} ${r.resource}${r.subresource ? `/${r.subresource}` : ''}${r.group ? `.${r.group}` : ''} ${r.namespace === undefined ? '(cluster)' : `-n ${r.namespace}`}`;

const GRANTED: Right[] = [
	...['create', 'get', 'list', 'watch', 'delete'].map((verb) => ({
		verb,
		resource: 'jobs',
		group: 'batch',
		namespace: NS,
	})),
	...['get', 'list', 'watch'].map((verb) => ({ verb, resource: 'pods', namespace: NS })),
	{ verb: 'get', resource: 'pods', subresource: 'log', namespace: NS },
];
const DENIED: Right[] = [
	...['get', 'list', 'watch', 'create', 'update', 'delete'].map((verb) => ({
		verb,
		resource: 'secrets',
		namespace: NS,
	})),
	{ verb: 'create', resource: 'pods', subresource: 'exec', namespace: NS },
	{ verb: 'get', resource: 'pods', subresource: 'exec', namespace: NS },
	{ verb: 'create', resource: 'pods', subresource: 'attach', namespace: NS },
	{ verb: 'create', resource: 'pods', subresource: 'portforward', namespace: NS },
	{ verb: 'create', resource: 'pods', namespace: NS },
	{ verb: 'delete', resource: 'pods', namespace: NS },
	{ verb: 'update', resource: 'jobs', group: 'batch', namespace: NS },
	{ verb: 'patch', resource: 'jobs', group: 'batch', namespace: NS },
	{ verb: 'create', resource: 'cronjobs', group: 'batch', namespace: NS },
	{ verb: 'get', resource: 'configmaps', namespace: NS },
	{ verb: 'create', resource: 'serviceaccounts', subresource: 'token', namespace: NS },
	{ verb: 'create', resource: 'rolebindings', group: 'rbac.authorization.k8s.io', namespace: NS },
	{ verb: 'escalate', resource: 'roles', group: 'rbac.authorization.k8s.io', namespace: NS },
	{ verb: 'impersonate', resource: 'serviceaccounts', namespace: NS },
	// cluster-scoped reads
	{ verb: 'list', resource: 'nodes' },
	{ verb: 'get', resource: 'nodes' },
	{ verb: 'list', resource: 'namespaces' },
	{ verb: 'get', resource: 'namespaces' },
	{ verb: 'list', resource: 'clusterroles', group: 'rbac.authorization.k8s.io' },
	{ verb: 'list', resource: 'persistentvolumes' },
	{ verb: 'list', resource: 'jobs', group: 'batch' },
	// other namespaces
	...['default', 'kube-system', 'automation'].flatMap((namespace) => [
		{ verb: 'create', resource: 'jobs', group: 'batch', namespace },
		{ verb: 'list', resource: 'pods', namespace },
		{ verb: 'get', resource: 'secrets', namespace },
	]),
];

let standIn: KubeStandIn;
let n8n: k8s.KubeConfig;
let adminConfig: string;
let cacheDir: string;
const counts = {
	rightsChecked: 0,
	granted: 0,
	denied: 0,
	checksPerRight: 3,
	kubectlChecks: 0,
	realRequestsDenied: 0,
	nodeRequests: 0,
	nodeRequestsOutsideRole: 0,
	unexpected: [] as string[],
};

beforeAll(async () => {
	standIn = await startKubeStandIn();
	await standIn.setScenario('default', { outcome: 'succeed', runMs: 200 });
	n8n = kubeConfigFromCredential({
		authentication: 'token',
		server: standIn.url,
		token: standIn.tokenFor('automation', 'n8n'),
		caCertificate: standIn.caPem,
		namespace: NS,
	});
	adminConfig = standIn.kubeconfigFile(standIn.adminToken, 'admin.yaml');
	cacheDir = join(standIn.dir, 'kube-cache');
	mkdirSync(cacheDir, { recursive: true });
});
afterAll(async () => {
	writeCounts('least-privilege', counts);
	await standIn?.stop();
});

async function reviewAsN8n(r: Right): Promise<boolean> {
	const review = await n8n.makeApiClient(k8s.AuthorizationV1Api).createSelfSubjectAccessReview({
		body: {
			spec: {
				resourceAttributes: {
					verb: r.verb,
					resource: r.resource,
					group: r.group ?? '',
					subresource: r.subresource,
					namespace: r.namespace,
				},
			},
		},
	});
	return review.status?.allowed === true;
}

function kubectlCanI(r: Right): Promise<boolean> {
	// kubectl reads "pods/exec" as the pod named exec; a subresource goes in --subresource.
	const resource = `${r.resource}${r.group ? `.${r.group}` : ''}`;
	const scope =
		r.namespace === undefined
			? r.resource === 'jobs'
				? ['--all-namespaces']
				: []
			: ['-n', r.namespace];
	return new Promise((resolve, reject) =>
		execFile(
			'kubectl',
			[
				'--kubeconfig',
				adminConfig,
				'--cache-dir',
				cacheDir,
				'auth',
				'can-i',
				r.verb,
				resource,
				...(r.subresource ? [`--subresource=${r.subresource}`] : []),
				...scope,
				`--as=${N8N}`,
			],
			{ env: { PATH: process.env.PATH, HOME: standIn.dir }, timeout: 60_000 },
			(err, stdout) => {
				if (stdout.trim() === 'yes') resolve(true);
				else if (stdout.trim() === 'no') resolve(false);
				else reject(err ?? new Error(`kubectl said ${stdout}`));
			},
		),
	);
}

/** A real request with the n8n token for a denied right: it must be refused with 403 (not 404, not 2xx). */
async function realRequestStatus(r: Right): Promise<number | undefined> {
	const core = n8n.makeApiClient(k8s.CoreV1Api);
	const ns = r.namespace ?? NS;
	const status = (e: unknown) => (e as { code?: number }).code;
	try {
		if (r.resource === 'secrets' && r.verb === 'list')
			await core.listNamespacedSecret({ namespace: ns });
		else if (r.resource === 'secrets' && r.verb === 'get')
			await core.readNamespacedSecret({ name: 'registry-credentials', namespace: ns });
		else if (r.resource === 'secrets' && r.verb === 'create')
			await core.createNamespacedSecret({
				namespace: ns,
				body: { metadata: { name: 'x' }, stringData: { a: 'b' } },
			});
		else if (r.resource === 'pods' && r.verb === 'create' && !r.subresource)
			await core.createNamespacedPod({
				namespace: ns,
				body: { metadata: { name: 'x' }, spec: { containers: [{ name: 'x', image: 'busybox' }] } },
			});
		else if (r.resource === 'nodes' && r.verb === 'list') await core.listNode();
		else if (r.resource === 'namespaces' && r.verb === 'list') await core.listNamespace();
		else if (r.resource === 'pods' && r.verb === 'list')
			await core.listNamespacedPod({ namespace: ns });
		else if (r.resource === 'jobs' && r.verb === 'create')
			await n8n.makeApiClient(k8s.BatchV1Api).createNamespacedJob({
				namespace: ns,
				body: {
					metadata: { name: 'x' },
					spec: {
						template: {
							spec: { restartPolicy: 'Never', containers: [{ name: 'x', image: 'busybox' }] },
						},
					},
				},
			});
		else return undefined;
		return 200;
	} catch (error) {
		return status(error);
	}
}

describe('what automation/n8n may do (deploy/role.yaml)', () => {
	test.each(GRANTED.map((r) => [show(r), r] as const))('granted: %s', async (_name, right) => {
		counts.rightsChecked++;
		const [review, kubectl] = await Promise.all([reviewAsN8n(right), kubectlCanI(right)]);
		counts.kubectlChecks++;
		if (!review || !kubectl)
			counts.unexpected.push(`${show(right)} not granted (review ${review}, kubectl ${kubectl})`);
		else counts.granted++;
		expect({ review, kubectl }).toEqual({ review: true, kubectl: true });
	});

	test.each(DENIED.map((r) => [show(r), r] as const))('denied: %s', async (_name, right) => {
		counts.rightsChecked++;
		const [review, kubectl, real] = await Promise.all([
			reviewAsN8n(right),
			kubectlCanI(right),
			realRequestStatus(right),
		]);
		counts.kubectlChecks++;
		if (real !== undefined) counts.realRequestsDenied += real === 403 ? 1 : 0;
		if (review || kubectl || (real !== undefined && real !== 403))
			counts.unexpected.push(
				`${show(right)} allowed (review ${review}, kubectl ${kubectl}, request ${real})`,
			);
		else counts.denied++;
		expect({ review, kubectl, real: real === undefined ? 403 : real }).toEqual({
			review: false,
			kubectl: false,
			real: 403,
		});
	});

	test("the package's own credential check agrees: create Jobs in build-system yes, elsewhere no", async () => {
		expect((await checkCanCreateJobs(n8n, NS)).ok).toBe(true);
		for (const ns of ['default', 'kube-system', 'automation'])
			expect((await checkCanCreateJobs(n8n, ns)).ok).toBe(false);
	});
});

/** Maps one recorded API request to the right it used. */
function rightOf(req: { method: string; path: string; watch: boolean }): Right | undefined {
	const m =
		/^\/(?:api\/v1|apis\/([^/]+)\/v1)\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(
			req.path,
		);
	if (!m) return undefined;
	const [, group, namespace, resource, name, subresource] = m;
	const verb =
		req.method === 'POST'
			? 'create'
			: req.method === 'DELETE'
				? 'delete'
				: req.method === 'PATCH'
					? 'patch'
					: req.method === 'PUT'
						? 'update'
						: req.watch
							? 'watch'
							: name
								? 'get'
								: 'list';
	return { verb, resource, group, subresource, namespace };
}

test('a whole build run by the nodes as automation/n8n uses only granted rights, and every request succeeds', async () => {
	const credential = {
		authentication: 'token',
		server: standIn.url,
		token: standIn.tokenFor('automation', 'n8n'),
		caCertificate: standIn.caPem,
		namespace: NS,
	};
	await standIn.clearRequests();
	const created = await new CreateBuildKitJob().execute.call(
		executeContext({
			params: {
				namespace: NS,
				appName: 'rbac-app',
				gitRepositoryUrl: 'https://git.example.test/org/app.git',
				gitRevision: 'main',
				contextPath: '',
				dockerfile: 'Dockerfile',
				image: '127.0.0.1:5000/rbac/app:1.0.0',
				options: { jobName: 'rbac-build', ifExists: 'reuse' },
			},
			credentials: { kubernetesApi: credential },
		}),
	);
	await new CreateBuildKitJob().execute.call(
		executeContext({
			params: {
				namespace: NS,
				appName: 'rbac-app',
				gitRepositoryUrl: 'https://git.example.test/org/app.git',
				gitRevision: 'main',
				contextPath: '',
				dockerfile: 'Dockerfile',
				image: '127.0.0.1:5000/rbac/app:1.0.0',
				options: { jobName: 'rbac-build', ifExists: 'reuse' },
			},
			credentials: { kubernetesApi: credential },
		}),
	);
	const waited = await new WaitForJob().execute.call(
		executeContext({
			params: {
				namespace: NS,
				jobName: outputItems(created)[0].json.jobName,
				timeoutSeconds: 60,
				stuckAfterSeconds: 30,
				logTailLines: 10,
				failOnJobFailure: true,
				deleteWhenDone: true,
			},
			credentials: { kubernetesApi: credential },
		}),
	);
	expect(outputItems(waited)[0].json).toMatchObject({ status: 'succeeded', deleted: true });

	const requests = (await standIn.requests()).filter(
		(r) => !r.path.startsWith('/_standin') && !r.path.includes('selfsubjectaccessreviews'),
	);
	counts.nodeRequests = requests.length;
	const used = new Map<string, Right>();
	const outside: string[] = [];
	for (const req of requests) {
		const right = rightOf(req);
		if (!right) {
			outside.push(`${req.method} ${req.path} (unmapped)`);
			continue;
		}
		used.set(show(right), right);
		const granted = GRANTED.some(
			(g) =>
				g.verb === right.verb &&
				g.resource === right.resource &&
				(g.group ?? '') === (right.group ?? '') &&
				g.subresource === right.subresource &&
				g.namespace === right.namespace,
		);
		if (!granted) outside.push(`${req.method} ${req.path} → ${show(right)}`);
		if (req.status === 403) outside.push(`${req.method} ${req.path} was refused (403)`);
	}
	counts.nodeRequestsOutsideRole = outside.length;
	expect(outside).toEqual([]);
	// The rights the run exercised (printed so the Role can be trimmed if one is never needed).
	console.log(
		`[hardening:least-privilege] rights used by create (twice, reuse) + wait (deleteWhenDone): ${[...used.keys()].sort().join('; ')}`,
	);
	expect([...used.keys()]).toEqual(
		expect.arrayContaining([
			'create jobs.batch -n build-system',
			'delete jobs.batch -n build-system',
			'get pods/log -n build-system',
		]),
	);
});

describe('deploy/rollout applied to namespace prod: Wait for Rollout reads there, and only reads', () => {
	const PROD = 'prod';
	const READ = ['get', 'list', 'watch'];
	const ROLLOUT_GRANTED: Right[] = [
		...['deployments', 'statefulsets', 'daemonsets', 'replicasets'].flatMap((resource) =>
			READ.map((verb) => ({ verb, resource, group: 'apps', namespace: PROD })),
		),
		...READ.map((verb) => ({ verb, resource: 'pods', namespace: PROD })),
		{ verb: 'get', resource: 'pods', subresource: 'log', namespace: PROD },
		...READ.map((verb) => ({
			verb,
			resource: 'kustomizations',
			group: 'kustomize.toolkit.fluxcd.io',
			namespace: PROD,
		})),
		...READ.map((verb) => ({
			verb,
			resource: 'helmreleases',
			group: 'helm.toolkit.fluxcd.io',
			namespace: PROD,
		})),
		...READ.map((verb) => ({
			verb,
			resource: 'applications',
			group: 'argoproj.io',
			namespace: PROD,
		})),
	];
	const ROLLOUT_DENIED: Right[] = [
		...['create', 'update', 'patch', 'delete'].map((verb) => ({
			verb,
			resource: 'deployments',
			group: 'apps',
			namespace: PROD,
		})),
		{
			verb: 'update',
			resource: 'deployments',
			group: 'apps',
			subresource: 'scale',
			namespace: PROD,
		},
		{
			verb: 'patch',
			resource: 'kustomizations',
			group: 'kustomize.toolkit.fluxcd.io',
			namespace: PROD,
		},
		...['patch', 'delete'].map((verb) => ({
			verb,
			resource: 'helmreleases',
			group: 'helm.toolkit.fluxcd.io',
			namespace: PROD,
		})),
		{ verb: 'update', resource: 'applications', group: 'argoproj.io', namespace: PROD },
		{ verb: 'create', resource: 'pods', namespace: PROD },
		{ verb: 'delete', resource: 'pods', namespace: PROD },
		{ verb: 'create', resource: 'pods', subresource: 'exec', namespace: PROD },
		{ verb: 'get', resource: 'secrets', namespace: PROD },
		{ verb: 'list', resource: 'secrets', namespace: PROD },
		{ verb: 'get', resource: 'configmaps', namespace: PROD },
		{ verb: 'create', resource: 'jobs', group: 'batch', namespace: PROD },
		// not in namespaces nobody named, nor cluster-wide
		...['staging', 'default', 'kube-system'].flatMap((namespace) => [
			{ verb: 'list', resource: 'deployments', group: 'apps', namespace },
			{ verb: 'get', resource: 'kustomizations', group: 'kustomize.toolkit.fluxcd.io', namespace },
			{ verb: 'watch', resource: 'helmreleases', group: 'helm.toolkit.fluxcd.io', namespace },
		]),
		{ verb: 'list', resource: 'deployments', group: 'apps' },
		{ verb: 'list', resource: 'applications', group: 'argoproj.io' },
		{ verb: 'list', resource: 'helmreleases', group: 'helm.toolkit.fluxcd.io' },
	];

	beforeAll(async () => {
		await grantRolloutRead(standIn, [PROD]);
	});

	test.each(ROLLOUT_GRANTED.map((r) => [show(r), r] as const))(
		'granted: %s',
		async (_name, right) => {
			expect({ review: await reviewAsN8n(right), kubectl: await kubectlCanI(right) }).toEqual({
				review: true,
				kubectl: true,
			});
		},
	);

	test.each(ROLLOUT_DENIED.map((r) => [show(r), r] as const))(
		'denied: %s',
		async (_name, right) => {
			expect({ review: await reviewAsN8n(right), kubectl: await kubectlCanI(right) }).toEqual({
				review: false,
				kubectl: false,
			});
		},
	);

	test('a real write or an unnamed namespace is refused with 403', async () => {
		const apps = n8n.makeApiClient(k8s.AppsV1Api);
		const code = (p: Promise<unknown>) =>
			p.then(
				() => 200,
				(e) => (e as { code?: number }).code,
			);
		expect(await code(apps.listNamespacedDeployment({ namespace: PROD }))).toBe(200);
		expect(await code(apps.listNamespacedDeployment({ namespace: 'staging' }))).toBe(403);
		expect(
			await code(
				apps.createNamespacedDeployment({
					namespace: PROD,
					body: {
						metadata: { name: 'x' },
						spec: {
							selector: { matchLabels: { a: 'b' } },
							template: {
								metadata: { labels: { a: 'b' } },
								spec: { containers: [{ name: 'x', image: 'busybox' }] },
							},
						},
					},
				}),
			),
		).toBe(403);
	});
});
