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
import { TagPolicyError } from '../../lib/policy';
import {
	NoCandidateError,
	queryRegistryTags,
	RegistryError,
	RepositoryReferenceError,
	type AttestationKind,
	type PolicyName,
	type QueryRegistryTagsRequest,
	type RegistryConnection,
} from '../../lib/registry';
import { queryRegistryTagsProperties } from './QueryRegistryTags.properties';
import { queryRegistryTagsTool } from './QueryRegistryTags.tool';
import { containerRegistryApiConnectionTest } from '../shared/credentialTests';
import { listParameter } from '../shared/listParameter';

const POLICY_FIELD_NAMES: Record<string, string> = {
	semverRange: 'Semver Range',
	filterPattern: 'Filter Pattern',
	filterExtract: 'Filter Extract',
	exclude: 'Exclude',
};

/**
 * Optional: with no credential selected the registry is used anonymously (public images, open in-cluster
 * registries). A selected credential that cannot be read (deleted, not decryptable) is an error: going
 * anonymous instead would hide it behind a confusing 401 or, worse, quietly query another view of the registry.
 */
async function registryCredentialOf(context: IExecuteFunctions): Promise<RegistryConnection | undefined> {
	if (!context.getNode().credentials?.containerRegistryApi) return undefined;
	try {
		return (await context.getCredentials('containerRegistryApi')) as unknown as RegistryConnection;
	} catch (error) {
		throw new NodeOperationError(context.getNode(), `Could not read the Container Registry credential: ${error instanceof Error ? error.message : String(error)}`, {
			description: 'Select the credential again (or fix it under Credentials); remove it from the node to query the registry anonymously.',
		});
	}
}

export class QueryRegistryTags implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Query Registry Tags',
		name: 'queryRegistryTags',
		icon: { light: 'file:../../icons/registryTags.svg', dark: 'file:../../icons/registryTags.dark.svg' },
		group: ['input'],
		version: 1,
		subtitle: '={{$parameter["policy"] + ": " + $parameter["repository"]}}',
		description: 'List an OCI registry repository\'s tags and pick the latest by a Flux-style policy, with digest, platforms and attestations',
		defaults: { name: 'Query Registry Tags' },
		usableAsTool: queryRegistryTagsTool,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'containerRegistryApi', required: false, testedBy: 'containerRegistryApiConnectionTest' }],
		properties: queryRegistryTagsProperties,
	};

	methods = {
		credentialTest: { containerRegistryApiConnectionTest },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const credential = await registryCredentialOf(this);
		const output: INodeExecutionData[] = [];
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			const pairedItem = { item: itemIndex };
			try {
				const text = (name: string, fallback = '') => String(this.getNodeParameter(name, itemIndex, fallback) ?? '').trim();
				const policy = this.getNodeParameter('policy', itemIndex) as PolicyName;
				const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
				const request: QueryRegistryTagsRequest = {
					repository: text('repository'),
					policy,
					semverRange: policy === 'semver' ? text('semverRange', '*') : undefined,
					order: policy === 'semver' ? undefined : (text('order', 'asc') as 'asc' | 'desc'),
					filterPattern: text('filterPattern') || undefined,
					filterExtract: text('filterExtract') || undefined,
					exclude: listParameter(text('exclude', '^.*\\.sig$'), /\r?\n/),
					resolveDigest: options.resolveDigest === true,
					requirePlatforms: listParameter(options.requirePlatforms, /[,\s]+/),
					requireAttestations: (options.requireAttestations as AttestationKind[] | undefined) ?? [],
					reportAttestations: options.reportAttestations === true,
					expectedRevision: String(options.expectedRevision ?? '').trim() || undefined,
					pageSize: options.pageSize as number | undefined,
					maxPages: options.maxPages as number | undefined,
				};
				const result = await queryRegistryTags(request, credential);
				output.push({ json: result as unknown as IDataObject, pairedItem });
			} catch (error) {
				const message = error instanceof Error ? error.message : String(error);
				if (this.continueOnFail()) {
					output.push({ json: { error: message }, pairedItem });
					continue;
				}
				if (error instanceof RegistryError) {
					throw new NodeApiError(this.getNode(), { message } as JsonObject, {
						message,
						httpCode: error.status ? String(error.status) : undefined,
						description: error.attempts > 1 ? `Tried ${error.attempts} times.` : undefined,
						itemIndex,
					});
				}
				let description: string | undefined;
				if (error instanceof RepositoryReferenceError) description = 'Check the "Repository" parameter (and the credential\'s registry).';
				if (error instanceof TagPolicyError) description = `Check the "${POLICY_FIELD_NAMES[error.field] ?? error.field}" parameter.`;
				if (error instanceof NoCandidateError) {
					description = 'Widen the semver range or the filter, or relax the required platforms/attestations; List shows every tag.';
				}
				throw new NodeOperationError(this.getNode(), message, { itemIndex, description });
			}
		}
		return [output];
	}
}
