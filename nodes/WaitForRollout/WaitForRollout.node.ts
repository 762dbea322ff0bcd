import {
	NodeConnectionTypes,
	NodeOperationError,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import type {
	SourceKind,
	WaitForRolloutResult,
	WorkloadKind,
} from '../../lib/k8s/rollout/waitForRollout';
import { ROLLOUT_DEFAULTS } from '../../lib/k8s/rollout/defaults';
import { kubernetesApiConnectionTest } from '../shared/credentialTests';
import { kubernetesAccess } from '../shared/kubernetesCredential';
import { executeItems, stopOnFailure } from '../shared/executeItems';
import { waitForRolloutProperties } from './WaitForRollout.properties';

/** Items waiting at once; each holds a few watch connections. */
const MAX_CONCURRENT_WAITS = 16;

/** The diagnosis as error text: the same facts the output item carries, for the error panel. */
function failureDescription(result: WaitForRolloutResult): string {
	const lines = [
		`Status: ${result.status}`,
		`Reason: ${result.reason}`,
		`Applied revision: ${result.appliedRevision ?? 'none'}`,
	];
	for (const w of result.workloads) {
		lines.push(
			`${w.kind} ${w.namespace}/${w.name}: ${w.image} ${w.availableReplicas}/${w.desiredReplicas} available, ${w.updatedReplicas} updated (${w.reason})`,
		);
	}
	for (const pod of result.pods) {
		const containers = pod.containers.map(
			(c) => `${c.name}=${c.state}${c.reason ? `/${c.reason}` : ''} restarts ${c.restartCount}`,
		);
		lines.push(`Pod ${pod.name}: ${pod.phase} ${containers.join(' ')}`);
	}
	if (result.logTail) lines.push('', 'Last log lines:', result.logTail);
	lines.push(
		'',
		'Turn off "Fail on Rollout Failure" to get this as an output item instead (e.g. to revert the bump).',
	);
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
		icon: {
			light: 'file:../../icons/waitForRollout.svg',
			dark: 'file:../../icons/waitForRollout.dark.svg',
		},
		group: ['transform'],
		version: 1,
		subtitle:
			'={{$parameter["source"] === "none" ? "workloads" : $parameter["source"] === "fluxHelmRelease" ? $parameter["helmReleaseName"] : $parameter["sourceName"]}}',
		description:
			'Wait until Flux or Argo CD applied a GitOps commit and the workloads run the new image; explain why not',
		defaults: { name: 'Wait for Rollout' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'kubernetesApi', required: true, testedBy: 'kubernetesApiConnectionTest' },
		],
		properties: waitForRolloutProperties,
	};

	methods = {
		credentialTest: { kubernetesApiConnectionTest },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const { kc } = await kubernetesAccess(this);
		const { waitForRollout } = await import('../../lib/k8s/rollout/waitForRollout');
		const { signal, onFail } = stopOnFailure(this);

		return executeItems(
			this,
			{ properties: waitForRolloutProperties, concurrency: MAX_CONCURRENT_WAITS, onFail },
			async (itemIndex) => {
				const text = (name: string, fallback = '') =>
					String(this.getNodeParameter(name, itemIndex, fallback) ?? '').trim();
				const source = this.getNodeParameter(
					'source',
					itemIndex,
					ROLLOUT_DEFAULTS.source,
				) as SourceKind;
				const workloads = (
					this.getNodeParameter('workloads.workload', itemIndex, []) as WorkloadParameter[]
				).map((w) => ({
					kind: w.kind ?? ROLLOUT_DEFAULTS.kind,
					namespace: String(w.namespace ?? '').trim(),
					name: String(w.name ?? '').trim() || undefined,
					labelSelector: String(w.labelSelector ?? '').trim() || undefined,
					image: String(w.image ?? '').trim() || undefined,
				}));
				const result = await waitForRollout(kc, {
					commit: text('commit') || undefined,
					source,
					sourceNamespace:
						source === 'none'
							? undefined
							: text('sourceNamespace', ROLLOUT_DEFAULTS.sourceNamespace),
					sourceName: source === 'none' ? undefined : text('sourceName'),
					...(source === 'fluxHelmRelease' && {
						helmReleaseNamespace: text(
							'helmReleaseNamespace',
							ROLLOUT_DEFAULTS.helmReleaseNamespace,
						),
						helmReleaseName: text('helmReleaseName'),
					}),
					workloads,
					timeoutSeconds: this.getNodeParameter(
						'timeoutSeconds',
						itemIndex,
						ROLLOUT_DEFAULTS.timeoutSeconds,
					) as number,
					stuckAfterSeconds: this.getNodeParameter(
						'stuckAfterSeconds',
						itemIndex,
						ROLLOUT_DEFAULTS.stuckAfterSeconds,
					) as number,
					logTailLines: this.getNodeParameter(
						'logTailLines',
						itemIndex,
						ROLLOUT_DEFAULTS.logTailLines,
					) as number,
					signal,
				});
				if (
					result.status !== 'rolledOut' &&
					(this.getNodeParameter(
						'failOnRolloutFailure',
						itemIndex,
						ROLLOUT_DEFAULTS.failOnRolloutFailure,
					) as boolean)
				) {
					throw new NodeOperationError(this.getNode(), result.message, {
						itemIndex,
						description: failureDescription(result),
					});
				}
				return { ...result };
			},
		);
	}
}
