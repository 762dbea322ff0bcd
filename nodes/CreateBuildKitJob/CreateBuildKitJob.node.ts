import {
	NodeApiError,
	NodeConnectionTypes,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	type JsonObject,
} from 'n8n-workflow';
import { FieldError as BuildInputError } from '../../lib/fieldError';
import { createBuildKitJob, KubernetesRequestError, type BuildJobInput, type IfExists } from '../../lib/k8s/build';
import { defaultNamespace, type KubernetesCredential } from '../../lib/k8s/kubeConfig';
import { kubernetesApiConnectionTest } from '../shared/credentialTests';
import { kubeConfigForNode } from '../shared/kubernetesCredential';
import { createBuildKitJobProperties } from './CreateBuildKitJob.properties';
import { createBuildKitJobTool } from './CreateBuildKitJob.tool';
import { listParameter } from '../shared/listParameter';

function pairs(collection: unknown, key: string): Array<{ name: string; value: string }> | undefined {
	const entries = (collection as Record<string, Array<{ name?: unknown; value?: unknown }>> | undefined)?.[key];
	if (!Array.isArray(entries)) return undefined;
	return entries.map((e) => ({ name: String(e.name ?? ''), value: e.value === undefined || e.value === null ? '' : String(e.value) }));
}

const text = (value: unknown): string | undefined => (value === undefined || value === null ? undefined : String(value));

/** A boolean option, also when an expression hands over the text "true". */
const flag = (value: unknown): boolean => value === true || (typeof value === 'string' && value.trim().toLowerCase() === 'true');

/** The node's parameters as the lib's plain input. Only options the user added are passed (the lib defaults the rest). */
function buildJobInput(params: Record<string, unknown>, options: IDataObject): BuildJobInput {
	return {
		namespace: text(params.namespace),
		appName: String(params.appName ?? ''),
		gitRepositoryUrl: String(params.gitRepositoryUrl ?? ''),
		gitRevision: text(params.gitRevision),
		contextPath: text(params.contextPath),
		dockerfile: text(params.dockerfile),
		image: String(params.image ?? ''),
		additionalTags: listParameter(options.additionalTags),
		target: text(options.target),
		buildArgs: pairs(options.buildArgs, 'arg'),
		platforms: listParameter(options.platforms),
		cacheMode: options.cacheMode as BuildJobInput['cacheMode'],
		cacheRef: text(options.cacheRef),
		attestations: options.attestations === undefined ? undefined : (listParameter(options.attestations) as BuildJobInput['attestations']),
		builderMode: options.builderMode as BuildJobInput['builderMode'],
		buildkitImage: text(options.buildkitImage),
		gitImage: text(options.gitImage),
		serviceAccountName: text(options.serviceAccountName),
		registrySecretName: text(options.registrySecretName),
		gitSecretName: text(options.gitSecretName),
		insecureRegistry: flag(options.insecureRegistry),
		allowPlainHttpGit: flag(options.allowPlainHttpGit),
		memoryLimit: text(options.memoryLimit),
		memoryRequest: text(options.memoryRequest),
		cpuLimit: text(options.cpuLimit),
		cpuRequest: text(options.cpuRequest),
		ttlSecondsAfterFinished: options.ttlSecondsAfterFinished as number | undefined,
		activeDeadlineSeconds: options.activeDeadlineSeconds as number | undefined,
		backoffLimit: options.backoffLimit as number | undefined,
		labels: pairs(options.labels, 'label'),
		jobName: text(options.jobName),
		deterministicName: flag(options.deterministicName),
	};
}

export class CreateBuildKitJob implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Create BuildKit Job',
		name: 'createBuildKitJob',
		icon: { light: 'file:../../icons/buildkit.svg', dark: 'file:../../icons/buildkit.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["image"]}}',
		description: 'Start a Kubernetes Job that fetches a git revision and builds and pushes an image with rootless BuildKit',
		defaults: { name: 'Create BuildKit Job' },
		usableAsTool: createBuildKitJobTool,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'kubernetesApi', required: true, testedBy: 'kubernetesApiConnectionTest' }],
		properties: createBuildKitJobProperties,
	};

	methods = {
		credentialTest: { kubernetesApiConnectionTest },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const cred = (await this.getCredentials('kubernetesApi')) as unknown as KubernetesCredential;
		const kc = kubeConfigForNode(this.getNode(), cred);

		const out: INodeExecutionData[] = [];
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			const pairedItem = { item: itemIndex };
			try {
				const param = (name: string, fallback?: unknown) => this.getNodeParameter(name, itemIndex, fallback) as unknown;
				const options = param('options', {}) as IDataObject;
				const input = buildJobInput(
					{
						namespace: String(param('namespace', '') ?? '').trim() || defaultNamespace(kc, cred),
						appName: param('appName', ''),
						gitRepositoryUrl: param('gitRepositoryUrl', ''),
						gitRevision: param('gitRevision', 'main'),
						contextPath: param('contextPath', ''),
						dockerfile: param('dockerfile', 'Dockerfile'),
						image: param('image', ''),
					},
					options,
				);
				const result = await createBuildKitJob(kc, input, {
					dryRun: flag(options.dryRun),
					ifExists: (options.ifExists as IfExists | undefined) ?? 'fail',
				});
				out.push({ json: { ...result } as unknown as IDataObject, pairedItem });
			} catch (caught) {
				let error: Error;
				if (caught instanceof BuildInputError) {
					error = new NodeOperationError(this.getNode(), caught.message, { itemIndex, description: `Check the "${caught.field}" parameter` });
				} else if (caught instanceof KubernetesRequestError) {
					error = new NodeApiError(this.getNode(), { ...caught.failure } as JsonObject, {
						itemIndex,
						message: caught.message,
						description: caught.hint,
						httpCode: caught.failure.statusCode !== undefined ? String(caught.failure.statusCode) : undefined,
					});
				} else {
					error = new NodeOperationError(this.getNode(), caught as Error, { itemIndex });
				}
				if (this.continueOnFail()) {
					out.push({ json: { error: error.message }, pairedItem });
					continue;
				}
				throw error;
			}
		}
		return [out];
	}
}
