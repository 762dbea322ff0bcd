import type { INodeProperties } from 'n8n-workflow';
import { ROLLOUT_DEFAULTS } from '../../lib/k8s/rollout/defaults';

export const waitForRolloutProperties: INodeProperties[] = [
	{
		displayName: 'Commit',
		name: 'commit',
		type: 'string',
		default: '={{ $json.commit }}',
		placeholder: '3f2c9a1…',
		description:
			'The GitOps commit that must be applied, e.g. the commit output of Bump Git Manifest',
	},
	{
		displayName: 'Source',
		name: 'source',
		type: 'options',
		default: ROLLOUT_DEFAULTS.source,
		options: [
			{
				name: 'Flux Kustomization',
				value: 'fluxKustomization',
				description: 'Wait for status.lastAppliedRevision to be the commit and Ready=True',
			},
			{
				name: 'Flux HelmRelease',
				value: 'fluxHelmRelease',
				description:
					'Wait for the Kustomization that applies the HelmRelease, then for helm-controller to release it (Ready=True)',
			},
			{
				name: 'Argo CD Application',
				value: 'argoApplication',
				description: 'Wait for sync.revision to be the commit, Synced and Healthy',
			},
			{ name: 'None', value: 'none', description: 'Only wait for the workloads' },
		],
		description: 'The GitOps object that applies the repository',
	},
	{
		displayName: 'Source Namespace',
		name: 'sourceNamespace',
		type: 'string',
		default: ROLLOUT_DEFAULTS.sourceNamespace,
		displayOptions: { hide: { source: ['none'] } },
		description:
			'Namespace of the Kustomization (usually flux-system) or Application (usually argocd); for a HelmRelease, of the Kustomization that applies it',
	},
	{
		displayName: 'Source Name',
		name: 'sourceName',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'apps',
		displayOptions: { hide: { source: ['none'] } },
		description:
			'Name of the Kustomization or Application; for a HelmRelease, of the Kustomization that applies it',
	},
	{
		displayName: 'HelmRelease Namespace',
		name: 'helmReleaseNamespace',
		type: 'string',
		default: ROLLOUT_DEFAULTS.helmReleaseNamespace,
		displayOptions: { show: { source: ['fluxHelmRelease'] } },
		description: 'Namespace of the HelmRelease object',
	},
	{
		displayName: 'HelmRelease Name',
		name: 'helmReleaseName',
		type: 'string',
		default: '',
		// Not `required`: a workflow that picks its source by expression (build-on-push) would then fail n8n's
		// publish check for a field it never uses. Execute refuses an empty name for this source, naming it.
		placeholder: 'webapp',
		displayOptions: { show: { source: ['fluxHelmRelease'] } },
		description: 'Name of the HelmRelease object',
	},
	{
		displayName: 'Workloads',
		name: 'workloads',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		default: {},
		placeholder: 'Add Workload',
		options: [
			{
				displayName: 'Workload',
				name: 'workload',
				values: [
					{
						displayName: 'Image',
						name: 'image',
						type: 'string',
						default: '',
						placeholder: 'registry.local:5000/webapp/app:main-3f2c9a1',
						description:
							'The image it must run (with or without @digest); empty: any image, once rolled out',
					},
					{
						displayName: 'Kind',
						name: 'kind',
						type: 'options',
						default: ROLLOUT_DEFAULTS.kind,
						options: [
							{ name: 'Deployment', value: 'Deployment' },
							{ name: 'StatefulSet', value: 'StatefulSet' },
							{ name: 'DaemonSet', value: 'DaemonSet' },
						],
					},
					{
						displayName: 'Label Selector',
						name: 'labelSelector',
						type: 'string',
						default: '',
						placeholder: 'app.kubernetes.io/part-of=shop',
						description: 'All workloads it selects must roll out',
					},
					{
						displayName: 'Name',
						name: 'name',
						type: 'string',
						default: '',
						placeholder: 'webapp',
						description: 'Name of the workload; leave empty to use the label selector',
					},
					{
						displayName: 'Namespace',
						name: 'namespace',
						type: 'string',
						default: '',
						placeholder: 'prod',
					},
				],
			},
		],
		description:
			'Workloads that must run the new image: their pods are diagnosed when they crash, cannot pull or stay unready',
	},
	{
		displayName: 'Timeout Seconds',
		name: 'timeoutSeconds',
		type: 'number',
		default: ROLLOUT_DEFAULTS.timeoutSeconds,
		typeOptions: { minValue: 1 },
		description: 'How long to wait before giving up with status "timedOut"',
	},
	{
		displayName: 'Stuck After Seconds',
		name: 'stuckAfterSeconds',
		type: 'number',
		default: ROLLOUT_DEFAULTS.stuckAfterSeconds,
		typeOptions: { minValue: 0 },
		description:
			'A new pod in CrashLoopBackOff, ImagePullBackOff, OOMKilled or running unready this long fails the rollout. 0 waits for the Deployment progress deadline instead.',
	},
	{
		displayName: 'Log Tail Lines',
		name: 'logTailLines',
		type: 'number',
		default: ROLLOUT_DEFAULTS.logTailLines,
		typeOptions: { minValue: 0 },
		description:
			'Lines from the end of the failing container log (its previous run when it crash-loops); at most 16 KiB',
	},
	{
		displayName: 'Fail on Rollout Failure',
		name: 'failOnRolloutFailure',
		type: 'boolean',
		default: ROLLOUT_DEFAULTS.failOnRolloutFailure,
		description:
			'Whether a rollout that does not finish (failed, timedOut, superseded) stops the workflow with an error. Off: it becomes an output item with its status, e.g. to revert the bump.',
	},
];
