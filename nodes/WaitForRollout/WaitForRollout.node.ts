import {
	NodeApiError,
	NodeConnectionTypes,
	NodeOperationError,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	type JsonObject,
} from 'n8n-workflow';
import { InputError } from '../../lib/errors';
import { JobWatchApiError } from '../../lib/k8s/wait/watcher';
import type { KubernetesCredential } from '../../lib/k8s/kubeConfig';
import { ROLLOUT_DEFAULTS, waitForRollout, type SourceKind, type WaitForRolloutResult, type WorkloadKind } from '../../lib/k8s/rollout/waitForRollout';
import { kubernetesApiConnectionTest } from '../shared/credentialTests';
import { kubeConfigForNode } from '../shared/kubernetesCredential';
import { mapConcurrently } from '../shared/mapConcurrently';

/** Items waiting at once; each holds a few watch connections. */
const MAX_CONCURRENT_WAITS = 16;

/** The diagnosis as error text: the same facts the output item carries, for the error panel. */
function failureDescription(result: WaitForRolloutResult): string {
	const lines = [`Status: ${result.status}`, `Reason: ${result.reason}`, `Applied revision: ${result.appliedRevision ?? 'none'}`];
	for (const w of result.workloads) {
		lines.push(`${w.kind} ${w.namespace}/${w.name}: ${w.image} ${w.availableReplicas}/${w.desiredReplicas} available, ${w.updatedReplicas} updated (${w.reason})`);
	}
	for (const pod of result.pods) {
		const containers = pod.containers.map((c) => `${c.name}=${c.state}${c.reason ? `/${c.reason}` : ''} restarts ${c.restartCount}`);
		lines.push(`Pod ${pod.name}: ${pod.phase} ${containers.join(' ')}`);
	}
	if (result.logTail) lines.push('', 'Last log lines:', result.logTail);
	lines.push('', 'Turn off "Fail on Rollout Failure" to get this as an output item instead (e.g. to revert the bump).');
	return lines.join('\n');
}

interface WorkloadParameter {
	kind?: WorkloadKind;
	namespace?: string;
	name?: string;
	labelSelector?: string;
	image?: string;
}

export class WaitForRollout implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Wait for Rollout',
		name: 'waitForRollout',
		icon: { light: 'file:waitForRollout.svg', dark: 'file:waitForRollout.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["source"] === "none" ? "workloads" : $parameter["sourceName"]}}',
		description: 'Wait until Flux or Argo CD applied a GitOps commit and the workloads run the new image; explain why not',
		defaults: { name: 'Wait for Rollout' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'kubernetesApi', required: true, testedBy: 'kubernetesApiConnectionTest' }],
		properties: [
			{
				displayName: 'Commit',
				name: 'commit',
				type: 'string',
				default: '={{ $json.commit }}',
				placeholder: '3f2c9a1…',
				description: 'The GitOps commit that must be applied, e.g. the commit output of Bump Git Manifest',
			},
			{
				displayName: 'Source',
				name: 'source',
				type: 'options',
				default: 'fluxKustomization',
				options: [
					{ name: 'Flux Kustomization', value: 'fluxKustomization', description: 'Wait for status.lastAppliedRevision to be the commit and Ready=True' },
					{ name: 'Argo CD Application', value: 'argoApplication', description: 'Wait for sync.revision to be the commit, Synced and Healthy' },
					{ name: 'None', value: 'none', description: 'Only wait for the workloads' },
				],
				description: 'The GitOps object that applies the repository',
			},
			{
				displayName: 'Source Namespace',
				name: 'sourceNamespace',
				type: 'string',
				default: 'flux-system',
				displayOptions: { hide: { source: ['none'] } },
				description: 'Namespace of the Kustomization (usually flux-system) or Application (usually argocd)',
			},
			{
				displayName: 'Source Name',
				name: 'sourceName',
				type: 'string',
				default: '',
				required: true,
				placeholder: 'apps',
				displayOptions: { hide: { source: ['none'] } },
				description: 'Name of the Kustomization or Application',
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
							{ displayName: 'Image', name: 'image', type: 'string', default: '', placeholder: 'registry.local:5000/webapp/app:main-3f2c9a1', description: 'The image it must run (with or without @digest); empty: any image, once rolled out' },
							{
								displayName: 'Kind',
								name: 'kind',
								type: 'options',
								default: 'Deployment',
								options: [
									{ name: 'Deployment', value: 'Deployment' },
									{ name: 'StatefulSet', value: 'StatefulSet' },
									{ name: 'DaemonSet', value: 'DaemonSet' },
								],
							},
							{ displayName: 'Label Selector', name: 'labelSelector', type: 'string', default: '', placeholder: 'app.kubernetes.io/part-of=shop', description: 'All workloads it selects must roll out' },
							{ displayName: 'Name', name: 'name', type: 'string', default: '', placeholder: 'webapp', description: 'Name of the workload; leave empty to use the label selector' },
							{ displayName: 'Namespace', name: 'namespace', type: 'string', default: '', placeholder: 'prod' },
						],
					},
				],
				description: 'Workloads that must run the new image: their pods are diagnosed when they crash, cannot pull or stay unready',
			},
			{
				displayName: 'Timeout Seconds',
				name: 'timeoutSeconds',
				type: 'number',
				default: 600,
				typeOptions: { minValue: 1 },
				description: 'How long to wait before giving up with status "timedOut"',
			},
			{
				displayName: 'Stuck After Seconds',
				name: 'stuckAfterSeconds',
				type: 'number',
				default: 120,
				typeOptions: { minValue: 0 },
				description: 'A new pod in CrashLoopBackOff, ImagePullBackOff, OOMKilled or running unready this long fails the rollout. 0 waits for the Deployment progress deadline instead.',
			},
			{
				displayName: 'Log Tail Lines',
				name: 'logTailLines',
				type: 'number',
				default: 50,
				typeOptions: { minValue: 0 },
				description: 'Lines from the end of the failing container log (its previous run when it crash-loops); at most 16 KiB',
			},
			{
				displayName: 'Fail on Rollout Failure',
				name: 'failOnRolloutFailure',
				type: 'boolean',
				default: true,
				description: 'Whether a rollout that does not finish (failed, timedOut, superseded) stops the workflow with an error. Off: it becomes an output item with its status, e.g. to revert the bump.',
			},
		],
	};

	methods = {
		credentialTest: { kubernetesApiConnectionTest },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const cred = (await this.getCredentials('kubernetesApi')) as unknown as KubernetesCredential;
		const kc = kubeConfigForNode(this.getNode(), cred);
		const stopAll = new AbortController();
		const cancel = this.getExecutionCancelSignal?.();
		const signal = cancel ? AbortSignal.any([cancel, stopAll.signal]) : stopAll.signal;

		const waitOne = async (_item: INodeExecutionData, itemIndex: number): Promise<INodeExecutionData> => {
			const pairedItem = { item: itemIndex };
			const text = (name: string, fallback = '') => String(this.getNodeParameter(name, itemIndex, fallback) ?? '').trim();
			try {
				const source = this.getNodeParameter('source', itemIndex, 'fluxKustomization') as SourceKind;
				const workloads = (this.getNodeParameter('workloads.workload', itemIndex, []) as WorkloadParameter[]).map((w) => ({
					kind: w.kind ?? 'Deployment',
					namespace: String(w.namespace ?? '').trim(),
					name: String(w.name ?? '').trim() || undefined,
					labelSelector: String(w.labelSelector ?? '').trim() || undefined,
					image: String(w.image ?? '').trim() || undefined,
				}));
				const result = await waitForRollout(kc, {
					commit: text('commit') || undefined,
					source,
					sourceNamespace: source === 'none' ? undefined : text('sourceNamespace'),
					sourceName: source === 'none' ? undefined : text('sourceName'),
					workloads,
					timeoutSeconds: this.getNodeParameter('timeoutSeconds', itemIndex, ROLLOUT_DEFAULTS.timeoutSeconds) as number,
					stuckAfterSeconds: this.getNodeParameter('stuckAfterSeconds', itemIndex, ROLLOUT_DEFAULTS.stuckAfterSeconds) as number,
					logTailLines: this.getNodeParameter('logTailLines', itemIndex, ROLLOUT_DEFAULTS.logTailLines) as number,
					signal,
				});
				if (result.status !== 'rolledOut' && (this.getNodeParameter('failOnRolloutFailure', itemIndex, true) as boolean)) {
					throw new NodeOperationError(this.getNode(), result.message, { itemIndex, description: failureDescription(result) });
				}
				return { json: { ...result }, pairedItem };
			} catch (caught) {
				let error = caught;
				if (caught instanceof InputError) {
					error = new NodeOperationError(this.getNode(), caught.message, { itemIndex, description: `Check the "${caught.field}" parameter` });
				} else if (caught instanceof JobWatchApiError) {
					error = new NodeApiError(this.getNode(), { ...caught.failure } as JsonObject, {
						itemIndex,
						message: `Kubernetes API refused the wait: ${caught.failure.message}`,
						httpCode: caught.failure.statusCode !== undefined ? String(caught.failure.statusCode) : undefined,
						description: 'The identity needs get/list/watch on the source, the workloads and their pods in each namespace: apply deploy/rollout there',
					});
				} else if (!(caught instanceof NodeOperationError)) {
					error = new NodeOperationError(this.getNode(), caught as Error, { itemIndex });
				}
				if (this.continueOnFail()) return { json: { error: (error as Error).message }, pairedItem };
				stopAll.abort();
				throw error;
			}
		};

		return [await mapConcurrently(items, MAX_CONCURRENT_WAITS, waitOne)];
	}
}
