import {
	NodeConnectionTypes,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import type { BuildJobInput, IfExists } from '../../lib/k8s/build';
import { BUILD_DEFAULTS } from '../../lib/k8s/build/defaults';
import { kubernetesApiConnectionTest } from '../shared/credentialTests';
import { kubernetesAccess } from '../shared/kubernetesCredential';
import { createBuildKitJobProperties } from './CreateBuildKitJob.properties';
import { createBuildKitJobToolProperties } from './CreateBuildKitJob.tool';
import { executeItems } from '../shared/executeItems';
import { listParameter } from '../shared/listParameter';

function pairs(
	collection: unknown,
	key: string,
): Array<{ name: string; value: string }> | undefined {
	const entries = (
		collection as Record<string, Array<{ name?: unknown; value?: unknown }>> | undefined
	)?.[key];
	if (!Array.isArray(entries)) return undefined;
	return entries.map((e) => ({
		name: String(e.name ?? ''),
		value: e.value === undefined || e.value === null ? '' : String(e.value),
	}));
}

const text = (value: unknown): string | undefined =>
	value === undefined || value === null ? undefined : String(value);

/** A boolean option, also when an expression hands over the text "true". */
const flag = (value: unknown): boolean =>
	value === true || (typeof value === 'string' && value.trim().toLowerCase() === 'true');

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
		allowBuildkitBuildArgs: flag(options.allowBuildkitBuildArgs),
		platforms: listParameter(options.platforms),
		cacheMode: options.cacheMode as BuildJobInput['cacheMode'],
		cacheRef: text(options.cacheRef),
		attestations:
			options.attestations === undefined
				? undefined
				: (listParameter(options.attestations) as BuildJobInput['attestations']),
		sbomGenerator: text(options.sbomGenerator),
		builderMode: options.builderMode as BuildJobInput['builderMode'],
		buildkitImage: text(options.buildkitImage),
		gitImage: text(options.gitImage),
		serviceAccountName: text(options.serviceAccountName),
		registrySecretName: text(options.registrySecretName),
		gitSecretName: text(options.gitSecretName),
		buildkitdConfigMap: text(options.buildkitdConfigMap),
		sshTrustOnFirstUse: flag(options.sshTrustOnFirstUse),
		reproducible: flag(options.reproducible),
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
		description:
			'Start a Kubernetes Job that fetches a git revision and builds and pushes an image with rootless BuildKit',
		defaults: { name: 'Create BuildKit Job' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'kubernetesApi', required: true, testedBy: 'kubernetesApiConnectionTest' },
		],
		properties: createBuildKitJobToolProperties,
	};

	methods = {
		credentialTest: { kubernetesApiConnectionTest },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const { cred, kc } = await kubernetesAccess(this);
		const { createBuildKitJob } = await import('../../lib/k8s/build');
		const { defaultNamespace } = await import('../../lib/k8s/kubeConfig');

		return executeItems(this, { properties: createBuildKitJobProperties }, async (itemIndex) => {
			const param = (name: string, fallback?: unknown) =>
				this.getNodeParameter(name, itemIndex, fallback) as unknown;
			const options = param('options', {}) as IDataObject;
			const input = buildJobInput(
				{
					namespace: String(param('namespace', '') ?? '').trim() || defaultNamespace(kc, cred),
					appName: param('appName', ''),
					gitRepositoryUrl: param('gitRepositoryUrl', ''),
					gitRevision: param('gitRevision', BUILD_DEFAULTS.gitRevision),
					contextPath: param('contextPath', ''),
					dockerfile: param('dockerfile', BUILD_DEFAULTS.dockerfile),
					image: param('image', ''),
				},
				options,
			);
			const result = await createBuildKitJob(kc, input, {
				dryRun: flag(options.dryRun),
				ifExists: (options.ifExists as IfExists | undefined) ?? BUILD_DEFAULTS.ifExists,
			});
			return { ...result } as unknown as IDataObject;
		});
	}
}
