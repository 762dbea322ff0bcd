import { InputError, quoteValue } from '../../errors';
import { BUILD_DEFAULTS } from './defaults';
import { isFullCommitSha, validateGitRevision, validateGitUrl, type GitSource } from './gitSource';
import {
	isImageTag,
	parseImageReference,
	parsePushReference,
	type ImageReference,
} from '../../imageReference';
import {
	parseQuantity,
	refuseBuildkitBuildArg,
	refuseReservedLabelPrefix,
	validateBuildArgName,
	validateBuildArgValue,
	validateDns1123Label,
	validateDns1123Subdomain,
	validateLabelKey,
	validateLabelValue,
	validatePlatform,
	validateRepoPath,
	validateTarget,
	type Quantity,
} from './kubernetesFields';

/** Pinned images. The git-clone step reuses the rootless BuildKit image, which ships git and openssh. */
export const BUILDKIT_VERSION = 'v0.32.2';
export const DEFAULT_ROOTLESS_IMAGE = `moby/buildkit:${BUILDKIT_VERSION}-rootless`;
export const DEFAULT_PRIVILEGED_IMAGE = `moby/buildkit:${BUILDKIT_VERSION}`;

export type BuilderMode = 'rootless' | 'privileged';
export type CacheMode = 'max' | 'min' | 'disabled';
export type Attestation = 'sbom' | 'provenance';

/** What the Create BuildKit Job node (or any caller) asks for: plain data, exactly the node's parameters. */
export interface BuildJobInput {
	namespace?: string;
	appName: string;
	gitRepositoryUrl: string;
	gitRevision?: string;
	contextPath?: string;
	dockerfile?: string;
	image: string;
	additionalTags?: string[];
	target?: string;
	buildArgs?: Array<{ name: string; value: string }>;
	/** Accept build args named BUILDKIT_* (they configure BuildKit's frontend, see refuseBuildkitBuildArg). */
	allowBuildkitBuildArgs?: boolean;
	platforms?: string[];
	cacheMode?: CacheMode;
	cacheRef?: string;
	attestations?: Attestation[];
	/** Scanner image for attest:sbom (BuildKit's default is docker/buildkit-syft-scanner from Docker Hub). */
	sbomGenerator?: string;
	builderMode?: BuilderMode;
	buildkitImage?: string;
	gitImage?: string;
	serviceAccountName?: string;
	registrySecretName?: string;
	gitSecretName?: string;
	/** A ConfigMap in the namespace with key buildkitd.toml (mirrors, CAs, plain-HTTP registries), mounted read-only. */
	buildkitdConfigMap?: string;
	/** Accept an SSH server's host key unseen when the git Secret has no known_hosts. */
	sshTrustOnFirstUse?: boolean;
	/** SOURCE_DATE_EPOCH = the commit time and rewritten layer times: one commit, one image manifest digest. */
	reproducible?: boolean;
	insecureRegistry?: boolean;
	allowPlainHttpGit?: boolean;
	memoryLimit?: string;
	memoryRequest?: string;
	cpuLimit?: string;
	cpuRequest?: string;
	ttlSecondsAfterFinished?: number;
	activeDeadlineSeconds?: number;
	backoffLimit?: number;
	labels?: Array<{ name: string; value: string }>;
	jobName?: string;
	deterministicName?: boolean;
}

/** The validated, defaulted build: everything the manifest builder needs, nothing it must re-check. */
export interface BuildPlan {
	namespace: string;
	appName: string;
	git: GitSource;
	gitRevision: string;
	revisionIsCommit: boolean;
	contextPath: string;
	dockerfileDir: string;
	dockerfileName: string;
	/** Primary first; every entry has a tag. */
	images: ImageReference[];
	target?: string;
	buildArgs: Array<{ name: string; value: string }>;
	platforms: string[];
	cache: { mode: CacheMode; ref?: string };
	attestations: Attestation[];
	sbomGenerator?: string;
	builderMode: BuilderMode;
	buildkitImage: string;
	gitImage: string;
	serviceAccountName: string;
	registrySecretName?: string;
	gitSecretName?: string;
	buildkitdConfigMap?: string;
	sshTrustOnFirstUse: boolean;
	reproducible: boolean;
	insecureRegistry: boolean;
	resources: {
		memoryLimit: Quantity;
		memoryRequest: Quantity;
		cpuLimit?: Quantity;
		cpuRequest?: Quantity;
	};
	ttlSecondsAfterFinished: number;
	activeDeadlineSeconds?: number;
	backoffLimit: number;
	labels: Record<string, string>;
	jobName?: string;
	deterministicName: boolean;
}

/** Labels the manifest sets itself; a user label may not replace them (selectors and the simulator rely on them). */
export const RESERVED_LABEL_KEYS = [
	'webapp',
	'app.kubernetes.io/name',
	'app.kubernetes.io/component',
	'app.kubernetes.io/managed-by',
	'app.kubernetes.io/part-of',
];

const blank = (v: string | undefined | null): boolean =>
	v === undefined || v === null || String(v).trim() === '';

function integerIn(
	value: number | undefined,
	fallback: number,
	field: string,
	min: number,
	max: number,
): number {
	if (value === undefined || value === null || (typeof value === 'string' && value === ''))
		return fallback;
	const n = Number(value);
	if (!Number.isInteger(n) || n < min || n > max) {
		throw new InputError(
			field,
			`${field} ${quoteValue(String(value))} must be a whole number from ${min} to ${max}.`,
		);
	}
	return n;
}

function optionalSecretName(value: string | undefined, field: string): string | undefined {
	return blank(value) ? undefined : validateDns1123Subdomain(String(value), field, 'Secret name');
}

function pushTargets(input: BuildJobInput): ImageReference[] {
	const primary = parsePushReference(input.image, 'image');
	const images = [primary];
	for (const entry of input.additionalTags ?? []) {
		if (blank(entry)) continue;
		// A bare tag ("latest") means the same repository; anything else is a full reference.
		const ref = isImageTag(entry)
			? parsePushReference(`${primary.repository}:${entry}`, 'options.additionalTags')
			: parsePushReference(entry, 'options.additionalTags');
		if (!images.some((i) => i.repository === ref.repository && i.tag === ref.tag)) images.push(ref);
	}
	return images;
}

function buildArgsOf(input: BuildJobInput): Array<{ name: string; value: string }> {
	const field = 'options.buildArgs';
	const seen = new Set<string>();
	const args: Array<{ name: string; value: string }> = [];
	for (const arg of input.buildArgs ?? []) {
		const name = refuseBuildkitBuildArg(
			validateBuildArgName(arg?.name, field),
			field,
			input.allowBuildkitBuildArgs === true,
		);
		if (seen.has(name))
			throw new InputError(field, `${field}: build argument ${name} is given twice: keep one.`);
		seen.add(name);
		args.push({ name, value: validateBuildArgValue(name, arg.value ?? '', field) });
	}
	return args;
}

function userLabels(input: BuildJobInput): Record<string, string> {
	const field = 'options.labels';
	const labels: Record<string, string> = {};
	for (const label of input.labels ?? []) {
		const key = refuseReservedLabelPrefix(validateLabelKey(label?.name, field), field);
		if (RESERVED_LABEL_KEYS.includes(key) || key.startsWith('buildkit.n8n.io/')) {
			throw new InputError(
				field,
				`${field}: label ${key} is set by the node itself: choose another key.`,
			);
		}
		labels[key] = validateLabelValue(label.value ?? '', field);
	}
	return labels;
}

function cacheOf(input: BuildJobInput, primary: ImageReference): BuildPlan['cache'] {
	const mode = input.cacheMode ?? BUILD_DEFAULTS.cacheMode;
	if (!['max', 'min', 'disabled'].includes(mode)) {
		throw new InputError(
			'options.cacheMode',
			`options.cacheMode ${quoteValue(String(mode))} must be max, min or disabled.`,
		);
	}
	if (mode === 'disabled') return { mode };
	const ref = blank(input.cacheRef)
		? `${primary.repository}:buildcache`
		: parsePushReference(String(input.cacheRef), 'options.cacheRef').text;
	return { mode, ref };
}

function attestationsOf(input: BuildJobInput): Attestation[] {
	const requested = input.attestations ?? [...BUILD_DEFAULTS.attestations];
	for (const a of requested) {
		if (a !== 'sbom' && a !== 'provenance') {
			throw new InputError(
				'options.attestations',
				`options.attestations ${quoteValue(String(a))} is unknown: choose sbom and/or provenance.`,
			);
		}
	}
	// Fixed order, so the annotation reads "sbom,provenance" however the user listed them.
	return (['sbom', 'provenance'] as Attestation[]).filter((a) => requested.includes(a));
}

/** Checks and defaults every parameter; throws InputError naming the first bad field. */
export function validateBuildJobInput(input: BuildJobInput): BuildPlan {
	const namespace = validateDns1123Label(
		blank(input.namespace) ? BUILD_DEFAULTS.namespace : String(input.namespace),
		'namespace',
		'namespace name',
	);
	const appName = validateDns1123Label(input.appName, 'appName', 'app name');
	const git = validateGitUrl(
		input.gitRepositoryUrl,
		'gitRepositoryUrl',
		input.allowPlainHttpGit === true,
	);
	const gitRevision = validateGitRevision(
		blank(input.gitRevision) ? BUILD_DEFAULTS.gitRevision : String(input.gitRevision),
		'gitRevision',
	);
	const contextPath = validateRepoPath(
		input.contextPath ?? '',
		'contextPath',
		'the build context directory',
	);
	const dockerfile = validateRepoPath(
		blank(input.dockerfile) ? BUILD_DEFAULTS.dockerfile : String(input.dockerfile),
		'dockerfile',
		'the Dockerfile path',
	);
	if (dockerfile === '')
		throw new InputError(
			'dockerfile',
			'dockerfile is empty: give the Dockerfile path relative to the context, e.g. "Dockerfile".',
		);
	const slash = dockerfile.lastIndexOf('/');

	const images = pushTargets(input);
	const target = blank(input.target)
		? undefined
		: validateTarget(String(input.target), 'options.target');
	const platforms = [
		...new Set(
			(input.platforms ?? [])
				.filter((p) => !blank(p))
				.map((p) => validatePlatform(p, 'options.platforms')),
		),
	];

	const builderMode = input.builderMode ?? BUILD_DEFAULTS.builderMode;
	if (builderMode !== 'rootless' && builderMode !== 'privileged') {
		throw new InputError(
			'options.builderMode',
			`options.builderMode ${quoteValue(String(builderMode))} must be rootless or privileged.`,
		);
	}
	const defaultImage =
		builderMode === 'rootless' ? DEFAULT_ROOTLESS_IMAGE : DEFAULT_PRIVILEGED_IMAGE;
	const buildkitImage = blank(input.buildkitImage)
		? defaultImage
		: parseImageReference(String(input.buildkitImage), 'options.buildkitImage').text;
	const gitImage = blank(input.gitImage)
		? DEFAULT_ROOTLESS_IMAGE
		: parseImageReference(String(input.gitImage), 'options.gitImage').text;

	const memoryLimit = parseQuantity(
		blank(input.memoryLimit) ? BUILD_DEFAULTS.memoryLimit : String(input.memoryLimit),
		'options.memoryLimit',
		'memory',
	);
	const memoryRequest = parseQuantity(
		blank(input.memoryRequest) ? BUILD_DEFAULTS.memoryRequest : String(input.memoryRequest),
		'options.memoryRequest',
		'memory',
	);
	if (memoryRequest.value > memoryLimit.value) {
		throw new InputError(
			'options.memoryRequest',
			`options.memoryRequest ${memoryRequest.text} is above options.memoryLimit ${memoryLimit.text}: lower the request or raise the limit.`,
		);
	}
	const cpuLimit = blank(input.cpuLimit)
		? undefined
		: parseQuantity(String(input.cpuLimit), 'options.cpuLimit', 'cpu');
	const cpuRequest = blank(input.cpuRequest)
		? undefined
		: parseQuantity(String(input.cpuRequest), 'options.cpuRequest', 'cpu');
	if (cpuLimit && cpuRequest && cpuRequest.value > cpuLimit.value) {
		throw new InputError(
			'options.cpuRequest',
			`options.cpuRequest ${cpuRequest.text} is above options.cpuLimit ${cpuLimit.text}: lower the request or raise the limit.`,
		);
	}

	const attestations = attestationsOf(input);
	const activeDeadlineSeconds = integerIn(
		input.activeDeadlineSeconds,
		BUILD_DEFAULTS.activeDeadlineSeconds,
		'options.activeDeadlineSeconds',
		0,
		7 * 24 * 3600,
	);
	const jobName = blank(input.jobName)
		? undefined
		: validateDns1123Label(String(input.jobName), 'options.jobName', 'Job name');
	const deterministicName = input.deterministicName === true;
	if (deterministicName && !jobName && !isFullCommitSha(gitRevision)) {
		throw new InputError(
			'options.deterministicName',
			`options.deterministicName needs gitRevision to be a full commit SHA (a branch such as ${quoteValue(gitRevision)} moves, so its name would repeat across commits): pass the commit, e.g. from the webhook's "commit".`,
		);
	}

	return {
		namespace,
		appName,
		git,
		gitRevision,
		revisionIsCommit: isFullCommitSha(gitRevision),
		contextPath,
		dockerfileDir: slash >= 0 ? dockerfile.slice(0, slash) : '',
		dockerfileName: slash >= 0 ? dockerfile.slice(slash + 1) : dockerfile,
		images,
		target,
		buildArgs: buildArgsOf(input),
		platforms,
		cache: cacheOf(input, images[0]),
		attestations,
		sbomGenerator:
			attestations.includes('sbom') && !blank(input.sbomGenerator)
				? parseImageReference(String(input.sbomGenerator), 'options.sbomGenerator').text
				: undefined,
		builderMode,
		buildkitImage,
		gitImage,
		serviceAccountName: validateDns1123Subdomain(
			blank(input.serviceAccountName)
				? BUILD_DEFAULTS.serviceAccountName
				: String(input.serviceAccountName),
			'options.serviceAccountName',
			'service account name',
		),
		// An explicitly empty registry secret means anonymous pushes (e.g. a local registry).
		registrySecretName:
			input.registrySecretName === undefined
				? BUILD_DEFAULTS.registrySecretName
				: optionalSecretName(input.registrySecretName, 'options.registrySecretName'),
		gitSecretName: optionalSecretName(input.gitSecretName, 'options.gitSecretName'),
		buildkitdConfigMap: blank(input.buildkitdConfigMap)
			? undefined
			: validateDns1123Subdomain(
					String(input.buildkitdConfigMap),
					'options.buildkitdConfigMap',
					'ConfigMap name',
				),
		sshTrustOnFirstUse: input.sshTrustOnFirstUse === true,
		reproducible: input.reproducible === true,
		insecureRegistry: input.insecureRegistry === true,
		resources: { memoryLimit, memoryRequest, cpuLimit, cpuRequest },
		ttlSecondsAfterFinished: integerIn(
			input.ttlSecondsAfterFinished,
			BUILD_DEFAULTS.ttlSecondsAfterFinished,
			'options.ttlSecondsAfterFinished',
			0,
			30 * 24 * 3600,
		),
		activeDeadlineSeconds: activeDeadlineSeconds === 0 ? undefined : activeDeadlineSeconds,
		backoffLimit: integerIn(
			input.backoffLimit,
			BUILD_DEFAULTS.backoffLimit,
			'options.backoffLimit',
			0,
			10,
		),
		labels: userLabels(input),
		jobName,
		deterministicName,
	};
}
