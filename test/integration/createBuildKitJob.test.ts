import * as k8s from '@kubernetes/client-node';
import { checkCanCreateJobs } from '../../lib/k8s/checkAccess';
import {
	createBuildKitJob,
	KubernetesRequestError,
	type CreateBuildKitJobResult,
} from '../../lib/k8s/build/createJob';
import type { BuildJobInput } from '../../lib/k8s/build/inputs';
import { kubeConfigFromCredential } from '../../lib/k8s/kubeConfig';
import { appFiles, pushBaseImage, pushScannerImage, scannerImageRef } from '../stack/buildkit';
import { remoteLog, startGitServer, type GitServer } from '../stack/git';
import { startKubeStandIn, type KubeStandIn } from '../stack/k8s';
import { startRegistry, type RunningRegistry } from '../stack/registry';

/**
 * Create BuildKit Job against the Kubernetes API stand-in (RBAC loaded from deploy/) with the automation/n8n
 * service account token, as n8n would use it, and the stand-in's Job simulator pushing to the real registry.
 */

// A real build on this shared 2-core machine can take tens of seconds; nothing here asserts on time.
jest.setTimeout(180_000);
const NS = 'build-system';
const SHA = '4b825dc642cb6eb9a060e54bf8d69288fbe4904d';
let registry: RunningRegistry;
let git: GitServer;
let appUrl: string;
let head: string;
let standIn: KubeStandIn;
let n8nKc: k8s.KubeConfig;
let adminKc: k8s.KubeConfig;

function kubeConfigFor(token: string): k8s.KubeConfig {
	return kubeConfigFromCredential({
		authentication: 'kubeconfig',
		kubeconfig: standIn.kubeconfig(token),
	});
}

function input(overrides: Partial<BuildJobInput> = {}): BuildJobInput {
	return {
		appName: 'webapp',
		gitRepositoryUrl: 'https://git.example.com/org/webapp.git',
		gitRevision: SHA,
		image: `${registry.host}/webapp/app:1.0.0`,
		registrySecretName: '',
		insecureRegistry: true,
		...overrides,
	};
}

async function failureOf(p: Promise<unknown>): Promise<KubernetesRequestError> {
	try {
		await p;
	} catch (error) {
		if (error instanceof KubernetesRequestError) return error;
		throw error;
	}
	throw new Error('expected a KubernetesRequestError');
}

/** Polls the Job (as admin) until it has a terminal condition; bounded, not a timing assertion. */
async function finished(name: string): Promise<k8s.V1Job> {
	const batch = adminKc.makeApiClient(k8s.BatchV1Api);
	for (let i = 0; i < 1700; i++) {
		const job = await batch.readNamespacedJob({ name, namespace: NS });
		if (
			job.status?.conditions?.some(
				(c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
			)
		)
			return job;
		await new Promise((r) => setTimeout(r, 100));
	}
	throw new Error(`Job ${name} did not finish`);
}

beforeAll(async () => {
	registry = await startRegistry();
	git = await startGitServer();
	appUrl = await git.createBareRepo('webapp', appFiles(registry.host));
	head = (await remoteLog(appUrl))[0].sha;
	standIn = await startKubeStandIn({ registry: { host: registry.host } });
	if (standIn.realBuilder) {
		await pushBaseImage(standIn.realBuilder, registry.host);
		await pushScannerImage(standIn.realBuilder, registry.host);
	}
	n8nKc = kubeConfigFor(standIn.tokenFor('automation', 'n8n'));
	adminKc = kubeConfigFor(standIn.adminToken);
}, 120_000);

afterAll(async () => {
	await standIn?.stop();
	await git?.stop();
	await registry?.stop();
});

describe('Create BuildKit Job against the API stand-in', () => {
	let created: CreateBuildKitJobResult;

	test('the n8n service account creates the Job in build-system; the stand-in accepts the manifest as it is', async () => {
		// The app on the stack's git server: with real BuildKit this Job really clones and builds it. The SBOM
		// comes from the stack's scanner image (Create BuildKit Job's sbomGenerator option; without it BuildKit
		// would pull its default scanner from Docker Hub and the stand-in simulates the build instead).
		const app = {
			gitRepositoryUrl: appUrl,
			gitRevision: head,
			allowPlainHttpGit: true,
			sbomGenerator: scannerImageRef(registry.host),
		};
		created = await createBuildKitJob(
			n8nKc,
			input({ additionalTags: ['latest'], ...app } as Partial<BuildJobInput>),
		);
		expect(created).toMatchObject({
			namespace: NS,
			image: `${registry.host}/webapp/app:1.0.0`,
			images: [`${registry.host}/webapp/app:1.0.0`, `${registry.host}/webapp/app:latest`],
			tags: ['1.0.0', 'latest'],
			gitRevision: head,
			attestations: ['sbom', 'provenance'],
			reused: false,
			dryRun: false,
		});
		expect(created.jobName).toMatch(new RegExp(`^webapp-${head.slice(0, 7)}-[a-z0-9]{5}$`));
		expect(created.uid).toMatch(/\S/);
		expect(new Date(created.createdAt).toString()).not.toBe('Invalid Date');
		expect(created.manifest).toBeUndefined();

		const stored = await adminKc
			.makeApiClient(k8s.BatchV1Api)
			.readNamespacedJob({ name: created.jobName, namespace: NS });
		expect(stored.metadata?.uid).toBe(created.uid);
		expect(stored.spec?.template.spec?.initContainers?.[0].name).toBe('git-clone');
		expect(stored.spec?.template.spec?.containers[0].args).toContainEqual(
			expect.stringMatching(/^attest:provenance=mode=max/),
		);
	});

	test('the build pushes every tag to the registry and reports the digest in the termination message', async () => {
		const job = await finished(created.jobName);
		expect(job.status?.conditions).toContainEqual(
			expect.objectContaining({ type: 'Complete', status: 'True' }),
		);

		const pods = await n8nKc.makeApiClient(k8s.CoreV1Api).listNamespacedPod({
			namespace: NS,
			labelSelector: `batch.kubernetes.io/controller-uid=${created.uid}`,
		});
		const buildkit = pods.items[0].status?.containerStatuses?.find((c) => c.name === 'buildkit');
		const message = JSON.parse(buildkit?.state?.terminated?.message ?? '{}') as {
			digest?: string;
			image?: string;
		};
		expect(message.image).toBe(created.image);
		expect(message.digest).toMatch(/^sha256:[0-9a-f]{64}$/);

		const tags = (await (
			await fetch(`http://${registry.host}/v2/webapp/app/tags/list`)
		).json()) as { tags: string[] };
		expect(tags.tags).toEqual(expect.arrayContaining(['1.0.0', 'latest']));
		for (const tag of ['1.0.0', 'latest']) {
			const head = await fetch(`http://${registry.host}/v2/webapp/app/manifests/${tag}`, {
				method: 'HEAD',
				headers: {
					accept:
						'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json',
				},
			});
			expect(head.headers.get('docker-content-digest')).toBe(message.digest);
		}
	});

	test('the same service account is refused in another namespace: 403 with the server message and a fix', async () => {
		const error = await failureOf(createBuildKitJob(n8nKc, input({ namespace: 'default' })));
		expect(error.failure.statusCode).toBe(403);
		expect(error.message).toContain('HTTP 403');
		expect(error.message).toMatch(/forbidden/i);
		expect(error.message).toContain('system:serviceaccount:automation:n8n');
		expect(error.hint).toContain('deploy/');
		expect(error.message).not.toContain(standIn.tokenFor('automation', 'n8n'));
	});

	test('RBAC from deploy/: the credential test passes in build-system, fails elsewhere; Secrets stay out of reach', async () => {
		expect((await checkCanCreateJobs(n8nKc, NS)).ok).toBe(true);
		expect((await checkCanCreateJobs(n8nKc, 'default')).ok).toBe(false);
		const core = n8nKc.makeApiClient(k8s.CoreV1Api);
		await expect(core.listNamespacedSecret({ namespace: NS })).rejects.toMatchObject({ code: 403 });
		await expect(
			core.readNamespacedSecret({ name: 'registry-credentials', namespace: NS }),
		).rejects.toMatchObject({ code: 403 });
	});

	test('a bad token is a 401 that says so, without echoing the token', async () => {
		const error = await failureOf(
			createBuildKitJob(kubeConfigFor('not-a-valid-token-1234'), input()),
		);
		expect(error.failure.statusCode).toBe(401);
		expect(error.message).not.toContain('not-a-valid-token-1234');
		expect(error.hint).toContain('token');
	});

	test('409: ifExists fail names the clash and the fix; ifExists reuse returns the existing Job', async () => {
		const first = await createBuildKitJob(n8nKc, input({ jobName: 'webapp-fixed-name' }));
		const clash = await failureOf(
			createBuildKitJob(n8nKc, input({ jobName: 'webapp-fixed-name' }), { ifExists: 'fail' }),
		);
		expect(clash.failure.statusCode).toBe(409);
		expect(clash.message).toContain('webapp-fixed-name');
		expect(clash.message).toMatch(/already exists/);
		expect(clash.hint).toContain('If Exists to Reuse');

		const reused = await createBuildKitJob(
			n8nKc,
			input({ jobName: 'webapp-fixed-name', image: `${registry.host}/webapp/app:9.9.9` }),
			{ ifExists: 'reuse' },
		);
		expect(reused.reused).toBe(true);
		expect(reused.uid).toBe(first.uid);
		// It describes the Job that exists, not the one asked for this time.
		expect(reused.image).toBe(first.image);
		expect(reused.createdAt).toBe(first.createdAt);
	});

	test('deterministic names make a repeated delivery land on the same Job (one Job per app + commit)', async () => {
		const again = input({ deterministicName: true, gitRevision: 'f'.repeat(40) });
		const a = await createBuildKitJob(n8nKc, again, { ifExists: 'reuse' });
		const b = await createBuildKitJob(n8nKc, again, { ifExists: 'reuse' });
		expect(b.jobName).toBe(a.jobName);
		expect(b.uid).toBe(a.uid);
		expect([a.reused, b.reused]).toEqual([false, true]);
		const jobs = await adminKc.makeApiClient(k8s.BatchV1Api).listNamespacedJob({
			namespace: NS,
			labelSelector: `buildkit.n8n.io/git-commit=${'f'.repeat(40)}`,
		});
		expect(jobs.items).toHaveLength(1);
	});

	test('dry run returns the manifest and sends nothing to the API server', async () => {
		await standIn.clearRequests();
		const dry = await createBuildKitJob(n8nKc, input({ jobName: 'webapp-dry' }), { dryRun: true });
		expect(dry.dryRun).toBe(true);
		expect(dry.manifest?.metadata?.name).toBe('webapp-dry');
		expect(dry.uid).toBe('');
		expect(await standIn.requests()).toEqual([]);
	});
});
