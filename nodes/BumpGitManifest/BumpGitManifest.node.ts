import {
	NodeConnectionTypes,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INode,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import type { GitCredential, ManifestEdit, ValueType } from '../../lib/gitops';
import { BUMP_DEFAULTS, DEFAULT_ALLOW_PLAIN_HTTP } from '../../lib/gitops/defaults';
import { allowFileProtocol, gitRepositoryApiConnectionTest } from '../shared/credentialTests';
import { executeItems } from '../shared/executeItems';
import { bumpGitManifestProperties } from './BumpGitManifest.properties';
import { bumpGitManifestToolProperties } from './BumpGitManifest.tool';
import { operationProperty, revertProperties } from './BumpGitManifest.revertProperties';

type Parameter = (name: string, fallback?: string) => string;

/** The edit the chosen mode describes; empty optional fields are left out. */
function manifestEdit(
	mode: string,
	param: Parameter,
	node: INode,
	itemIndex: number,
): ManifestEdit {
	switch (mode) {
		case 'imagePolicyMarkers':
			return { mode, path: param('path', ''), policies: { [param('policyName')]: param('image') } };
		case 'yamlPath':
			return {
				mode,
				file: param('file'),
				yamlPath: param('yamlPath'),
				value: param('value'),
				valueType: (param('valueType', BUMP_DEFAULTS.valueType) ||
					BUMP_DEFAULTS.valueType) as ValueType,
				documentKind: param('documentKind', '') || undefined,
				documentName: param('documentName', '') || undefined,
			};
		case 'imageReference':
			return {
				mode,
				path: param('path', ''),
				imageRepository: param('imageRepository'),
				tag: param('tag', '') || undefined,
				digest: param('digest', '') || undefined,
			};
		case 'helmChart':
			return {
				mode,
				chartPath: param('chartPath'),
				valuesFile: param('valuesFile', ''), // empty: checkEdit's default
				valuesPath: param('valuesPath'),
				value: param('value'),
				valueType: (param('valueType', BUMP_DEFAULTS.valueType) ||
					BUMP_DEFAULTS.valueType) as ValueType,
				versionBump: param(
					'versionBump',
					BUMP_DEFAULTS.versionBump,
				) as typeof BUMP_DEFAULTS.versionBump,
			};
		default:
			throw new NodeOperationError(node, `Unknown mode "${mode}"`, { itemIndex });
	}
}

export class BumpGitManifest implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Bump Git Manifest',
		name: 'bumpGitManifest',
		icon: { light: 'file:../../icons/gitBump.svg', dark: 'file:../../icons/gitBump.dark.svg' },
		group: ['output'],
		version: 1,
		subtitle: '={{$parameter["mode"] + ": " + $parameter["repositoryUrl"]}}',
		description:
			'Update image tags and values in a GitOps repository and push one commit, safely under concurrency',
		defaults: { name: 'Bump Git Manifest' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'gitRepositoryApi', required: true, testedBy: 'gitRepositoryApiConnectionTest' },
		],
		properties: [operationProperty, ...bumpGitManifestToolProperties, ...revertProperties],
	};

	methods = {
		credentialTest: { gitRepositoryApiConnectionTest },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const credential = (await this.getCredentials('gitRepositoryApi')) as unknown as GitCredential;
		const { bumpGitManifest } = await import('../../lib/gitops');
		const { revertGitManifest } = await import('../../lib/gitops/revert');
		return executeItems(
			this,
			{ properties: bumpGitManifestProperties, note: 'Nothing was pushed.' },
			async (itemIndex) => {
				const param: Parameter = (name, fallback) =>
					String(this.getNodeParameter(name, itemIndex, fallback) ?? '').trim();
				if (this.getNodeParameter('operation', itemIndex, operationProperty.default) === 'revert') {
					const reverted = await revertGitManifest(
						{
							repositoryUrl: param('repositoryUrl'),
							branch: param('branch', BUMP_DEFAULTS.branch) || BUMP_DEFAULTS.branch,
							commit: param('revertCommit'),
							reason: param('revertReason', '') || undefined,
							skipCi: this.getNodeParameter('skipCi', itemIndex, BUMP_DEFAULTS.skipCi) as boolean,
							authorName: param('authorName', '') || undefined,
							authorEmail: param('authorEmail', '') || undefined,
							maxAttempts: this.getNodeParameter(
								'maxAttempts',
								itemIndex,
								BUMP_DEFAULTS.maxAttempts,
							) as number,
							allowPlainHttp:
								this.getNodeParameter('allowPlainHttp', itemIndex, DEFAULT_ALLOW_PLAIN_HTTP) ===
								true,
						},
						credential,
						{ allowFileProtocol: allowFileProtocol() },
					);
					return { ...reverted } as unknown as IDataObject;
				}
				const result = await bumpGitManifest(
					{
						repositoryUrl: param('repositoryUrl'),
						branch: param('branch', BUMP_DEFAULTS.branch) || BUMP_DEFAULTS.branch,
						pushBranch: param('pushBranch', '') || undefined,
						edit: manifestEdit(param('mode', BUMP_DEFAULTS.mode), param, this.getNode(), itemIndex),
						commitMessage: param('commitMessage', BUMP_DEFAULTS.commitMessage),
						skipCi: this.getNodeParameter('skipCi', itemIndex, BUMP_DEFAULTS.skipCi) as boolean,
						authorName: param('authorName', '') || undefined,
						authorEmail: param('authorEmail', '') || undefined,
						dryRun: this.getNodeParameter('dryRun', itemIndex, BUMP_DEFAULTS.dryRun) as boolean,
						maxAttempts: this.getNodeParameter(
							'maxAttempts',
							itemIndex,
							BUMP_DEFAULTS.maxAttempts,
						) as number,
						allowPlainHttp:
							this.getNodeParameter('allowPlainHttp', itemIndex, DEFAULT_ALLOW_PLAIN_HTTP) === true,
						sourceOrder: {
							repository: param('sourceRepository', ''),
							commit: param('sourceCommit', ''),
							time: param('sourceCommitTime', ''),
						},
					},
					credential,
					{ allowFileProtocol: allowFileProtocol() },
				);
				return { ...result, commit: result.commit ?? null } as unknown as IDataObject;
			},
		);
	}
}
