import type {
	V1Container,
	V1EnvVar,
	V1Job,
	V1ResourceRequirements,
	V1SecurityContext,
	V1Volume,
	V1VolumeMount,
} from '@kubernetes/client-node';
import type { BuildPlan } from './inputs';
import { buildctlArgs, PATHS } from './buildctlArgs';
import { BUILD_SCRIPT, GIT_CLONE_SCRIPT } from './scripts';
import { gitServerOf } from './gitServer';
import { DEFAULT_SBOM_GENERATOR } from './sbomGenerator';

/**
 * The build Job as a typed V1Job (the client's serializer silently drops misspelled fields, so the type is
 * what catches them). Shape: init container `git-clone` fetches the revision into an emptyDir; container
 * `buildkit` runs rootless BuildKit daemonless and pushes. Names and annotations below are the contract
 * with Wait for Job and the test stack's Job simulator (see docs/nodes/create-buildkit-job.md).
 */

export const CONTAINER_NAMES = { gitClone: 'git-clone', buildkit: 'buildkit' } as const;

export const ANNOTATIONS = {
	images: 'buildkit.n8n.io/images',
	gitUrl: 'buildkit.n8n.io/git-url',
	gitRevision: 'buildkit.n8n.io/git-revision',
	attestations: 'buildkit.n8n.io/attestations',
	contextPath: 'buildkit.n8n.io/context-path',
	dockerfile: 'buildkit.n8n.io/dockerfile',
	/** The SBOM scanner image BuildKit pulls (set when SBOM is on), so Wait for Job can name it when the pull fails. */
	sbomGenerator: 'buildkit.n8n.io/sbom-generator',
} as const;

export const LABELS = {
	app: 'webapp',
	gitCommit: 'buildkit.n8n.io/git-commit',
} as const;

export const MANAGED_BY = 'n8n-nodes-buildkit';
const BUILD_UID = 1000;

const VOLUMES = {
	workspace: 'workspace',
	state: 'buildkit-state',
	gitTmp: 'git-tmp',
	dockerConfig: 'docker-config',
	gitSecret: 'git-secret',
	buildkitdConfig: 'buildkitd-config',
} as const;

export function jobLabels(plan: BuildPlan): Record<string, string> {
	const labels: Record<string, string> = {
		...plan.labels,
		[LABELS.app]: plan.appName,
		'app.kubernetes.io/name': 'buildkit',
		'app.kubernetes.io/component': 'image-build',
		'app.kubernetes.io/part-of': plan.appName,
		'app.kubernetes.io/managed-by': MANAGED_BY,
	};
	// A 40-hex commit fits a label value (63 max), so Jobs can be selected by commit; SHA-256 ids do not.
	if (plan.revisionIsCommit && plan.gitRevision.length <= 63)
		labels[LABELS.gitCommit] = plan.gitRevision;
	return labels;
}

export function jobAnnotations(plan: BuildPlan): Record<string, string> {
	return {
		[ANNOTATIONS.images]: plan.images.map((i) => i.text).join(','),
		[ANNOTATIONS.gitUrl]: plan.git.url,
		[ANNOTATIONS.gitRevision]: plan.gitRevision,
		[ANNOTATIONS.attestations]: plan.attestations.join(','),
		[ANNOTATIONS.contextPath]: plan.contextPath,
		[ANNOTATIONS.dockerfile]: plan.dockerfileDir
			? `${plan.dockerfileDir}/${plan.dockerfileName}`
			: plan.dockerfileName,
		...(plan.attestations.includes('sbom')
			? { [ANNOTATIONS.sbomGenerator]: plan.sbomGenerator ?? DEFAULT_SBOM_GENERATOR }
			: {}),
	};
}

function resources(plan: BuildPlan): V1ResourceRequirements {
	const { memoryLimit, memoryRequest, cpuLimit, cpuRequest } = plan.resources;
	// requests.memory is always set: the build-quota ResourceQuota rejects pods without it.
	return {
		limits: { memory: memoryLimit.text, ...(cpuLimit ? { cpu: cpuLimit.text } : {}) },
		requests: { memory: memoryRequest.text, ...(cpuRequest ? { cpu: cpuRequest.text } : {}) },
	};
}

const env = (values: Record<string, string>): V1EnvVar[] =>
	Object.entries(values).map(([name, value]) => ({ name, value }));

function gitCloneContainer(plan: BuildPlan): V1Container {
	const mounts: V1VolumeMount[] = [
		{ name: VOLUMES.workspace, mountPath: PATHS.workspace },
		{ name: VOLUMES.gitTmp, mountPath: '/tmp' },
	];
	if (plan.gitSecretName)
		mounts.push({ name: VOLUMES.gitSecret, mountPath: PATHS.gitSecret, readOnly: true });
	const dockerfilePath = plan.dockerfileDir
		? `${plan.dockerfileDir}/${plan.dockerfileName}`
		: plan.dockerfileName;
	const server = gitServerOf(plan.git);
	return {
		name: CONTAINER_NAMES.gitClone,
		image: plan.gitImage,
		imagePullPolicy: 'IfNotPresent',
		command: ['/bin/sh', '-c', GIT_CLONE_SCRIPT, CONTAINER_NAMES.gitClone],
		env: env({
			GIT_URL: plan.git.url,
			GIT_URL_SCHEME: server.scheme,
			GIT_URL_HOST: server.host,
			GIT_REVISION: plan.gitRevision,
			CONTEXT_PATH: plan.contextPath || '.',
			DOCKERFILE_PATH: dockerfilePath,
			WORKSPACE: PATHS.workspace,
			TERMINATION_LOG: PATHS.terminationLog,
			// The image's own TMPDIR is on the (read-only) root filesystem; /tmp is an emptyDir.
			TMPDIR: '/tmp',
			GIT_TERMINAL_PROMPT: '0',
			// git refuses every other transport (ext::, file://, fd::) even if one slipped past validation.
			GIT_ALLOW_PROTOCOL: plan.git.kind === 'http' ? 'https:ssh:http' : 'https:ssh',
			...(plan.gitSecretName ? { GIT_SECRET_DIR: PATHS.gitSecret } : {}),
			...(plan.sshTrustOnFirstUse && server.scheme === 'ssh'
				? { SSH_TRUST_ON_FIRST_USE: 'true' }
				: {}),
		}),
		resources: resources(plan),
		securityContext: {
			runAsUser: BUILD_UID,
			runAsGroup: BUILD_UID,
			runAsNonRoot: true,
			allowPrivilegeEscalation: false,
			readOnlyRootFilesystem: true,
			capabilities: { drop: ['ALL'] },
			seccompProfile: { type: 'RuntimeDefault' },
		},
		volumeMounts: mounts,
		terminationMessagePath: PATHS.terminationLog,
		terminationMessagePolicy: 'File',
	};
}

function buildkitSecurityContext(plan: BuildPlan): V1SecurityContext {
	if (plan.builderMode === 'privileged') return { privileged: true };
	// What rootless BuildKit needs (docs/nodes/create-buildkit-job.md, "What the Job looks like"): user namespaces via newuidmap/newgidmap (setuid, hence
	// allowPrivilegeEscalation) and unshare/mount, which the default seccomp and AppArmor profiles block.
	return {
		runAsUser: BUILD_UID,
		runAsGroup: BUILD_UID,
		runAsNonRoot: true,
		allowPrivilegeEscalation: true,
		seccompProfile: { type: 'Unconfined' },
		appArmorProfile: { type: 'Unconfined' },
	};
}

function buildkitContainer(plan: BuildPlan): V1Container {
	const mounts: V1VolumeMount[] = [
		{ name: VOLUMES.workspace, mountPath: PATHS.workspace, readOnly: true },
		{
			name: VOLUMES.state,
			mountPath: plan.builderMode === 'rootless' ? PATHS.rootlessState : PATHS.privilegedState,
		},
	];
	if (plan.registrySecretName)
		mounts.push({ name: VOLUMES.dockerConfig, mountPath: PATHS.dockerConfig, readOnly: true });
	if (plan.buildkitdConfigMap)
		mounts.push({
			name: VOLUMES.buildkitdConfig,
			mountPath: PATHS.buildkitdConfig,
			readOnly: true,
		});
	return {
		name: CONTAINER_NAMES.buildkit,
		image: plan.buildkitImage,
		imagePullPolicy: 'IfNotPresent',
		command: ['/bin/sh', '-c', BUILD_SCRIPT, CONTAINER_NAMES.buildkit],
		args: buildctlArgs(plan),
		env: env({
			...(plan.builderMode === 'rootless'
				? { BUILDKITD_FLAGS: '--oci-worker-no-process-sandbox' }
				: {}),
			WORKSPACE: PATHS.workspace,
			METADATA_FILE: PATHS.metadataFile,
			TERMINATION_LOG: PATHS.terminationLog,
			PRIMARY_IMAGE: plan.images[0].text,
			...(plan.registrySecretName ? { DOCKER_CONFIG: PATHS.dockerConfig } : {}),
			...(plan.cache.mode !== 'disabled' && plan.cache.ref ? { CACHE_REF: plan.cache.ref } : {}),
			...(plan.reproducible ? { SOURCE_DATE_EPOCH_FROM_COMMIT: 'true' } : {}),
			...(plan.buildkitdConfigMap
				? {
						BUILDKITD_CONFIG: `${PATHS.buildkitdConfig}/buildkitd.toml`,
						BUILDKITD_CONFIG_MAP: plan.buildkitdConfigMap,
					}
				: {}),
		}),
		resources: resources(plan),
		securityContext: buildkitSecurityContext(plan),
		volumeMounts: mounts,
		terminationMessagePath: PATHS.terminationLog,
		terminationMessagePolicy: 'File',
	};
}

function volumes(plan: BuildPlan): V1Volume[] {
	const list: V1Volume[] = [
		{ name: VOLUMES.workspace, emptyDir: {} },
		// BuildKit state on an emptyDir: the image's VOLUME is nosuid/nodev on some hosts, which breaks rootless.
		{ name: VOLUMES.state, emptyDir: {} },
		{ name: VOLUMES.gitTmp, emptyDir: {} },
	];
	if (plan.registrySecretName) {
		list.push({
			name: VOLUMES.dockerConfig,
			// optional: a missing Secret means anonymous pushes, which fail fast with the registry's 401 in the
			// build log, instead of a pod stuck in ContainerCreating until the deadline.
			secret: {
				secretName: plan.registrySecretName,
				items: [{ key: '.dockerconfigjson', path: 'config.json' }],
				defaultMode: 0o440,
				optional: true,
			},
		});
	}
	if (plan.buildkitdConfigMap) {
		// The pod mounts it, so n8n's Role needs no ConfigMap rights; other keys (CA files) land beside
		// buildkitd.toml. optional: a missing ConfigMap fails the build step at once with a message naming it
		// (the script checks the file), instead of a pod stuck in ContainerCreating until the deadline.
		list.push({
			name: VOLUMES.buildkitdConfig,
			configMap: { name: plan.buildkitdConfigMap, defaultMode: 0o444, optional: true },
		});
	}
	if (plan.gitSecretName) {
		list.push({
			name: VOLUMES.gitSecret,
			secret: { secretName: plan.gitSecretName, defaultMode: 0o440, optional: false },
		});
	}
	return list;
}

/** The whole Job for a validated plan and a name (see jobName.ts). Pure: same input, same object. */
export function buildJobManifest(plan: BuildPlan, name: string): V1Job {
	const labels = jobLabels(plan);
	return {
		apiVersion: 'batch/v1',
		kind: 'Job',
		metadata: { name, namespace: plan.namespace, labels, annotations: jobAnnotations(plan) },
		spec: {
			backoffLimit: plan.backoffLimit,
			ttlSecondsAfterFinished: plan.ttlSecondsAfterFinished,
			...(plan.activeDeadlineSeconds ? { activeDeadlineSeconds: plan.activeDeadlineSeconds } : {}),
			template: {
				metadata: {
					labels,
					annotations: { 'kubectl.kubernetes.io/default-container': CONTAINER_NAMES.buildkit },
				},
				spec: {
					restartPolicy: 'Never',
					serviceAccountName: plan.serviceAccountName,
					automountServiceAccountToken: false,
					enableServiceLinks: false,
					// fsGroup makes the mounted Secrets (mode 0440) readable by uid 1000.
					securityContext: { fsGroup: BUILD_UID },
					initContainers: [gitCloneContainer(plan)],
					containers: [buildkitContainer(plan)],
					volumes: volumes(plan),
				},
			},
		},
	};
}
