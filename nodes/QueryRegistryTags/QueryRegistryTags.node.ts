import {
	NodeConnectionTypes,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import type {
	AttestationKind,
	PolicyName,
	QueryRegistryTagsRequest,
	RegistryConnection,
} from '../../lib/registry';
import { QUERY_DEFAULTS } from '../../lib/registry/defaults';
import { queryRegistryTagsProperties } from './QueryRegistryTags.properties';
import { queryRegistryTagsToolProperties } from './QueryRegistryTags.tool';
import { containerRegistryApiConnectionTest } from '../shared/credentialTests';
import { executeItems } from '../shared/executeItems';
import { listParameter } from '../shared/listParameter';

/**
 * Optional: with no credential selected the registry is used anonymously (public images, open in-cluster
 * registries). A selected credential that cannot be read (deleted, not decryptable) is an error: going
 * anonymous instead would hide it behind a confusing 401 or, worse, quietly query another view of the registry.
 */
async function registryCredentialOf(
	context: IExecuteFunctions,
): Promise<RegistryConnection | undefined> {
	if (!context.getNode().credentials?.containerRegistryApi) return undefined;
	try {
		return (await context.getCredentials('containerRegistryApi')) as unknown as RegistryConnection;
	} catch (error) {
		throw new NodeOperationError(
			context.getNode(),
			`Could not read the Container Registry credential: ${error instanceof Error ? error.message : String(error)}`,
			{
				description:
					'Select the credential again (or fix it under Credentials); remove it from the node to query the registry anonymously.',
			},
		);
	}
}

export class QueryRegistryTags implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Query Registry Tags',
		name: 'queryRegistryTags',
		icon: {
			light: 'file:../../icons/registryTags.svg',
			dark: 'file:../../icons/registryTags.dark.svg',
		},
		group: ['input'],
		version: 1,
		subtitle: '={{$parameter["policy"] + ": " + $parameter["repository"]}}',
		description:
			"List an OCI registry repository's tags and pick the latest by a Flux-style policy, with digest, platforms and attestations",
		defaults: { name: 'Query Registry Tags' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 'containerRegistryApi',
				required: false,
				testedBy: 'containerRegistryApiConnectionTest',
			},
		],
		properties: queryRegistryTagsToolProperties,
	};

	methods = {
		credentialTest: { containerRegistryApiConnectionTest },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const credential = await registryCredentialOf(this);
		const { queryRegistryTags } = await import('../../lib/registry');
		return executeItems(this, { properties: queryRegistryTagsProperties }, async (itemIndex) => {
			const text = (name: string, fallback = '') =>
				String(this.getNodeParameter(name, itemIndex, fallback) ?? '').trim();
			const policy = this.getNodeParameter(
				'policy',
				itemIndex,
				QUERY_DEFAULTS.policy,
			) as PolicyName;
			const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
			const request: QueryRegistryTagsRequest = {
				repository: text('repository'),
				policy,
				semverRange:
					policy === 'semver' ? text('semverRange', QUERY_DEFAULTS.semverRange) : undefined,
				order:
					policy === 'semver' ? undefined : (text('order', QUERY_DEFAULTS.order) as 'asc' | 'desc'),
				filterPattern: text('filterPattern') || undefined,
				filterExtract: text('filterExtract') || undefined,
				exclude: listParameter(text('exclude', QUERY_DEFAULTS.exclude.join('\n')), /\r?\n/),
				resolveDigest: options.resolveDigest === true,
				requirePlatforms: listParameter(options.requirePlatforms, /[,\s]+/),
				requireAttestations: (options.requireAttestations as AttestationKind[] | undefined) ?? [],
				reportAttestations: options.reportAttestations === true,
				expectedRevision: String(options.expectedRevision ?? '').trim() || undefined,
				pageSize: options.pageSize as number | undefined,
				maxPages: options.maxPages as number | undefined,
			};
			return (await queryRegistryTags(request, credential)) as unknown as IDataObject;
		});
	}
}
