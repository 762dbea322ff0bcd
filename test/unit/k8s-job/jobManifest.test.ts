import { Job } from 'kubernetes-models/batch/v1/Job';
import type { V1Job } from '@kubernetes/client-node';
import {
	DEFAULT_PRIVILEGED_IMAGE,
	DEFAULT_ROOTLESS_IMAGE,
	validateBuildJobInput,
	type BuildJobInput,
} from '../../../lib/k8s/build/inputs';
import { ANNOTATIONS, buildJobManifest } from '../../../lib/k8s/build/manifest';
import { jobNameFor } from '../../../lib/k8s/build/jobName';

const SHA = '0123456789abcdef0123456789abcdef01234567';

const base: BuildJobInput = {
	appName: 'webapp',
	gitRepositoryUrl: 'https://git.example.com/org/webapp.git',
	gitRevision: SHA,
	image: 'registry.local:5000/webapp/app:1.2.3',
};

function manifest(input: Partial<BuildJobInput> = {}, name = 'webapp-0123456-abcde'): V1Job {
	return buildJobManifest(validateBuildJobInput({ ...base, ...input }), name);
}

const pod = (job: V1Job) => job.spec!.template.spec!;
const gitClone = (job: V1Job) => pod(job).initContainers![0];
const buildkit = (job: V1Job) => pod(job).containers[0];
const envOf = (c: { env?: Array<{ name: string; value?: string }> }) =>
	Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
/** The value after each occurrence of `flag` in an argv. */
const flagValues = (args: string[], flag: string) =>
	args.flatMap((a, i) => (a === flag ? [args[i + 1]] : []));

/** Every shape of manifest the node can produce: each must validate against the batch/v1 schema. */
const VARIANTS: Record<string, Partial<BuildJobInput>> = {
	defaults: {},
	branch: { gitRevision: 'main' },
	privileged: { builderMode: 'privileged' },
	everything: {
		contextPath: 'services/api',
		dockerfile: 'docker/Dockerfile.prod',
		additionalTags: ['latest', 'ghcr.io/org/webapp:1.2.3'],
		target: 'runtime',
		buildArgs: [
			{ name: 'NODE_VERSION', value: '24' },
			{ name: 'GREETING', value: 'hello world' },
		],
		platforms: ['linux/amd64', 'linux/arm64', 'linux/arm/v7'],
		cacheMode: 'min',
		cacheRef: 'registry.local:5000/cache/webapp:main',
		attestations: ['provenance'],
		buildkitImage: 'moby/buildkit:v0.32.1-rootless',
		gitImage: 'alpine/git:v2.47.2',
		serviceAccountName: 'builder',
		registrySecretName: 'ghcr-push',
		gitSecretName: 'git-deploy-key',
		buildkitdConfigMap: 'buildkitd-config',
		insecureRegistry: true,
		memoryLimit: '4Gi',
		memoryRequest: '3Gi',
		cpuLimit: '2',
		cpuRequest: '500m',
		ttlSecondsAfterFinished: 60,
		activeDeadlineSeconds: 0,
		backoffLimit: 2,
		labels: [{ name: 'team', value: 'web' }],
		jobName: 'webapp-release',
	},
	noCacheNoAttestationsAnonymous: {
		cacheMode: 'disabled',
		attestations: [],
		registrySecretName: '',
	},
	plainHttpGit: {
		gitRepositoryUrl: 'http://gitea.gitea.svc:3000/org/webapp.git',
		allowPlainHttpGit: true,
	},
	sshGit: { gitRepositoryUrl: 'git@github.com:org/webapp.git', gitSecretName: 'github-ssh' },
	deterministic: { deterministicName: true },
};

describe('the Job manifest', () => {
	test('matches the pinned snapshot (defaults)', () => {
		expect(manifest()).toMatchSnapshot();
	});

	test.each(Object.entries(VARIANTS))(
		'variant %s validates against the Kubernetes batch/v1 Job schema',
		(_, input) => {
			const plan = validateBuildJobInput({ ...base, ...input });
			const job = buildJobManifest(
				plan,
				jobNameFor(plan, () => 'abcde'),
			);
			expect(() =>
				new Job(job as unknown as ConstructorParameters<typeof Job>[0]).validate(),
			).not.toThrow();
		},
	);

	test('the schema validator is not a rubber stamp: a broken Job fails it', () => {
		const job = manifest() as unknown as Record<string, any>;
		job.spec.backoffLimit = 'zero';
		job.spec.template.spec.restartPolicy = 'Sometimes';
		delete job.spec.template.spec.initContainers[0].name;
		job.spec.template.spec.containers[0].securityContext.seccompProfile.type = 'Unconfinedd';
		const validate = () => new Job(job as ConstructorParameters<typeof Job>[0]).validate();
		expect(validate).toThrow(/backoffLimit/);
		expect(validate).toThrow(/initContainers\/0 must have required property name/);
		expect(validate).toThrow(/seccompProfile\/type/);
	});

	test('rootless by default: uid 1000, Unconfined seccomp and AppArmor, no process sandbox, state on an emptyDir', () => {
		const job = manifest();
		const c = buildkit(job);
		expect(c.image).toBe(DEFAULT_ROOTLESS_IMAGE);
		expect(c.image).toMatch(/^moby\/buildkit:v\d+\.\d+\.\d+-rootless$/);
		expect(c.securityContext).toMatchObject({
			runAsUser: 1000,
			runAsGroup: 1000,
			runAsNonRoot: true,
			seccompProfile: { type: 'Unconfined' },
			appArmorProfile: { type: 'Unconfined' },
		});
		expect(c.securityContext?.privileged).toBeUndefined();
		expect(envOf(c).BUILDKITD_FLAGS).toBe('--oci-worker-no-process-sandbox');
		expect(c.command?.slice(0, 2)).toEqual(['/bin/sh', '-c']);
		expect(c.command?.[2]).toContain('buildctl-daemonless.sh "$@"');
		const state = c.volumeMounts!.find((m) => m.mountPath === '/home/user/.local/share/buildkit')!;
		expect(pod(job).volumes!.find((v) => v.name === state.name)?.emptyDir).toEqual({});
	});

	test('privileged is an explicit opt-in with the non-rootless image', () => {
		const c = buildkit(manifest({ builderMode: 'privileged' }));
		expect(c.image).toBe(DEFAULT_PRIVILEGED_IMAGE);
		expect(c.securityContext).toEqual({ privileged: true });
		expect(envOf(c).BUILDKITD_FLAGS).toBeUndefined();
		expect(c.volumeMounts!.some((m) => m.mountPath === '/var/lib/buildkit')).toBe(true);
	});

	test('Job spec: backoffLimit 0, ttl 600, deadline, Never restart, no API token in the pod', () => {
		const job = manifest();
		expect(job.spec).toMatchObject({
			backoffLimit: 0,
			ttlSecondsAfterFinished: 600,
			activeDeadlineSeconds: 3600,
		});
		expect(pod(job)).toMatchObject({
			restartPolicy: 'Never',
			serviceAccountName: 'buildkit-sa',
			automountServiceAccountToken: false,
		});
		expect(manifest({ activeDeadlineSeconds: 0 }).spec!.activeDeadlineSeconds).toBeUndefined();
	});

	test('labels and annotations follow the contract with Wait for Job and the simulator', () => {
		const job = manifest({ additionalTags: ['latest'] });
		expect(job.metadata!.labels).toMatchObject({
			webapp: 'webapp',
			'app.kubernetes.io/name': 'buildkit',
			'app.kubernetes.io/component': 'image-build',
			'app.kubernetes.io/part-of': 'webapp',
			'app.kubernetes.io/managed-by': 'n8n-nodes-buildkit',
			'buildkit.n8n.io/git-commit': SHA,
		});
		expect(job.spec!.template.metadata!.labels).toEqual(job.metadata!.labels);
		expect(job.metadata!.annotations).toMatchObject({
			[ANNOTATIONS.images]:
				'registry.local:5000/webapp/app:1.2.3,registry.local:5000/webapp/app:latest',
			[ANNOTATIONS.gitUrl]: 'https://git.example.com/org/webapp.git',
			[ANNOTATIONS.gitRevision]: SHA,
			[ANNOTATIONS.attestations]: 'sbom,provenance',
		});
		expect(manifest({ attestations: [] }).metadata!.annotations![ANNOTATIONS.attestations]).toBe(
			'',
		);
		expect(gitClone(job).name).toBe('git-clone');
		expect(buildkit(job).name).toBe('buildkit');
		expect(
			manifest({ gitRevision: 'main' }).metadata!.labels!['buildkit.n8n.io/git-commit'],
		).toBeUndefined();
	});

	test('buildctl args: context, Dockerfile, target, platforms, build args, attestations, push, cache', () => {
		const args = buildkit(
			manifest({
				contextPath: 'services/api',
				dockerfile: 'docker/Dockerfile.prod',
				target: 'runtime',
				platforms: ['linux/amd64', 'linux/arm64'],
				buildArgs: [{ name: 'A', value: '1' }],
				additionalTags: ['latest'],
			}),
		).args!;
		expect(args.slice(0, 3)).toEqual(['build', '--progress=plain', '--frontend=dockerfile.v0']);
		expect(flagValues(args, '--local')).toEqual([
			'context=/workspace/src/services/api',
			'dockerfile=/workspace/src/services/api/docker',
		]);
		expect(flagValues(args, '--opt')).toEqual([
			'filename=Dockerfile.prod',
			'target=runtime',
			'platform=linux/amd64,linux/arm64',
			'build-arg:A=1',
			'attest:sbom=',
			'attest:provenance=mode=max,version=v1',
			'vcs:source=https://git.example.com/org/webapp.git',
			'label:org.opencontainers.image.source=https://git.example.com/org/webapp.git',
		]);
		expect(flagValues(args, '--output')).toEqual([
			'type=image,"name=registry.local:5000/webapp/app:1.2.3,registry.local:5000/webapp/app:latest",push=true',
		]);
		expect(flagValues(args, '--import-cache')).toEqual([
			'type=registry,ref=registry.local:5000/webapp/app:buildcache',
		]);
		expect(flagValues(args, '--export-cache')).toEqual([
			'type=registry,ref=registry.local:5000/webapp/app:buildcache,mode=max,ignore-error=true',
		]);
		expect(envOf(buildkit(manifest())).CACHE_REF).toBe('registry.local:5000/webapp/app:buildcache');
		expect(envOf(buildkit(manifest({ cacheMode: 'disabled' }))).CACHE_REF).toBeUndefined();
	});

	test('SBOM generator: the BuildKit default unless set, named in an annotation for Wait for Job; ignored with SBOM off', () => {
		const plain = manifest();
		expect(flagValues(buildkit(plain).args!, '--opt')).toContain('attest:sbom=');
		expect(plain.metadata!.annotations!['buildkit.n8n.io/sbom-generator']).toBe(
			'docker/buildkit-syft-scanner:stable-1',
		);
		const mirrored = manifest({
			sbomGenerator: 'registry.local:5000/mirror/buildkit-syft-scanner:stable-1',
		});
		expect(flagValues(buildkit(mirrored).args!, '--opt')).toContain(
			'attest:sbom=generator=registry.local:5000/mirror/buildkit-syft-scanner:stable-1',
		);
		expect(mirrored.metadata!.annotations!['buildkit.n8n.io/sbom-generator']).toBe(
			'registry.local:5000/mirror/buildkit-syft-scanner:stable-1',
		);
		const off = manifest({
			attestations: ['provenance'],
			sbomGenerator: 'registry.local:5000/mirror/scanner:1',
		});
		expect(
			flagValues(buildkit(off).args!, '--opt').filter((o) => o.startsWith('attest:sbom')),
		).toEqual([]);
		expect(off.metadata!.annotations!['buildkit.n8n.io/sbom-generator']).toBeUndefined();
	});

	test('buildkitd.toml from a ConfigMap: mounted read-only into the build container only, its path in BUILDKITD_CONFIG', () => {
		const job = manifest({ buildkitdConfigMap: 'buildkitd-config' });
		const c = buildkit(job);
		expect(envOf(c)).toMatchObject({
			BUILDKITD_CONFIG: '/etc/buildkitd-config/buildkitd.toml',
			BUILDKITD_CONFIG_MAP: 'buildkitd-config',
		});
		const mount = c.volumeMounts!.find((m) => m.mountPath === '/etc/buildkitd-config')!;
		expect(mount.readOnly).toBe(true);
		expect(pod(job).volumes!.find((v) => v.name === mount.name)!.configMap).toMatchObject({
			name: 'buildkitd-config',
		});
		expect(pod(job).initContainers![0].volumeMounts!.map((m) => m.name)).not.toContain(mount.name);
		expect(envOf(buildkit(manifest())).BUILDKITD_CONFIG).toBeUndefined();
	});

	test('attestations can be switched off one by one', () => {
		expect(flagValues(buildkit(manifest({ attestations: ['sbom'] })).args!, '--opt')).not.toContain(
			'attest:provenance=mode=max,version=v1',
		);
		const none = flagValues(buildkit(manifest({ attestations: [] })).args!, '--opt');
		expect(none.filter((o) => o.startsWith('attest:'))).toEqual([]);
	});

	test('insecure registries mark push and cache; a disabled cache has no cache flags', () => {
		const args = buildkit(manifest({ insecureRegistry: true })).args!;
		expect(flagValues(args, '--output')[0]).toMatch(/,registry\.insecure=true$/);
		expect(flagValues(args, '--import-cache')[0]).toMatch(/,registry\.insecure=true$/);
		expect(flagValues(args, '--export-cache')[0]).toMatch(/,registry\.insecure=true$/);
		const off = buildkit(manifest({ cacheMode: 'disabled' })).args!;
		expect(off).not.toContain('--import-cache');
		expect(off).not.toContain('--export-cache');
	});

	test('registry credentials: the dockerconfigjson Secret is mounted as config.json and DOCKER_CONFIG points at it', () => {
		const job = manifest();
		const c = buildkit(job);
		const mount = c.volumeMounts!.find((m) => m.mountPath === envOf(c).DOCKER_CONFIG)!;
		expect(mount.readOnly).toBe(true);
		const volume = pod(job).volumes!.find((v) => v.name === mount.name)!;
		expect(volume.secret).toMatchObject({
			secretName: 'registry-credentials',
			items: [{ key: '.dockerconfigjson', path: 'config.json' }],
		});
		const anonymous = buildkit(manifest({ registrySecretName: '' }));
		expect(envOf(anonymous).DOCKER_CONFIG).toBeUndefined();
	});

	test('a private git repo: the Secret is mounted as files, never copied into the spec', () => {
		const job = manifest({ gitSecretName: 'git-token' });
		const c = gitClone(job);
		expect(envOf(c).GIT_SECRET_DIR).toBe('/etc/git-secret');
		expect(c.volumeMounts).toContainEqual({
			name: 'git-secret',
			mountPath: '/etc/git-secret',
			readOnly: true,
		});
		expect(pod(job).volumes).toContainEqual({
			name: 'git-secret',
			secret: { secretName: 'git-token', defaultMode: 0o440, optional: false },
		});
		expect(JSON.stringify(job)).not.toMatch(/secretKeyRef|valueFrom/);
		expect(buildkit(job).volumeMounts!.some((m) => m.name === 'git-secret')).toBe(false);
	});

	test('git-clone gets every user value as an env var, is non-root and drops every capability', () => {
		const c = gitClone(
			manifest({ gitRevision: 'feature/x', contextPath: 'svc', dockerfile: 'build/Dockerfile' }),
		);
		expect(envOf(c)).toMatchObject({
			GIT_URL: 'https://git.example.com/org/webapp.git',
			GIT_REVISION: 'feature/x',
			CONTEXT_PATH: 'svc',
			DOCKERFILE_PATH: 'build/Dockerfile',
			GIT_ALLOW_PROTOCOL: 'https:ssh',
		});
		expect(c.args).toBeUndefined();
		expect(c.command).toHaveLength(4);
		expect(c.command![2]).not.toContain('feature/x');
		expect(c.securityContext).toMatchObject({
			runAsNonRoot: true,
			allowPrivilegeEscalation: false,
			capabilities: { drop: ['ALL'] },
		});
	});

	test('resources: requests.memory always set (the quota needs it), limit 2Gi by default, on both containers', () => {
		const job = manifest();
		for (const c of [gitClone(job), buildkit(job)]) {
			expect(c.resources).toEqual({ limits: { memory: '2Gi' }, requests: { memory: '1Gi' } });
		}
		expect(buildkit(manifest({ cpuLimit: '2', cpuRequest: '250m' })).resources).toEqual({
			limits: { memory: '2Gi', cpu: '2' },
			requests: { memory: '1Gi', cpu: '250m' },
		});
	});

	test('the digest goes to the termination message: File policy, and the script copies it from the metadata file', () => {
		const c = buildkit(manifest());
		expect(c.terminationMessagePolicy).toBe('File');
		expect(c.terminationMessagePath).toBe('/dev/termination-log');
		expect(c.command![2]).toContain('--metadata-file "$METADATA_FILE"');
		expect(envOf(c).METADATA_FILE).toMatch(/^\/tmp\//);
		expect(gitClone(manifest()).terminationMessagePolicy).toBe('File');
	});

	test('the same plan and name always give the same manifest', () => {
		expect(manifest()).toEqual(manifest());
	});
});
