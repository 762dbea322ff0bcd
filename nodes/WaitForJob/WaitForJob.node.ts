import {
	NodeConnectionTypes,
	NodeOperationError,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import { kubernetesApiConnectionTest } from '../shared/credentialTests';
import { kubernetesAccess } from '../shared/kubernetesCredential';
import type { WaitForJobResult } from '../../lib/k8s/wait';
import { WAIT_DEFAULTS } from '../../lib/k8s/wait/defaults';
import { executeItems, stopOnFailure } from '../shared/executeItems';
import { waitForJobProperties } from './WaitForJob.properties';
import { waitForJobToolProperties } from './WaitForJob.tool';

/** Items waiting at once; each holds one watch connection, so this bounds connections, not builds. */
const MAX_CONCURRENT_WAITS = 32;

/** The diagnosis as error text: the same facts the output item would carry, for the error panel. */
function failureDescription(result: WaitForJobResult): string {
	const lines = [`Status: ${result.status}`, `Reason: ${result.reason}`];
	if (result.durationSeconds !== null) lines.push(`Duration: ${result.durationSeconds} s`);
	for (const pod of result.pods) {
		const containers = pod.containers.map(
			(c) =>
				`${c.name}=${c.state}${c.reason ? `/${c.reason}` : ''}${c.exitCode !== null ? `(exit ${c.exitCode})` : ''}`,
		);
		lines.push(
			`Pod ${pod.name}: ${pod.phase}${pod.reason ? ` (${pod.reason})` : ''} ${containers.join(' ')}`,
		);
	}
	if (result.logTail) lines.push('', 'Last log lines:', result.logTail);
	lines.push(
		'',
		'Turn off "Fail on Job Failure" to get this as an output item with status failed instead.',
	);
	return lines.join('\n');
}

export class WaitForJob implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Wait for Job',
		name: 'waitForJob',
		icon: {
			light: 'file:../../icons/waitForJob.svg',
			dark: 'file:../../icons/waitForJob.dark.svg',
		},
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["jobName"]}}',
		description:
			'Watch a Kubernetes Job until it finishes, explain failures and return the pushed image digest',
		defaults: { name: 'Wait for Job' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'kubernetesApi', required: true, testedBy: 'kubernetesApiConnectionTest' },
		],
		properties: waitForJobToolProperties,
	};

	methods = {
		credentialTest: { kubernetesApiConnectionTest },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const { cred, kc } = await kubernetesAccess(this);
		const { waitForJob } = await import('../../lib/k8s/wait');
		const { defaultNamespace } = await import('../../lib/k8s/kubeConfig');
		const { signal, onFail } = stopOnFailure(this);

		return executeItems(
			this,
			{ properties: waitForJobProperties, concurrency: MAX_CONCURRENT_WAITS, onFail },
			async (itemIndex) => {
				const namespace =
					String(this.getNodeParameter('namespace', itemIndex, '') ?? '').trim() ||
					defaultNamespace(kc, cred);
				const result = await waitForJob(kc, {
					namespace,
					jobName: String(this.getNodeParameter('jobName', itemIndex, '') ?? '').trim(),
					timeoutSeconds: this.getNodeParameter(
						'timeoutSeconds',
						itemIndex,
						WAIT_DEFAULTS.timeoutSeconds,
					) as number,
					stuckAfterSeconds: this.getNodeParameter(
						'stuckAfterSeconds',
						itemIndex,
						WAIT_DEFAULTS.stuckAfterSeconds,
					) as number,
					logTailLines: this.getNodeParameter(
						'logTailLines',
						itemIndex,
						WAIT_DEFAULTS.logTailLines,
					) as number,
					deleteWhenDone: this.getNodeParameter(
						'deleteWhenDone',
						itemIndex,
						WAIT_DEFAULTS.deleteWhenDone,
					) as boolean,
					signal,
				});
				if (
					result.status !== 'succeeded' &&
					(this.getNodeParameter(
						'failOnJobFailure',
						itemIndex,
						WAIT_DEFAULTS.failOnJobFailure,
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
