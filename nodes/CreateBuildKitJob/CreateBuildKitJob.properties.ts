import type { INodeProperties } from 'n8n-workflow';
import { BUILD_DEFAULTS } from '../../lib/k8s/build/defaults';

export const createBuildKitJobProperties: INodeProperties[] = [
	{
		displayName: 'Namespace',
		name: 'namespace',
		type: 'string',
		default: BUILD_DEFAULTS.namespace,
		placeholder: 'build-system',
		description:
			"Namespace to run the build Job in. Empty uses the credential's default namespace.",
	},
	{
		displayName: 'App Name',
		name: 'appName',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'webapp',
		description:
			'Short lower-case name of the app (DNS label). Labels the Job as webapp=&lt;name&gt; and starts its name.',
	},
	{
		displayName: 'Git Repository URL',
		name: 'gitRepositoryUrl',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'https://github.com/org/webapp.git',
		description:
			'Clone URL (https://, ssh:// or git@host:org/repo.git) without credentials; private repos use Git Secret Name',
	},
	{
		displayName: 'Git Revision',
		name: 'gitRevision',
		type: 'string',
		default: BUILD_DEFAULTS.gitRevision,
		placeholder: 'main',
		description:
			'Branch, tag or full commit SHA to build. A full SHA is built exactly; a branch or tag is resolved when the Job starts.',
	},
	{
		displayName: 'Context Path',
		name: 'contextPath',
		type: 'string',
		default: '',
		placeholder: 'services/api',
		description:
			'Subdirectory of the repository used as build context (for monorepos). Empty means the repository root.',
	},
	{
		displayName: 'Dockerfile',
		name: 'dockerfile',
		type: 'string',
		default: BUILD_DEFAULTS.dockerfile,
		description: 'Path of the Dockerfile, relative to the context path',
	},
	{
		displayName: 'Image',
		name: 'image',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'registry.local:5000/webapp/app:1.2.3',
		description: 'Full image reference with tag to push, e.g. registry/repository:tag',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Active Deadline Seconds',
				name: 'activeDeadlineSeconds',
				type: 'number',
				default: BUILD_DEFAULTS.activeDeadlineSeconds,
				typeOptions: { minValue: 0 },
				description:
					'Kubernetes stops the build after this many seconds (reason DeadlineExceeded). 0 means no deadline.',
			},
			{
				displayName: 'Additional Tags',
				name: 'additionalTags',
				type: 'string',
				default: '',
				placeholder: 'latest, ghcr.io/org/webapp:1.2.3',
				description:
					'Comma-separated extra tags to push the same image to: a bare tag means the same repository, or give a full reference',
			},
			{
				displayName: 'Allow BUILDKIT_* Build Arguments',
				name: 'allowBuildkitBuildArgs',
				type: 'boolean',
				default: false,
				description:
					'Whether build arguments named BUILDKIT_* are passed. They configure BuildKit itself (BUILDKIT_SYNTAX runs any image as the Dockerfile frontend), so they are refused unless this is on.',
			},
			{
				displayName: 'Allow Plain HTTP Git',
				name: 'allowPlainHttpGit',
				type: 'boolean',
				default: false,
				description:
					'Whether an http:// git URL is accepted (e.g. an in-cluster Gitea). Code and tokens travel unencrypted.',
			},
			{
				displayName: 'Attestations',
				name: 'attestations',
				type: 'multiOptions',
				default: [...BUILD_DEFAULTS.attestations],
				options: [
					{
						name: 'SBOM',
						value: 'sbom',
						description: 'An SPDX software bill of materials (BuildKit attest:sbom)',
					},
					{
						name: 'Provenance',
						value: 'provenance',
						description: 'SLSA v1 provenance with mode=max, recording the git source and commit',
					},
				],
				description: 'Attestations BuildKit attaches to the pushed image index',
			},
			{
				displayName: 'Backoff Limit',
				name: 'backoffLimit',
				type: 'number',
				default: BUILD_DEFAULTS.backoffLimit,
				typeOptions: { minValue: 0, maxValue: 10 },
				description:
					'How many times Kubernetes retries a failed build pod. 0: a failed build fails the Job at once.',
			},
			{
				displayName: 'Build Arguments',
				name: 'buildArgs',
				type: 'fixedCollection',
				typeOptions: { multipleValues: true },
				default: {},
				placeholder: 'Add Build Argument',
				options: [
					{
						displayName: 'Argument',
						name: 'arg',
						values: [
							{
								displayName: 'Name',
								name: 'name',
								type: 'string',
								default: '',
								placeholder: 'NODE_VERSION',
								description: 'ARG name in the Dockerfile',
							},
							{
								displayName: 'Value',
								name: 'value',
								type: 'string',
								default: '',
								description: 'Value, passed to BuildKit as it is',
							},
						],
					},
				],
				description:
					'Dockerfile ARG values (build-arg:NAME=VALUE). Not for secrets: build args are recorded in the image history and provenance.',
			},
			{
				displayName: 'Builder Mode',
				name: 'builderMode',
				type: 'options',
				default: BUILD_DEFAULTS.builderMode,
				options: [
					{
						name: 'Rootless',
						value: 'rootless',
						description: 'BuildKit as uid 1000 with user namespaces (recommended)',
					},
					{
						name: 'Privileged',
						value: 'privileged',
						description: 'A privileged container running as root; only where rootless cannot work',
					},
				],
				description: 'How the BuildKit container runs',
			},
			{
				displayName: 'BuildKit Config Map',
				name: 'buildkitdConfigMap',
				type: 'string',
				default: '',
				placeholder: 'buildkitd-config',
				description:
					'ConfigMap in the namespace with key buildkitd.toml (registry mirrors, private CAs, plain-HTTP registries), mounted read-only into the build container. Other keys (e.g. a CA file) are mounted beside it under /etc/buildkitd-config/.',
			},
			{
				displayName: 'BuildKit Image',
				name: 'buildkitImage',
				type: 'string',
				default: '',
				placeholder: 'moby/buildkit:v0.32.2-rootless',
				description:
					'Override the pinned BuildKit image (use a -rootless image in rootless mode). Empty uses the pinned version for the builder mode.',
			},
			{
				displayName: 'Cache Mode',
				name: 'cacheMode',
				type: 'options',
				default: BUILD_DEFAULTS.cacheMode,
				options: [
					{ name: 'Max', value: 'max', description: 'Export the cache of every stage' },
					{
						name: 'Min',
						value: 'min',
						description: 'Export the cache of the final image layers only',
					},
					{
						name: 'Disabled',
						value: 'disabled',
						description: 'No registry cache import or export',
					},
				],
				description:
					'Registry build cache (type=registry) imported before and exported after the build',
			},
			{
				displayName: 'Cache Reference',
				name: 'cacheRef',
				type: 'string',
				default: '',
				placeholder: 'registry.local:5000/webapp/app:buildcache',
				description:
					'Where the build cache lives. Empty means &lt;image repository&gt;:buildcache.',
			},
			{
				displayName: 'CPU Limit',
				name: 'cpuLimit',
				type: 'string',
				default: '',
				placeholder: '2',
				description: 'CPU limit of the build container (Kubernetes quantity). Empty means none.',
			},
			{
				displayName: 'CPU Request',
				name: 'cpuRequest',
				type: 'string',
				default: '',
				placeholder: '500m',
				description: 'CPU request of the build container (Kubernetes quantity). Empty means none.',
			},
			{
				displayName: 'Deterministic Name',
				name: 'deterministicName',
				type: 'boolean',
				default: false,
				description:
					'Whether to derive the Job name from app, commit and build settings instead of a random suffix, so a repeated delivery finds the same Job (use with If Exists: Reuse). Needs a full commit SHA.',
			},
			{
				displayName: 'Dry Run',
				name: 'dryRun',
				type: 'boolean',
				default: false,
				description: 'Whether to only return the Job manifest, without creating anything',
			},
			{
				displayName: 'Git Image',
				name: 'gitImage',
				type: 'string',
				default: '',
				placeholder: 'moby/buildkit:v0.32.2-rootless',
				description:
					'Image of the git-clone init container (needs sh and git; runs as uid 1000). Empty reuses the pinned rootless BuildKit image.',
			},
			{
				displayName: 'Git Secret Name',
				name: 'gitSecretName',
				// eslint-disable-next-line n8n-nodes-base/node-param-type-options-password-missing -- the name of a Kubernetes Secret, not its value
				type: 'string',
				default: '',
				placeholder: 'git-credentials',
				description:
					'Secret in the namespace with key "token" (or "password", plus optional "username") for HTTPS, or "ssh-privatekey" and "known_hosts" for SSH',
			},
			{
				displayName: 'If Exists',
				name: 'ifExists',
				type: 'options',
				default: BUILD_DEFAULTS.ifExists,
				options: [
					{
						name: 'Fail',
						value: 'fail',
						description: 'Stop with an error naming the existing Job',
					},
					{
						name: 'Reuse',
						value: 'reuse',
						description: 'Return the existing Job as if it had just been created',
					},
				],
				description: 'What to do when a Job with the same name already exists',
			},
			{
				displayName: 'Insecure Registry',
				name: 'insecureRegistry',
				type: 'boolean',
				default: false,
				description:
					'Whether to push (and read the cache) over plain HTTP (registry.insecure=true)',
			},
			{
				displayName: 'Job Name',
				name: 'jobName',
				type: 'string',
				default: '',
				placeholder: 'webapp-release-42',
				description:
					'Exact Job name (DNS label, at most 63 characters). Empty generates &lt;app&gt;-&lt;revision&gt;-&lt;suffix&gt;.',
			},
			{
				displayName: 'Labels',
				name: 'labels',
				type: 'fixedCollection',
				typeOptions: { multipleValues: true },
				default: {},
				placeholder: 'Add Label',
				options: [
					{
						displayName: 'Label',
						name: 'label',
						values: [
							{
								displayName: 'Name',
								name: 'name',
								type: 'string',
								default: '',
								placeholder: 'team',
							},
							{ displayName: 'Value', name: 'value', type: 'string', default: '' },
						],
					},
				],
				description: 'Extra labels on the Job and its pod',
			},
			{
				displayName: 'Memory Limit',
				name: 'memoryLimit',
				type: 'string',
				default: BUILD_DEFAULTS.memoryLimit,
				description:
					'Memory limit of the build (Kubernetes quantity); a build above it is OOMKilled',
			},
			{
				displayName: 'Memory Request',
				name: 'memoryRequest',
				type: 'string',
				default: BUILD_DEFAULTS.memoryRequest,
				description:
					'Memory request of the build (Kubernetes quantity); counted against the namespace quota',
			},
			{
				displayName: 'Platforms',
				name: 'platforms',
				type: 'string',
				default: '',
				placeholder: 'linux/amd64, linux/arm64',
				description:
					'Comma-separated target platforms (os/arch[/variant]) for a multi-platform image. Empty builds for the node the Job runs on.',
			},
			{
				displayName: 'Registry Secret Name',
				name: 'registrySecretName',
				// eslint-disable-next-line n8n-nodes-base/node-param-type-options-password-missing -- the name of a Kubernetes Secret, not its value
				type: 'string',
				default: BUILD_DEFAULTS.registrySecretName,
				description:
					'Name of a kubernetes.io/dockerconfigjson Secret with the push credentials. Empty pushes anonymously.',
			},
			{
				displayName: 'Reproducible Image',
				name: 'reproducible',
				type: 'boolean',
				default: false,
				description:
					'Whether to build with SOURCE_DATE_EPOCH set to the commit time and layer file times rewritten to it, so two builds of one commit give the same image manifest digest (the provenance, with its build times, still differs)',
			},
			{
				displayName: 'SBOM Generator',
				name: 'sbomGenerator',
				type: 'string',
				default: '',
				placeholder: 'registry.local:5000/mirror/buildkit-syft-scanner:stable-1',
				description:
					'Scanner image BuildKit runs for the SBOM attestation. Empty uses docker/buildkit-syft-scanner:stable-1 from Docker Hub; air-gapped clusters mirror it and name the copy here.',
			},
			{
				displayName: 'Service Account Name',
				name: 'serviceAccountName',
				type: 'string',
				default: BUILD_DEFAULTS.serviceAccountName,
				description: 'Service account the build pod runs as (it gets no API token)',
			},
			{
				displayName: 'Target',
				name: 'target',
				type: 'string',
				default: '',
				placeholder: 'runtime',
				description:
					'Dockerfile stage to build (FROM … AS &lt;target&gt;). Empty builds the last stage.',
			},
			{
				displayName: 'Trust SSH Host Key On First Use',
				name: 'sshTrustOnFirstUse',
				type: 'boolean',
				default: false,
				description:
					"Whether an SSH git server's host key is accepted unseen when the git Secret has no known_hosts. Off: such a build fails, asking for known_hosts.",
			},
			{
				displayName: 'TTL Seconds After Finished',
				name: 'ttlSecondsAfterFinished',
				type: 'number',
				default: BUILD_DEFAULTS.ttlSecondsAfterFinished,
				typeOptions: { minValue: 0 },
				description: 'Kubernetes deletes the finished Job and its pods after this many seconds',
			},
		],
	},
];
