import {
	NodeApiError,
	NodeConnectionTypes,
	NodeOperationError,
	type IExecuteFunctions,
	type INode,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	type JsonObject,
} from 'n8n-workflow';
import { BumpError, bumpGitManifest, type GitCredential, type ManifestEdit } from '../../lib/gitops';
import { allowFileProtocol, gitRepositoryApiConnectionTest } from '../shared/credentialTests';
import { bumpGitManifestProperties } from './BumpGitManifest.properties';
import { bumpGitManifestTool } from './BumpGitManifest.tool';

type Parameter = (name: string, fallback?: string) => string;

/** The edit the chosen mode describes; empty optional fields are left out. */
function manifestEdit(mode: string, param: Parameter, node: INode, itemIndex: number): ManifestEdit {
	switch (mode) {
		case 'imagePolicyMarkers':
			return { mode, path: param('path', ''), policies: { [param('policyName')]: param('image') } };
		case 'yamlPath':
			return {
				mode,
				file: param('file'),
				yamlPath: param('yamlPath'),
				value: param('value'),
				documentKind: param('documentKind', '') || undefined,
				documentName: param('documentName', '') || undefined,
			};
		case 'imageReference':
			return { mode, path: param('path', ''), imageRepository: param('imageRepository'), tag: param('tag', '') || undefined, digest: param('digest', '') || undefined };
		case 'helmChart':
			return {
				mode,
				chartPath: param('chartPath'),
				valuesFile: param('valuesFile', ''), // empty: checkEdit's default
				valuesPath: param('valuesPath'),
				value: param('value'),
				versionBump: param('versionBump', 'patch') as 'patch' | 'minor' | 'major' | 'none',
			};
		default:
			throw new NodeOperationError(node, `Unknown mode "${mode}"`, { itemIndex });
	}
}

const CREDENTIAL_FIELDS = new Set(['username', 'token', 'sshPrivateKey', 'knownHosts']);

function fieldHint(field: string): string {
	return CREDENTIAL_FIELDS.has(field) ? `Fix the "${field}" field of the Git Repository credential.` : `Check the "${field}" parameter.`;
}

export class BumpGitManifest implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Bump Git Manifest',
		name: 'bumpGitManifest',
		icon: { light: 'file:../../icons/gitBump.svg', dark: 'file:../../icons/gitBump.dark.svg' },
		group: ['output'],
		version: 1,
		subtitle: '={{$parameter["mode"] + ": " + $parameter["repositoryUrl"]}}',
		description: 'Update image tags and values in a GitOps repository and push one commit, safely under concurrency',
		defaults: { name: 'Bump Git Manifest' },
		usableAsTool: bumpGitManifestTool,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'gitRepositoryApi', required: true, testedBy: 'gitRepositoryApiConnectionTest' }],
		properties: bumpGitManifestProperties,
	};

	methods = {
		credentialTest: { gitRepositoryApiConnectionTest },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const credential = (await this.getCredentials('gitRepositoryApi')) as unknown as GitCredential;
		const output: INodeExecutionData[] = [];
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			const pairedItem = { item: itemIndex };
			const param: Parameter = (name, fallback) => String(this.getNodeParameter(name, itemIndex, fallback) ?? '').trim();
			try {
				const result = await bumpGitManifest(
					{
						repositoryUrl: param('repositoryUrl'),
						branch: param('branch', 'main') || 'main',
						pushBranch: param('pushBranch', '') || undefined,
						edit: manifestEdit(param('mode'), param, this.getNode(), itemIndex),
						commitMessage: param('commitMessage', 'Update image'),
						skipCi: this.getNodeParameter('skipCi', itemIndex, false) as boolean,
						authorName: param('authorName', '') || undefined,
						authorEmail: param('authorEmail', '') || undefined,
						dryRun: this.getNodeParameter('dryRun', itemIndex, false) as boolean,
						maxAttempts: this.getNodeParameter('maxAttempts', itemIndex, 5) as number,
					},
					credential,
					{ allowFileProtocol: allowFileProtocol() },
				);
				output.push({ json: { ...result, commit: result.commit ?? null }, pairedItem });
			} catch (error) {
				const message = error instanceof Error ? error.message : String(error);
				if (this.continueOnFail()) {
					output.push({ json: { error: message }, pairedItem });
					continue;
				}
				if (error instanceof BumpError && error.kind === 'remote') {
					throw new NodeApiError(this.getNode(), { message } as JsonObject, { message, description: error.description, itemIndex });
				}
				const description =
					error instanceof BumpError
						? [error.field && fieldHint(error.field), error.description, 'Nothing was pushed.'].filter(Boolean).join(' ')
						: 'Nothing was pushed.';
				throw new NodeOperationError(this.getNode(), message, { itemIndex, description });
			}
		}
		return [output];
	}
}
