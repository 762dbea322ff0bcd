import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Job } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { validateBuildJobInput, type BuildJobInput } from '../../lib/k8s/build/inputs';
import { buildJobManifest } from '../../lib/k8s/build/manifest';
import { CreateBuildKitJob } from '../../nodes/CreateBuildKitJob/CreateBuildKitJob.node';
import { startKubeStandIn, type KubeStandIn } from '../stack/k8s';
import { rawRequest, type RawResponse } from '../stack/k8s/testing';
import { executeContext, writeCounts } from './harness';

/**
 * deploy/admission against what it is for. The stand-in is a cluster with deploy/ applied, so the
 * ValidatingAdmissionPolicy build-job-shape, its binding and its params are live, evaluated with a real CEL
 * engine. Every Job the nodes generate across the option space is admitted; a table of hostile Jobs sent
 * straight to the API with the n8n token is refused, each with the message of the rule it breaks; the same
 * Jobs from another identity are not matched; real kubectl shows the same denial; the node turns a denial
 * into an error naming the policy and the rule.
 */

jest.setTimeout(300_000);

const NS = 'build-system';
const POLICY = 'build-job-shape';
const PREFIX = (name: string) =>
	`jobs.batch "${name}" is forbidden: ValidatingAdmissionPolicy '${POLICY}' with binding '${POLICY}' denied request: `;

let standIn: KubeStandIn;
let n8nToken: string;
const counts = {
	admitted: 0,
	admittedPrivileged: 0,
	denied: 0,
	hostileCases: 0,
	notMatchedForOtherUser: 0,
	kubectlDenials: 0,
	unexpected: [] as string[],
};

beforeAll(async () => {
	standIn = await startKubeStandIn();
	n8nToken = standIn.tokenFor('automation', 'n8n');
});
afterAll(async () => {
	writeCounts('admission', counts);
	await standIn?.stop();
});

let serial = 0;
function generated(input: Partial<BuildJobInput> = {}): any {
	const plan = validateBuildJobInput({
		appName: 'adm',
		gitRepositoryUrl: 'https://git.example.test/org/app.git',
		image: '127.0.0.1:5000/adm/app:1.0.0',
		gitSecretName: 'git-credentials',
		...input,
	});
	return JSON.parse(JSON.stringify(buildJobManifest(plan, `adm-${++serial}`)));
}

/** POSTs a Job (server-side dry run unless told otherwise: admission runs all the same, nothing starts). */
function post(job: V1Job, token = n8nToken, dryRun = true): Promise<RawResponse> {
	return rawRequest(
		`${standIn.url}/apis/batch/v1/namespaces/${NS}/jobs${dryRun ? '?dryRun=All' : ''}`,
		standIn.caPem,
		token,
		'POST',
		JSON.stringify(job),
		'application/json',
	);
}

async function setParams(data: Record<string, string>): Promise<void> {
	const url = `${standIn.url}/api/v1/namespaces/${NS}/configmaps/build-job-policy`;
	const r = await rawRequest(
		url,
		standIn.caPem,
		standIn.adminToken,
		'PATCH',
		JSON.stringify({ data }),
		'application/merge-patch+json',
	);
	expect(r.status).toBe(200);
}

// ---------------------------------------------------------------------------------------------- admitted

/** The options that change the pod: builder, cache, Secrets, platforms, labels, resources (full product). */
function optionMatrix(builderMode: 'rootless' | 'privileged'): Array<Partial<BuildJobInput>> {
	const out: Array<Partial<BuildJobInput>> = [];
	for (const cacheMode of ['max', 'min', 'disabled'] as const)
		for (const registrySecretName of [undefined, ''])
			for (const gitSecretName of [undefined, 'git-credentials'])
				for (const platforms of [[], ['linux/amd64', 'linux/arm64', 'linux/arm/v7']])
					for (const labels of [
						[],
						[
							{ name: 'team', value: 'web' },
							{ name: 'example.com/tier', value: 'gold' },
						],
					])
						for (const resources of [
							{},
							{ memoryLimit: '8Gi', memoryRequest: '4Gi', cpuLimit: '4', cpuRequest: '500m' },
						])
							out.push({
								builderMode,
								cacheMode,
								registrySecretName,
								gitSecretName,
								platforms,
								labels,
								...resources,
							});
	return out;
}
const EXTRAS: Array<Partial<BuildJobInput>> = [
	{
		additionalTags: ['latest', '127.0.0.1:5000/adm/mirror:1'],
		buildArgs: [{ name: 'VERSION', value: '1' }],
		target: 'release',
		attestations: [],
	},
	{
		gitRepositoryUrl: 'http://git.local/org/app.git',
		allowPlainHttpGit: true,
		insecureRegistry: true,
		contextPath: 'services/api',
		dockerfile: 'build/Dockerfile',
	},
	{
		gitRevision: '0123456789abcdef0123456789abcdef01234567',
		deterministicName: true,
		activeDeadlineSeconds: 0,
		ttlSecondsAfterFinished: 0,
		backoffLimit: 3,
	},
	{ cacheRef: '127.0.0.1:5000/adm/cache:build', memoryLimit: '512Mi', memoryRequest: '256Mi' },
	// Options → BuildKit Config Map (a buildkitd.toml ConfigMap mounted into buildkit), named in the params' configMaps.
	{ buildkitdConfigMap: 'buildkitd-config' } as Partial<BuildJobInput>,
];

async function expectAdmitted(inputs: Array<Partial<BuildJobInput>>): Promise<number> {
	const failures: string[] = [];
	for (let i = 0; i < inputs.length; i += 8) {
		await Promise.all(
			inputs.slice(i, i + 8).map(async (input) => {
				const r = await post(generated(input));
				if (r.status !== 201)
					failures.push(`${JSON.stringify(input)}: ${r.status} ${r.body?.message}`);
			}),
		);
	}
	counts.unexpected.push(...failures);
	expect(failures).toEqual([]);
	return inputs.length;
}

describe('every Job the nodes generate is admitted', () => {
	test('rootless across cache, Secrets, platforms, labels and resources, plus the other options', async () => {
		counts.admitted += await expectAdmitted([...optionMatrix('rootless'), ...EXTRAS]);
	});

	test('privileged ones too once the params allow the privileged builder (and not before)', async () => {
		const privileged = optionMatrix('privileged');
		const before = await post(generated(privileged[0]));
		expect(before.body.message).toBe(
			`${PREFIX(before.body.details.name)}privileged refused on buildkit: ConfigMap build-job-policy does not allow the privileged builder (allowPrivilegedBuilder is not "true")`,
		);
		await setParams({ allowPrivilegedBuilder: 'true' });
		try {
			const n = await expectAdmitted(privileged);
			counts.admitted += n;
			counts.admittedPrivileged += n;
		} finally {
			await setParams({ allowPrivilegedBuilder: 'false' });
		}
	});

	test('one is created for real through Create BuildKit Job with the n8n credential', async () => {
		const out = await new CreateBuildKitJob().execute.call(
			executeContext({
				params: {
					namespace: NS,
					appName: 'adm',
					gitRepositoryUrl: 'https://git.example.test/org/app.git',
					gitRevision: 'main',
					contextPath: '',
					dockerfile: 'Dockerfile',
					image: '127.0.0.1:5000/adm/app:1.0.0',
					options: { jobName: 'adm-real', gitSecretName: 'git-credentials' },
				},
				credentials: {
					kubernetesApi: {
						authentication: 'token',
						server: standIn.url,
						token: n8nToken,
						caCertificate: standIn.caPem,
						namespace: NS,
					},
				},
			}),
		);
		expect((out as any)[0][0].json).toMatchObject({ jobName: 'adm-real', uid: expect.any(String) });
		counts.admitted++;
	});
});

// ---------------------------------------------------------------------------------------------- denied

type Mutation = (job: any) => void;
const pod = (job: any) => job.spec.template.spec;
const buildkit = (job: any) => pod(job).containers[0];
const gitClone = (job: any) => pod(job).initContainers[0];

/** [what, change to a generated Job, the rule's message after the prefix]. */
const HOSTILE: Array<[string, Mutation, string]> = [
	[
		'privileged when the params do not allow it',
		(j) => (buildkit(j).securityContext = { privileged: true }),
		'privileged refused on buildkit: ConfigMap build-job-policy does not allow the privileged builder (allowPrivilegedBuilder is not "true")',
	],
	[
		'privileged git-clone',
		(j) => (gitClone(j).securityContext.privileged = true),
		'privileged refused on git-clone: ConfigMap build-job-policy does not allow the privileged builder (allowPrivilegedBuilder is not "true")',
	],
	[
		'hostPath / mounted',
		(j) => {
			pod(j).volumes.push({ name: 'host-root', hostPath: { path: '/' } });
			buildkit(j).volumeMounts.push({ name: 'host-root', mountPath: '/host' });
		},
		'volume refused: host-root (hostPath /); build pods mount only emptyDir and the Secrets and ConfigMaps listed in ConfigMap build-job-policy (keys secrets, configMaps)',
	],
	[
		'hostPID',
		(j) => (pod(j).hostPID = true),
		'hostPID refused: a build pod shares no namespace with its node',
	],
	[
		'hostNetwork',
		(j) => (pod(j).hostNetwork = true),
		'hostNetwork refused: a build pod shares no namespace with its node',
	],
	[
		'hostIPC with hostPID',
		(j) => Object.assign(pod(j), { hostIPC: true, hostPID: true }),
		'hostPID, hostIPC refused: a build pod shares no namespace with its node',
	],
	[
		'a hostPort',
		(j) => (buildkit(j).ports = [{ containerPort: 1234, hostPort: 1234 }]),
		'hostPort refused on buildkit: a build pod listens on no node port',
	],
	[
		'another buildkit image',
		(j) => (buildkit(j).image = 'docker.io/library/alpine:3.20'),
		'image refused: buildkit uses docker.io/library/alpine:3.20; build pods run only the images listed in ConfigMap build-job-policy (key images)',
	],
	[
		'another git-clone image',
		(j) => (gitClone(j).image = 'alpine/git:2.45.2'),
		'image refused: git-clone uses alpine/git:2.45.2; build pods run only the images listed in ConfigMap build-job-policy (key images)',
	],
	[
		'the default service account',
		(j) => (pod(j).serviceAccountName = 'default'),
		'serviceAccountName refused: build pods run as buildkit-sa, this one as default',
	],
	[
		'no service account (the namespace default)',
		(j) => delete pod(j).serviceAccountName,
		'serviceAccountName refused: build pods run as buildkit-sa, this one as default',
	],
	[
		'a mounted API token',
		(j) => (pod(j).automountServiceAccountToken = true),
		'automountServiceAccountToken refused: build pods must set it to false (a build needs no Kubernetes API token)',
	],
	[
		'token automount left to the service account',
		(j) => delete pod(j).automountServiceAccountToken,
		'automountServiceAccountToken refused: build pods must set it to false (a build needs no Kubernetes API token)',
	],
	[
		'an added capability',
		(j) => (buildkit(j).securityContext.capabilities = { add: ['SYS_ADMIN', 'NET_ADMIN'] }),
		'capabilities refused: buildkit adds SYS_ADMIN, NET_ADMIN; build containers add no capabilities',
	],
	[
		'an extra container',
		(j) => pod(j).containers.push({ ...buildkit(j), name: 'miner' }),
		'containers refused: a build pod runs exactly the init container git-clone and the container buildkit, this one has init containers [git-clone] and containers [buildkit, miner]',
	],
	[
		'an extra init container',
		(j) => pod(j).initContainers.push({ ...gitClone(j), name: 'prep' }),
		'containers refused: a build pod runs exactly the init container git-clone and the container buildkit, this one has init containers [git-clone, prep] and containers [buildkit]',
	],
	[
		'a renamed container',
		(j) => (buildkit(j).name = 'builder'),
		'containers refused: a build pod runs exactly the init container git-clone and the container buildkit, this one has init containers [git-clone] and containers [builder]',
	],
	[
		'a Secret not in the allowlist',
		(j) => (pod(j).volumes[3].secret.secretName = 'cluster-admin-token'),
		'volume refused: docker-config (Secret cluster-admin-token); build pods mount only emptyDir and the Secrets and ConfigMaps listed in ConfigMap build-job-policy (keys secrets, configMaps)',
	],
	[
		'a ConfigMap not in the allowlist',
		(j) => pod(j).volumes.push({ name: 'ca', configMap: { name: 'kube-root-ca.crt' } }),
		'volume refused: ca (ConfigMap kube-root-ca.crt); build pods mount only emptyDir and the Secrets and ConfigMaps listed in ConfigMap build-job-policy (keys secrets, configMaps)',
	],
	[
		'a projected service account token',
		(j) =>
			pod(j).volumes.push({
				name: 'token',
				projected: { sources: [{ serviceAccountToken: { path: 'token' } }] },
			}),
		'volume refused: token (projected); build pods mount only emptyDir and the Secrets and ConfigMaps listed in ConfigMap build-job-policy (keys secrets, configMaps)',
	],
	[
		'a PersistentVolumeClaim',
		(j) =>
			pod(j).volumes.push({ name: 'data', persistentVolumeClaim: { claimName: 'etcd-backup' } }),
		'volume refused: data (persistentVolumeClaim); build pods mount only emptyDir and the Secrets and ConfigMaps listed in ConfigMap build-job-policy (keys secrets, configMaps)',
	],
	[
		'env from a Secret',
		(j) =>
			buildkit(j).env.push({
				name: 'T',
				valueFrom: { secretKeyRef: { name: 'cluster-admin-token', key: 'token' } },
			}),
		'env refused on buildkit: build containers take only literal env values (valueFrom and envFrom read Secrets and ConfigMaps outside the allowlist)',
	],
	[
		'envFrom a Secret',
		(j) => (gitClone(j).envFrom = [{ secretRef: { name: 'other' } }]),
		'env refused on git-clone: build containers take only literal env values (valueFrom and envFrom read Secrets and ConfigMaps outside the allowlist)',
	],
	[
		'runAsUser 0 for rootless buildkit',
		(j) => (buildkit(j).securityContext.runAsUser = 0),
		'securityContext of buildkit refused: a rootless build runs exactly as generated (runAsUser and runAsGroup 1000, runAsNonRoot, allowPrivilegeEscalation, seccomp and AppArmor Unconfined, nothing else); this one has runAsUser 0',
	],
	[
		'procMount Unmasked on buildkit',
		(j) => (buildkit(j).securityContext.procMount = 'Unmasked'),
		'securityContext of buildkit refused: a rootless build runs exactly as generated (runAsUser and runAsGroup 1000, runAsNonRoot, allowPrivilegeEscalation, seccomp and AppArmor Unconfined, nothing else); this one has runAsUser 1000',
	],
	[
		'git-clone with a writable root filesystem',
		(j) => (gitClone(j).securityContext.readOnlyRootFilesystem = false),
		'securityContext of git-clone refused: it runs exactly as generated (runAsUser and runAsGroup 1000, runAsNonRoot, no privilege escalation, read-only root filesystem, all capabilities dropped, seccomp RuntimeDefault)',
	],
	[
		'pod-wide runAsUser 0',
		(j) => (pod(j).securityContext.runAsUser = 0),
		'pod securityContext refused: build pods set only fsGroup 1000 (no pod-wide user, sysctls, SELinux or Windows options)',
	],
	[
		'unsafe sysctls',
		(j) => (pod(j).securityContext.sysctls = [{ name: 'kernel.core_pattern', value: '|/tmp/x' }]),
		'pod securityContext refused: build pods set only fsGroup 1000 (no pod-wide user, sysctls, SELinux or Windows options)',
	],
	[
		'a Windows host process',
		(j) => (pod(j).securityContext.windowsOptions = { hostProcess: true }),
		'pod securityContext refused: build pods set only fsGroup 1000 (no pod-wide user, sysctls, SELinux or Windows options)',
	],
	[
		'memory above the bound',
		(j) => (buildkit(j).resources.limits.memory = '64Gi'),
		'resources refused: buildkit has limits memory 64Gi; each build container needs a memory limit of at most 8Gi and a CPU limit (if any) of at most 4 (ConfigMap build-job-policy, keys maxMemory and maxCpu)',
	],
	[
		'no memory limit',
		(j) => delete gitClone(j).resources.limits,
		'resources refused: git-clone has no memory limit; each build container needs a memory limit of at most 8Gi and a CPU limit (if any) of at most 4 (ConfigMap build-job-policy, keys maxMemory and maxCpu)',
	],
	[
		'CPU above the bound',
		(j) => (buildkit(j).resources.limits.cpu = '64'),
		'resources refused: buildkit has limits memory 2Gi, cpu 64; each build container needs a memory limit of at most 8Gi and a CPU limit (if any) of at most 4 (ConfigMap build-job-policy, keys maxMemory and maxCpu)',
	],
];

function hostileJob(mutate: Mutation): any {
	const job = generated();
	mutate(job);
	return job;
}

describe('hostile Jobs sent straight to the API with the n8n token', () => {
	test(`the table has at least 20 cases (${HOSTILE.length})`, () => {
		expect(HOSTILE.length).toBeGreaterThanOrEqual(20);
	});

	test.each(HOSTILE)("%s: refused with the rule's message", async (_what, mutate, rule) => {
		counts.hostileCases++;
		const job = hostileJob(mutate);
		const r = await post(job, n8nToken, false);
		const message = `${PREFIX(job.metadata.name)}${rule}`;
		if (r.status === 403 && r.body?.message === message) counts.denied++;
		else counts.unexpected.push(`${_what}: ${r.status} ${r.body?.message}`);
		expect(r.status).toBe(403);
		expect(r.body).toEqual({
			kind: 'Status',
			apiVersion: 'v1',
			metadata: {},
			status: 'Failure',
			reason: 'Forbidden',
			code: 403,
			message,
			details: {
				name: job.metadata.name,
				group: 'batch',
				kind: 'jobs',
				causes: [{ message: message.slice(message.indexOf('ValidatingAdmissionPolicy')) }],
			},
		});
	});

	test('nothing was created by any of them', async () => {
		const r = await rawRequest(
			`${standIn.url}/apis/batch/v1/namespaces/${NS}/jobs`,
			standIn.caPem,
			standIn.adminToken,
			'GET',
			'',
			'application/json',
		);
		expect(r.body.items.map((j: any) => j.metadata.name)).toEqual(['adm-real']);
	});

	test('the same Jobs from another identity are not matched (the policy is about what n8n may do)', async () => {
		for (const [what, mutate] of HOSTILE) {
			const r = await post(hostileJob(mutate), standIn.adminToken);
			if (r.status === 201) counts.notMatchedForOtherUser++;
			else counts.unexpected.push(`admin, ${what}: ${r.status} ${r.body?.message}`);
		}
		expect(counts.notMatchedForOtherUser).toBe(HOSTILE.length);
	});

	test('Create BuildKit Job turns a denial into a node error naming the policy and the rule', async () => {
		const run = new CreateBuildKitJob().execute.call(
			executeContext({
				params: {
					namespace: NS,
					appName: 'adm',
					gitRepositoryUrl: 'https://git.example.test/org/app.git',
					gitRevision: 'main',
					contextPath: '',
					dockerfile: 'Dockerfile',
					image: '127.0.0.1:5000/adm/app:1.0.0',
					options: { jobName: 'adm-big', memoryLimit: '16Gi' },
				},
				credentials: {
					kubernetesApi: {
						authentication: 'token',
						server: standIn.url,
						token: n8nToken,
						caCertificate: standIn.caPem,
						namespace: NS,
					},
				},
			}),
		);
		await expect(run).rejects.toMatchObject({
			name: 'NodeApiError',
			message:
				'Creating Job "adm-big" in namespace "build-system" was refused by admission policy "build-job-shape" (binding "build-job-shape", HTTP 403 Forbidden): resources refused: git-clone has limits memory 16Gi, buildkit has limits memory 16Gi; each build container needs a memory limit of at most 8Gi and a CPU limit (if any) of at most 4 (ConfigMap build-job-policy, keys maxMemory and maxCpu)',
			description: expect.stringContaining('admission policy "build-job-shape"'),
			httpCode: '403',
		});
	});

	test('without its params ConfigMap the binding refuses every n8n Job (parameterNotFoundAction Deny)', async () => {
		const url = `${standIn.url}/api/v1/namespaces/${NS}/configmaps/build-job-policy`;
		const saved = (
			await rawRequest(url, standIn.caPem, standIn.adminToken, 'GET', '', 'application/json')
		).body;
		expect(
			(await rawRequest(url, standIn.caPem, standIn.adminToken, 'DELETE', '', 'application/json'))
				.status,
		).toBe(200);
		try {
			const job = generated();
			const r = await post(job);
			expect({ status: r.status, reason: r.body.reason, message: r.body.message }).toEqual({
				status: 422,
				reason: 'Invalid',
				message: `${PREFIX(job.metadata.name)}failed to configure binding: no params found for policy binding with \`Deny\` parameterNotFoundAction`,
			});
		} finally {
			const restore = {
				apiVersion: 'v1',
				kind: 'ConfigMap',
				metadata: { name: 'build-job-policy', namespace: NS },
				data: saved.data,
			};
			expect(
				(
					await rawRequest(
						`${standIn.url}/api/v1/namespaces/${NS}/configmaps`,
						standIn.caPem,
						standIn.adminToken,
						'POST',
						JSON.stringify(restore),
						'application/json',
					)
				).status,
			).toBe(201);
		}
		expect((await post(generated())).status).toBe(201);
	});
});

describe('real kubectl against the stand-in', () => {
	function kubectl(
		kubeconfig: string,
		...args: string[]
	): Promise<{ code: number; stdout: string; stderr: string }> {
		const cache = join(standIn.dir, 'kube-cache');
		mkdirSync(cache, { recursive: true });
		return new Promise((resolve) =>
			execFile(
				'kubectl',
				['--kubeconfig', kubeconfig, '--cache-dir', cache, ...args],
				{ env: { PATH: process.env.PATH, HOME: standIn.dir }, timeout: 60_000 },
				(err, stdout, stderr) =>
					resolve({
						code: err ? (typeof err.code === 'number' ? err.code : 1) : 0,
						stdout,
						stderr,
					}),
			),
		);
	}

	test.each([0, 2, 3, 13])(
		'kubectl create of hostile case %i shows the same denial',
		async (index) => {
			const [, mutate, rule] = HOSTILE[index];
			const job = hostileJob(mutate);
			const file = join(standIn.dir, `${job.metadata.name}.yaml`);
			writeFileSync(file, stringify(job));
			const r = await kubectl(
				standIn.kubeconfigFile(n8nToken, 'n8n.yaml'),
				'create',
				'--validate=false',
				'-f',
				file,
			);
			expect(r.code).not.toBe(0);
			expect(r.stderr.trim()).toBe(
				`Error from server (Forbidden): error when creating "${file}": ${PREFIX(job.metadata.name)}${rule}`,
			);
			counts.kubectlDenials++;
		},
	);

	test('kubectl apply of a generated Job is admitted', async () => {
		const job = generated();
		const file = join(standIn.dir, `${job.metadata.name}.yaml`);
		writeFileSync(file, stringify(job));
		const r = await kubectl(
			standIn.kubeconfigFile(n8nToken, 'n8n.yaml'),
			'apply',
			'--validate=false',
			'-f',
			file,
		);
		expect(r).toMatchObject({ code: 0, stdout: `job.batch/${job.metadata.name} created\n` });
		counts.admitted++;
	});
});
