import { randomBytes, createHmac } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IWebhookFunctions } from 'n8n-workflow';
import { closeRegistryConnections, forgetRegistryAuth } from '../../lib/registry';
import { BumpGitManifest } from '../../nodes/BumpGitManifest/BumpGitManifest.node';
import { CreateBuildKitJob } from '../../nodes/CreateBuildKitJob/CreateBuildKitJob.node';
import { QueryRegistryTags } from '../../nodes/QueryRegistryTags/QueryRegistryTags.node';
import { SignedWebhookTrigger } from '../../nodes/SignedWebhookTrigger/SignedWebhookTrigger.node';
import { WaitForJob } from '../../nodes/WaitForJob/WaitForJob.node';
import * as k8s from '@kubernetes/client-node';
import { appFiles, pushBaseImage, realBuilderAvailability } from '../stack/buildkit';
import { startGitServer, type GitServer } from '../stack/git';
import { startKubeStandIn, type KubeStandIn } from '../stack/k8s';
import {
	pushTestImage,
	startRegistry,
	startRegistryDouble,
	type RegistryDouble,
	type RunningRegistry,
} from '../stack/registry';
import {
	capture,
	closedPort,
	credentialTestContext,
	decrypted,
	executeContext,
	exposeAll,
	leakedCanaries,
	outputItems,
	writeCounts,
	type Capture,
	type Params,
} from './harness';

/**
 * Secret canaries: every node and every credential test, on success and failure paths, run with unique
 * secrets; nothing they return, throw (with every nested field), print or leave in a Job manifest or in the
 * git cache on disk may contain a secret in any form (as is, base64, Basic user:secret, URL- or JSON-encoded).
 */

jest.setTimeout(120_000);

const tag = randomBytes(6).toString('hex');
const REGISTRY_USER = 'canary-user';
const GIT_USER = 'flux';
const CANARIES = {
	registryPassword: { secret: `RegPw+Canary/${tag}=r!`, username: REGISTRY_USER },
	wrongRegistryPassword: { secret: `RegPwWrong+Canary/${tag}=w!`, username: REGISTRY_USER },
	gitToken: { secret: `GitTok+Canary/${tag}=g!`, username: GIT_USER },
	wrongGitToken: { secret: `GitTokWrong+Canary/${tag}=x!`, username: GIT_USER },
	sshKey: { secret: `SshKeyCanary${tag}AAAAB3NzaC1yc2E` },
	kubeToken: { secret: `KubeTok.Canary-${tag}-k` },
	webhookSecret: { secret: `Hook+Canary/${tag}=h!-long-enough` },
} as Record<string, { secret: string; username?: string }>;
const secret = (label: keyof typeof CANARIES) => CANARIES[label].secret;

let standIn: KubeStandIn;
let htpasswdRegistry: RunningRegistry;
let tokenRegistry: RunningRegistry;
let double: RegistryDouble;
let gitServer: GitServer;
let fleetUrl: string;
let rejectingUrl: string;
let gitCache: string;
let deadPort: number;

const counts = {
	cases: 0,
	successPaths: 0,
	failurePaths: 0,
	surfacesSearched: 0,
	leaks: 0,
	leakDetails: [] as string[],
};

const nodes = {
	create: new CreateBuildKitJob(),
	wait: new WaitForJob(),
	query: new QueryRegistryTags(),
	bump: new BumpGitManifest(),
	hook: new SignedWebhookTrigger(),
};

beforeAll(async () => {
	deadPort = await closedPort();
	gitCache = await mkdtemp(join(tmpdir(), 'hardening-git-cache-'));
	process.env.N8N_BUILDKIT_GIT_CACHE_DIR = gitCache;
	[standIn, htpasswdRegistry, tokenRegistry, double, gitServer] = await Promise.all([
		startKubeStandIn(),
		startRegistry({
			auth: 'htpasswd',
			username: REGISTRY_USER,
			password: secret('registryPassword'),
		}),
		startRegistry({ auth: 'token', username: REGISTRY_USER, password: secret('registryPassword') }),
		startRegistryDouble({
			tags: ['1.0.0', '1.1.0'],
			auth: { scheme: 'basic', username: REGISTRY_USER, password: secret('registryPassword') },
		}),
		startGitServer({ username: GIT_USER, password: secret('gitToken') }),
	]);
	// The stack's own valid secrets are canaries too: a leak of a working token is the worst kind.
	CANARIES.n8nToken = { secret: standIn.tokenFor('automation', 'n8n') };
	CANARIES.unboundToken = { secret: standIn.tokenFor('automation', 'someone-else') };
	CANARIES.adminToken = { secret: standIn.adminToken };
	await standIn.setScenario('default', { outcome: 'succeed', runMs: 100 });
	await standIn.setScenario({ jobName: 'canary-fail' }, { outcome: 'build-fail', runMs: 100 });
	for (const registry of [htpasswdRegistry, tokenRegistry]) {
		await pushTestImage({
			registry: registry.host,
			repository: 'webapp/app',
			tags: ['1.0.0', '1.2.0'],
			username: REGISTRY_USER,
			password: secret('registryPassword'),
			platforms: ['linux/amd64'],
		});
	}
	const files = {
		'apps/webapp.yaml': 'image: reg.local/webapp:1.0.0 # {"$imagepolicy": "flux-system:webapp"}\n',
	};
	fleetUrl = await gitServer.createBareRepo('fleet', files);
	rejectingUrl = await gitServer.createBareRepo('protected', files);
	const hook = join(gitServer.repoDir('protected'), 'hooks', 'pre-receive');
	await writeFile(
		hook,
		'#!/bin/sh\necho "policy: direct pushes to main are not allowed" >&2\nexit 1\n',
	);
	await chmod(hook, 0o755);
});

afterAll(async () => {
	writeCounts('secret-canaries', counts);
	delete process.env.N8N_BUILDKIT_GIT_CACHE_DIR;
	await closeRegistryConnections();
	await Promise.all([
		standIn?.stop(),
		htpasswdRegistry?.stop(),
		tokenRegistry?.stop(),
		double?.stop(),
		gitServer?.stop(),
	]);
	await rm(gitCache, { recursive: true, force: true });
	if (gitServer) await rm(gitServer.root, { recursive: true, force: true });
});

// ---- credentials as the nodes receive them ----

const kubeToken = (token: string, server = standIn.url) => ({
	authentication: 'token',
	server,
	token,
	caCertificate: standIn.caPem,
	namespace: 'build-system',
});
const kubeconfig = (token: string) => ({
	authentication: 'kubeconfig',
	kubeconfig: standIn.kubeconfig(token),
});
const kubeConfigFor = (target: KubeStandIn, token: string) => {
	const kc = new k8s.KubeConfig();
	kc.loadFromString(target.kubeconfig(token));
	return kc;
};
const registryCred = (host: string, password = secret('registryPassword')) => ({
	registry: host,
	username: REGISTRY_USER,
	password,
	plainHttp: true,
});
const gitCred = (token = secret('gitToken')) => ({
	authentication: 'https',
	username: GIT_USER,
	token,
	testRepositoryUrl: fleetUrl,
});

// ---- running one case and searching what it let out ----

type Run = () => Promise<unknown>;

async function expectNoCanary(
	name: string,
	path: 'success' | 'failure',
	run: Run,
	check: (c: Capture<unknown>) => void,
	extra?: () => unknown,
): Promise<void> {
	forgetRegistryAuth();
	const result = await capture(run, extra);
	counts.cases++;
	counts[path === 'success' ? 'successPaths' : 'failurePaths']++;
	counts.surfacesSearched += 4; // output, error (all nested fields), stdout/stderr/console, logger/extra
	const leaked = leakedCanaries(result.everything, CANARIES);
	if (leaked.length) {
		counts.leaks += leaked.length;
		counts.leakDetails.push(`${name}: ${leaked.join(', ')}`);
	}
	check(result);
	expect(leaked).toEqual([]);
}

const execute =
	(
		node: keyof typeof nodes,
		params: Params,
		credentials: Record<string, object>,
		extra: { continueOnFail?: boolean; logs?: string[] } = {},
	) =>
	() =>
		(nodes[node] as { execute: (this: unknown) => Promise<unknown> }).execute.call(
			executeContext({ params, credentials, ...extra }),
		);

const errorText = (c: Capture<unknown>) => exposeAll(c.error);
const succeeded = (c: Capture<unknown>) => {
	expect(c.error).toBeUndefined();
	expect(outputItems(c.value).length).toBeGreaterThan(0);
	for (const item of outputItems(c.value)) expect(item.json.error).toBeUndefined();
};
const failedWith = (pattern: RegExp) => (c: Capture<unknown>) => {
	const item = outputItems(c.value).find((i) => i.json.error !== undefined);
	expect(c.error !== undefined || item !== undefined).toBe(true);
	expect(c.error ? errorText(c) : String(item?.json.error)).toMatch(pattern);
};

// ---- Create BuildKit Job and Wait for Job (kubernetesApi) ----

const buildParams = (extra: Params = {}, options: Params = {}): Params => ({
	namespace: 'build-system',
	appName: 'webapp',
	gitRepositoryUrl: 'https://git.example.test/org/webapp.git',
	gitRevision: 'main',
	contextPath: '',
	dockerfile: 'Dockerfile',
	image: '127.0.0.1:5000/webapp/app:1.2.3',
	options,
	...extra,
});
const waitParams = (jobName: string, extra: Params = {}): Params => ({
	namespace: 'build-system',
	jobName,
	timeoutSeconds: 30,
	stuckAfterSeconds: 0,
	logTailLines: 20,
	failOnJobFailure: true,
	deleteWhenDone: false,
	...extra,
});

describe('Create BuildKit Job', () => {
	test('success: creates a Job as automation/n8n', () =>
		expectNoCanary(
			'create ok',
			'success',
			execute('create', buildParams({}, { jobName: 'canary-ok' }), {
				kubernetesApi: kubeToken(secret('n8nToken')),
			}),
			succeeded,
		));
	test('dry run with a canary token: the manifest carries no credential', () =>
		expectNoCanary(
			'create dryRun',
			'success',
			execute(
				'create',
				buildParams(
					{},
					{ dryRun: true, gitSecretName: 'git-token', registrySecretName: 'registry-credentials' },
				),
				{ kubernetesApi: kubeToken(secret('kubeToken')) },
			),
			(c) => {
				succeeded(c);
				expect(outputItems(c.value)[0].json.manifest).toMatchObject({ kind: 'Job' });
			},
		));
	test('401: a wrong bearer token', () =>
		expectNoCanary(
			'create 401',
			'failure',
			execute('create', buildParams(), { kubernetesApi: kubeToken(secret('kubeToken')) }),
			failedWith(/401/),
		));
	test('401 through a pasted kubeconfig, Continue On Fail', () =>
		expectNoCanary(
			'create 401 kubeconfig',
			'failure',
			execute(
				'create',
				buildParams(),
				{ kubernetesApi: kubeconfig(secret('kubeToken')) },
				{ continueOnFail: true },
			),
			failedWith(/401|Unauthorized/),
		));
	test('403: a valid token of an identity without the Role', () =>
		expectNoCanary(
			'create 403',
			'failure',
			execute('create', buildParams(), { kubernetesApi: kubeToken(secret('unboundToken')) }),
			failedWith(/403|forbidden/i),
		));
	test('404: a namespace that does not exist', () =>
		expectNoCanary(
			'create 404',
			'failure',
			execute('create', buildParams({ namespace: 'no-such-namespace' }), {
				kubernetesApi: kubeToken(secret('adminToken')),
			}),
			failedWith(/404|not ?found/i),
		));
	test('409: the Job name is taken (If Exists: fail)', () =>
		expectNoCanary(
			'create 409',
			'failure',
			execute('create', buildParams({}, { jobName: 'canary-ok', ifExists: 'fail' }), {
				kubernetesApi: kubeToken(secret('n8nToken')),
			}),
			failedWith(/409|already exists/i),
		));
	test('422: the API server refuses the manifest (annotations over 256 KiB)', () => {
		const tags = Array.from(
			{ length: 1200 },
			(_, i) => `127.0.0.1:5000/${'a'.repeat(200)}/app:t${i}`,
		).join(',');
		return expectNoCanary(
			'create 422',
			'failure',
			execute('create', buildParams({}, { additionalTags: tags }), {
				kubernetesApi: kubeToken(secret('n8nToken')),
			}),
			failedWith(/422|Invalid|too long/i),
		);
	});
	test('unreachable API server (closed port)', () =>
		expectNoCanary(
			'create unreachable',
			'failure',
			execute('create', buildParams(), {
				kubernetesApi: kubeToken(secret('kubeToken'), `https://127.0.0.1:${deadPort}`),
			}),
			failedWith(/ECONNREFUSED|reach|connect/i),
		));
	test('a kubeconfig that does not parse, with the token inside it', () =>
		expectNoCanary(
			'create bad kubeconfig',
			'failure',
			execute('create', buildParams(), {
				kubernetesApi: {
					authentication: 'kubeconfig',
					kubeconfig: `users:\n- name: x\n  user: {token: ${secret('kubeToken')}\n  [broken`,
				},
			}),
			failedWith(/kubeconfig/i),
		));
	test('credential test: OK, 401, not allowed, unreachable', async () => {
		const test = nodes.create.methods.credentialTest.kubernetesApiConnectionTest;
		const cases: Array<[string, object, RegExp, 'success' | 'failure']> = [
			['ok', kubeToken(secret('n8nToken')), /OK/, 'success'],
			['401', kubeToken(secret('kubeToken')), /Error/, 'failure'],
			['403', kubeToken(secret('unboundToken')), /Error/, 'failure'],
			['kubeconfig 401', kubeconfig(secret('kubeToken')), /Error/, 'failure'],
			[
				'unreachable',
				kubeToken(secret('kubeToken'), `https://127.0.0.1:${deadPort}`),
				/Error/,
				'failure',
			],
		];
		for (const [name, cred, status, path] of cases) {
			await expectNoCanary(
				`kube credential test ${name}`,
				path,
				() => test.call(credentialTestContext(), decrypted('kubernetesApi', cred)),
				(c) => expect((c.value as { status: string }).status).toMatch(status),
			);
		}
	});
});

describe('Wait for Job', () => {
	test('success: the Job created above completes', () =>
		expectNoCanary(
			'wait ok',
			'success',
			execute('wait', waitParams('canary-ok'), { kubernetesApi: kubeToken(secret('n8nToken')) }),
			(c) => {
				succeeded(c);
				expect(outputItems(c.value)[0].json.status).toBe('succeeded');
			},
		));
	test('failed build: the error carries the diagnosis and log tail', async () => {
		await nodes.create.execute.call(
			executeContext({
				params: buildParams({}, { jobName: 'canary-fail' }),
				credentials: { kubernetesApi: kubeToken(secret('n8nToken')) },
			}),
		);
		await expectNoCanary(
			'wait failed',
			'failure',
			execute('wait', waitParams('canary-fail'), { kubernetesApi: kubeToken(secret('n8nToken')) }),
			failedWith(/fail/i),
		);
	});
	test('401, 403 and a Job that does not exist', async () => {
		await expectNoCanary(
			'wait 401',
			'failure',
			execute('wait', waitParams('canary-ok'), { kubernetesApi: kubeToken(secret('kubeToken')) }),
			failedWith(/401|Unauthorized/),
		);
		await expectNoCanary(
			'wait 403',
			'failure',
			execute(
				'wait',
				waitParams('canary-ok'),
				{ kubernetesApi: kubeToken(secret('unboundToken')) },
				{ continueOnFail: true },
			),
			failedWith(/403|forbidden|refused/i),
		);
		await expectNoCanary(
			'wait 404',
			'failure',
			execute('wait', waitParams('canary-missing'), {
				kubernetesApi: kubeToken(secret('n8nToken')),
			}),
			failedWith(/not (found|exist)|404/i),
		);
	});
	test('unreachable API server: backs off until its timeout', () =>
		expectNoCanary(
			'wait unreachable',
			'failure',
			execute('wait', waitParams('canary-ok', { timeoutSeconds: 2 }), {
				kubernetesApi: kubeToken(secret('kubeToken'), `https://127.0.0.1:${deadPort}`),
			}),
			failedWith(/time|reach|ECONNREFUSED/i),
		));
});

// ---- a real build with both Secrets mounted ----

const real = realBuilderAvailability();
const describeReal = 'binDir' in real ? describe : describe.skip;
if (!('binDir' in real))
	console.warn(`secretCanaries: real-build cases SKIPPED, no real BuildKit: ${real.reason}`);

describeReal('a real BuildKit build that clones and pushes with canary Secrets', () => {
	let buildStandIn: KubeStandIn;
	let baseRegistry: RunningRegistry;

	beforeAll(async () => {
		// Anonymous registry for the base image; the app goes to the htpasswd registry with the canary password.
		baseRegistry = await startRegistry();
		buildStandIn = await startKubeStandIn({ registry: { host: htpasswdRegistry.host } });
		await pushBaseImage(buildStandIn.realBuilder!, baseRegistry.host);
		const core = kubeConfigFor(buildStandIn, buildStandIn.adminToken).makeApiClient(k8s.CoreV1Api);
		const auth = Buffer.from(`${REGISTRY_USER}:${secret('registryPassword')}`).toString('base64');
		const dockerconfig = JSON.stringify({ auths: { [htpasswdRegistry.host]: { auth } } });
		await core.createNamespacedSecret({
			namespace: 'build-system',
			body: {
				metadata: { name: 'registry-credentials' },
				type: 'kubernetes.io/dockerconfigjson',
				stringData: { '.dockerconfigjson': dockerconfig },
			},
		});
		await core.createNamespacedSecret({
			namespace: 'build-system',
			body: {
				metadata: { name: 'git-credentials' },
				stringData: { username: GIT_USER, token: secret('gitToken') },
			},
		});
		CANARIES.buildN8nToken = { secret: buildStandIn.tokenFor('automation', 'n8n') };
		await gitServer.createBareRepo('webapp', appFiles(baseRegistry.host));
	}, 120_000);

	afterAll(async () => {
		await buildStandIn?.stop();
		await baseRegistry?.stop();
	});

	test('git-clone reads the git Secret, BuildKit pushes with DOCKER_CONFIG; no output, error, log or termination message holds a secret', async () => {
		const kube = {
			kubernetesApi: {
				...kubeToken(secret('buildN8nToken')),
				server: buildStandIn.url,
				caCertificate: buildStandIn.caPem,
			},
		};
		const params = buildParams(
			{
				gitRepositoryUrl: gitServer.repoUrl('webapp'),
				image: `${htpasswdRegistry.host}/webapp/app:canary`,
			},
			{
				jobName: 'canary-real',
				gitSecretName: 'git-credentials',
				registrySecretName: 'registry-credentials',
				insecureRegistry: true,
				allowPlainHttpGit: true,
				attestations: ['provenance'],
			},
		);
		await expectNoCanary('create real', 'success', execute('create', params, kube), succeeded);
		let podText = '';
		await expectNoCanary(
			'wait real',
			'success',
			execute('wait', waitParams('canary-real', { timeoutSeconds: 120, logTailLines: 200 }), kube),
			(c) => {
				succeeded(c);
				expect(outputItems(c.value)[0].json).toMatchObject({
					status: 'succeeded',
					digest: expect.stringMatching(/^sha256:/),
				});
			},
		);
		// Everything the pod let out: both containers' whole logs and their termination messages.
		const core = kubeConfigFor(buildStandIn, buildStandIn.adminToken).makeApiClient(k8s.CoreV1Api);
		const [pod] = (
			await core.listNamespacedPod({
				namespace: 'build-system',
				labelSelector: 'job-name=canary-real',
			})
		).items;
		for (const container of ['git-clone', 'buildkit'])
			podText += await core.readNamespacedPodLog({
				name: pod.metadata!.name!,
				namespace: 'build-system',
				container,
			});
		podText += JSON.stringify(pod.status);
		expect(podText).toContain('pushing manifest for');
		expect(leakedCanaries(podText, CANARIES)).toEqual([]);
		// The push really used the Secret: the registry refuses anonymous reads.
		expect(
			(await fetch(`${htpasswdRegistry.url}/v2/webapp/app/manifests/canary`, { method: 'HEAD' }))
				.status,
		).toBe(401);
	});
});

// ---- Query Registry Tags (containerRegistryApi) ----

const queryParams = (repository: string, extra: Params = {}): Params => ({
	repository,
	policy: 'semver',
	semverRange: '*',
	filterPattern: '',
	filterExtract: '',
	exclude: '^.*\\.sig$',
	options: { resolveDigest: true },
	...extra,
});

describe('Query Registry Tags', () => {
	test('success on the real registry: htpasswd and bearer token auth', async () => {
		for (const registry of [htpasswdRegistry, tokenRegistry]) {
			await expectNoCanary(
				`query ok ${registry.auth}`,
				'success',
				execute('query', queryParams(`${registry.host}/webapp/app`), {
					containerRegistryApi: registryCred(registry.host),
				}),
				(c) => {
					succeeded(c);
					expect(outputItems(c.value)[0].json.latestTag).toBe('1.2.0');
				},
			);
		}
	});
	test('401 from the real registry: htpasswd and the token service, wrong password', async () => {
		for (const registry of [htpasswdRegistry, tokenRegistry]) {
			await expectNoCanary(
				`query 401 ${registry.auth}`,
				'failure',
				execute('query', queryParams(`${registry.host}/webapp/app`), {
					containerRegistryApi: registryCred(registry.host, secret('wrongRegistryPassword')),
				}),
				failedWith(/401/),
			);
		}
	});
	test('403 after authentication (registry double), with Continue On Fail', async () => {
		double.setFaults({ serverError: { times: 10, status: 403 } });
		await expectNoCanary(
			'query 403',
			'failure',
			execute(
				'query',
				queryParams(`${double.host}/webapp/app`),
				{ containerRegistryApi: registryCred(double.host) },
				{ continueOnFail: true },
			),
			failedWith(/403/),
		);
		double.setFaults({});
	});
	test('429 until the retries run out', async () => {
		double.setFaults({ rateLimit: { times: 10, retryAfter: '0' } });
		await expectNoCanary(
			'query 429',
			'failure',
			execute('query', queryParams(`${double.host}/webapp/app`), {
				containerRegistryApi: registryCred(double.host),
			}),
			failedWith(/429/),
		);
		double.setFaults({});
	});
	test('unreachable registry (closed port)', () =>
		expectNoCanary(
			'query unreachable',
			'failure',
			execute('query', queryParams(`127.0.0.1:${deadPort}/webapp/app`), {
				containerRegistryApi: registryCred(`127.0.0.1:${deadPort}`),
			}),
			failedWith(/reach|ECONNREFUSED/i),
		));
	test('credentials typed into the repository URL are refused without being echoed', () =>
		expectNoCanary(
			'query credentials in URL',
			'failure',
			execute(
				'query',
				queryParams(
					`http://${REGISTRY_USER}:${encodeURIComponent(secret('registryPassword'))}@${htpasswdRegistry.host}/webapp/app`,
				),
				{},
			),
			(c) => expect(c.error ?? outputItems(c.value)[0]?.json.error).toBeDefined(),
		));
	test('credential test: OK, 401 (htpasswd, token), 403, unreachable', async () => {
		const test = nodes.query.methods.credentialTest.containerRegistryApiConnectionTest;
		const cases: Array<[string, object, RegExp, 'success' | 'failure', (() => void)?]> = [
			['htpasswd ok', registryCred(htpasswdRegistry.host), /OK/, 'success'],
			['token ok', registryCred(tokenRegistry.host), /OK/, 'success'],
			[
				'htpasswd 401',
				registryCred(htpasswdRegistry.host, secret('wrongRegistryPassword')),
				/Error/,
				'failure',
			],
			[
				'token 401',
				registryCred(tokenRegistry.host, secret('wrongRegistryPassword')),
				/Error/,
				'failure',
			],
			['unreachable', registryCred(`127.0.0.1:${deadPort}`), /Error/, 'failure'],
		];
		for (const [name, cred, status, path] of cases) {
			await expectNoCanary(
				`registry credential test ${name}`,
				path,
				() => test.call(credentialTestContext(), decrypted('containerRegistryApi', cred)),
				(c) => expect((c.value as { status: string }).status).toMatch(status),
			);
		}
	});
});

// ---- Bump Git Manifest (gitRepositoryApi) ----

const bumpParams = (repositoryUrl: string, image: string, extra: Params = {}): Params => ({
	repositoryUrl,
	allowPlainHttp: true,
	branch: 'main',
	mode: 'imagePolicyMarkers',
	policyName: 'flux-system:webapp',
	image,
	path: 'apps',
	commitMessage: 'bump webapp',
	skipCi: false,
	dryRun: false,
	maxAttempts: 2,
	...extra,
});

async function filesUnder(dir: string): Promise<string> {
	const parts: string[] = [];
	const walk = async (d: string): Promise<void> => {
		for (const entry of await readdir(d, { withFileTypes: true })) {
			const full = join(d, entry.name);
			if (entry.isDirectory()) await walk(full);
			else if (entry.isFile() && (await stat(full)).size < 1_000_000)
				parts.push(full, await readFile(full, 'latin1'));
		}
	};
	await walk(dir);
	return parts.join('\n');
}

describe('Bump Git Manifest', () => {
	test('success: one commit pushed with the token; the clone cache on disk holds no secret', () =>
		expectNoCanary(
			'bump ok',
			'success',
			execute('bump', bumpParams(fleetUrl, 'reg.local/webapp:1.1.0'), {
				gitRepositoryApi: gitCred(),
			}),
			(c) => {
				succeeded(c);
				expect(outputItems(c.value)[0].json.changed).toBe(true);
			},
			() => filesUnder(gitCache),
		));
	test('wrong token: authentication failed', () =>
		expectNoCanary(
			'bump 401',
			'failure',
			execute('bump', bumpParams(fleetUrl, 'reg.local/webapp:1.2.0'), {
				gitRepositoryApi: gitCred(secret('wrongGitToken')),
			}),
			failedWith(/Authentication/i),
		));
	test('push rejected by the server (pre-receive hook), with the remote output as description', () =>
		expectNoCanary(
			'bump push rejected',
			'failure',
			execute('bump', bumpParams(rejectingUrl, 'reg.local/webapp:1.3.0'), {
				gitRepositoryApi: gitCred(),
			}),
			failedWith(/refused|declined|rejected/i),
			() => filesUnder(gitCache),
		));
	test('a branch that does not exist, Continue On Fail', () =>
		expectNoCanary(
			'bump no branch',
			'failure',
			execute(
				'bump',
				bumpParams(fleetUrl, 'reg.local/webapp:1.4.0', { branch: 'nope' }),
				{ gitRepositoryApi: gitCred() },
				{ continueOnFail: true },
			),
			failedWith(/does not exist|not found/i),
		));
	test('unreachable git server (closed port)', () =>
		expectNoCanary(
			'bump unreachable',
			'failure',
			execute(
				'bump',
				bumpParams(`http://127.0.0.1:${deadPort}/fleet.git`, 'reg.local/webapp:1.4.0'),
				{ gitRepositoryApi: gitCred() },
			),
			failedWith(/reach/i),
		));
	test('a token typed into the repository URL is refused without being echoed', () =>
		expectNoCanary(
			'bump credentials in URL',
			'failure',
			execute(
				'bump',
				bumpParams(
					fleetUrl.replace(
						'http://',
						`http://${GIT_USER}:${encodeURIComponent(secret('gitToken'))}@`,
					),
					'reg.local/webapp:1.4.0',
				),
				{ gitRepositoryApi: gitCred() },
			),
			failedWith(/password or token/i),
		));
	test('SSH key credential against a closed port: the key never shows', () =>
		expectNoCanary(
			'bump ssh unreachable',
			'failure',
			execute(
				'bump',
				bumpParams(`ssh://git@127.0.0.1:${deadPort}/fleet.git`, 'reg.local/webapp:1.4.0'),
				{
					gitRepositoryApi: {
						authentication: 'ssh',
						sshPrivateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${secret('sshKey')}\n-----END OPENSSH PRIVATE KEY-----`,
						knownHosts:
							'127.0.0.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl',
					},
				},
			),
			failedWith(/reach|refused|host key|Authentication|failed/i),
		));
	test('credential test: OK, wrong token, unreachable, token in the URL', async () => {
		const test = nodes.bump.methods.credentialTest.gitRepositoryApiConnectionTest;
		const cases: Array<[string, object, RegExp, 'success' | 'failure']> = [
			['ok', gitCred(), /OK/, 'success'],
			['wrong token', gitCred(secret('wrongGitToken')), /Error/, 'failure'],
			[
				'unreachable',
				{ ...gitCred(), testRepositoryUrl: `http://127.0.0.1:${deadPort}/fleet.git` },
				/Error/,
				'failure',
			],
			[
				'token in URL',
				{
					...gitCred(),
					testRepositoryUrl: fleetUrl.replace(
						'http://',
						`http://${GIT_USER}:${encodeURIComponent(secret('gitToken'))}@`,
					),
				},
				/Error/,
				'failure',
			],
		];
		for (const [name, cred, status, path] of cases) {
			await expectNoCanary(
				`git credential test ${name}`,
				path,
				() => test.call(credentialTestContext(), decrypted('gitRepositoryApi', cred)),
				(c) => expect((c.value as { status: string }).status).toMatch(status),
			);
		}
	});
});

// ---- Signed Webhook Trigger (webhookSigningSecretApi) ----

function webhookCall(
	provider: string,
	headers: Record<string, string>,
	rawBody: Buffer,
	logs: string[],
) {
	const response: {
		statusCode?: number;
		body?: unknown;
		status(c: number): unknown;
		json(b: unknown): unknown;
		end(): unknown;
	} = {
		status(code) {
			response.statusCode = code;
			return response;
		},
		json(body) {
			response.body = body;
			return response;
		},
		end: () => response,
	};
	const context = {
		getRequestObject: () => ({ headers, rawBody, readRawBody: async () => undefined }),
		getResponseObject: () => response,
		getNodeParameter: (name: string, fallback?: unknown) =>
			(({ provider, path: 'build', options: {} }) as Record<string, unknown>)[name] ?? fallback,
		getCredentials: async () => ({ secret: secret('webhookSecret') }),
		getWorkflow: () => ({ id: `wf-${provider}`, name: 'build', active: true }),
		getNode: () => ({ name: 'Signed Webhook Trigger' }),
		logger: {
			warn: (m: string) => logs.push(m),
			info: (m: string) => logs.push(m),
			debug: (m: string) => logs.push(m),
			error: (m: string) => logs.push(m),
		},
	};
	return { context: context as unknown as IWebhookFunctions, response };
}

const push = (id: string) =>
	Buffer.from(
		JSON.stringify({
			ref: 'refs/heads/main',
			after: 'a'.repeat(40),
			repository: { full_name: 'org/webapp', clone_url: 'https://git.example.test/org/webapp.git' },
			commits: [{ id: 'a'.repeat(40), added: [], modified: ['src/app.ts'], removed: [] }],
			delivery: id,
		}),
	);

describe('Signed Webhook Trigger', () => {
	const sign = (body: Buffer, key: string) =>
		`sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
	const cases: Array<
		[
			string,
			string,
			(body: Buffer) => Record<string, string>,
			'success' | 'failure',
			number | 'accepted',
		]
	> = [
		[
			'github signed',
			'github',
			(b) => ({
				'content-type': 'application/json',
				'x-github-event': 'push',
				'x-github-delivery': `d-${tag}-1`,
				'x-hub-signature-256': sign(b, secret('webhookSecret')),
			}),
			'success',
			'accepted',
		],
		[
			'github forged',
			'github',
			(b) => ({
				'content-type': 'application/json',
				'x-github-event': 'push',
				'x-github-delivery': `d-${tag}-2`,
				'x-hub-signature-256': sign(b, 'not-the-secret-but-long-enough'),
			}),
			'failure',
			401,
		],
		[
			'gitlab token (the secret itself travels in a header)',
			'gitlab',
			() => ({
				'content-type': 'application/json',
				'x-gitlab-event': 'Push Hook',
				'x-gitlab-token': secret('webhookSecret'),
				'x-gitlab-event-uuid': `d-${tag}-3`,
			}),
			'success',
			'accepted',
		],
		[
			'gitlab wrong token',
			'gitlab',
			() => ({
				'content-type': 'application/json',
				'x-gitlab-event': 'Push Hook',
				'x-gitlab-token': `${secret('webhookSecret')}x`,
				'x-gitlab-event-uuid': `d-${tag}-4`,
			}),
			'failure',
			401,
		],
		[
			'flux signed',
			'flux',
			(b) => ({
				'content-type': 'application/json',
				'x-signature': sign(b, secret('webhookSecret')),
			}),
			'success',
			'accepted',
		],
		[
			'signed but not JSON',
			'github',
			(b) => ({
				'content-type': 'application/json',
				'x-github-event': 'push',
				'x-github-delivery': `d-${tag}-5`,
				'x-hub-signature-256': sign(b, secret('webhookSecret')),
			}),
			'failure',
			400,
		],
	];
	test.each(cases)('%s', async (name, provider, headersFor, path, expected) => {
		const body =
			name === 'signed but not JSON'
				? Buffer.from('not json')
				: provider === 'flux'
					? Buffer.from(
							JSON.stringify({
								involvedObject: { kind: 'HelmChart', name: 'webapp', namespace: 'flux-system' },
								severity: 'info',
								reason: 'ChartPackageSucceeded',
								message: 'packaged',
								metadata: { revision: '1.2.3' },
							}),
						)
					: push(name);
		const logs: string[] = [];
		const { context, response } = webhookCall(provider, headersFor(body), body, logs);
		await expectNoCanary(
			`webhook ${name}`,
			path,
			() => nodes.hook.webhook.call(context),
			(c) => {
				expect(c.error).toBeUndefined();
				const result = c.value as { workflowData?: unknown[] };
				if (expected === 'accepted') expect(result.workflowData).toHaveLength(1);
				else expect(response.statusCode).toBe(expected);
			},
			() => ({ logs, response }),
		);
	});
	test('credential test: OK and too short; the message never repeats the secret', async () => {
		const test = nodes.hook.methods.credentialTest.webhookSigningSecretTest;
		await expectNoCanary(
			'webhook credential ok',
			'success',
			() =>
				test.call(
					credentialTestContext(),
					decrypted('webhookSigningSecretApi', { secret: secret('webhookSecret') }),
				),
			(c) => expect((c.value as { status: string }).status).toBe('OK'),
		);
		await expectNoCanary(
			'webhook credential short',
			'failure',
			() =>
				test.call(
					credentialTestContext(),
					decrypted('webhookSigningSecretApi', { secret: secret('webhookSecret').slice(0, 10) }),
				),
			(c) => expect((c.value as { status: string }).status).toBe('Error'),
		);
	});
});

test('the canary search itself finds every form of a planted secret (guards against a search that finds nothing)', () => {
	const s = secret('registryPassword');
	const planted = [
		s,
		Buffer.from(s).toString('base64'),
		Buffer.from(`${REGISTRY_USER}:${s}`).toString('base64'),
		encodeURIComponent(s),
		`Authorization: Basic ${Buffer.from(`x${REGISTRY_USER}:${s}`).toString('base64')}`,
	];
	for (const text of planted)
		expect(leakedCanaries(`prefix ${text} suffix`, CANARIES)).toEqual(['registryPassword']);
	expect(leakedCanaries('nothing secret here', CANARIES)).toEqual([]);
});
