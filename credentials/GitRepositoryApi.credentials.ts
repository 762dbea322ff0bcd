import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

/**
 * Push access to a git repository (the GitOps repo). Credentials reach git through the environment of one
 * command, never the remote URL or `.git/config`. Tested with `git ls-remote` by the Bump Git Manifest node.
 */
export class GitRepositoryApi implements ICredentialType {
	name = 'gitRepositoryApi';

	displayName = 'Git Repository API';

	icon: Icon = { light: 'file:../icons/git.svg', dark: 'file:../icons/git.dark.svg' };

	documentationUrl =
		'https://github.com/n8n-nodes-buildkit/n8n-nodes-buildkit/blob/main/docs/credentials.md#git-repository-api';

	properties: INodeProperties[] = [
		{
			displayName: 'Authentication',
			name: 'authentication',
			type: 'options',
			default: 'https',
			options: [
				{ name: 'HTTPS Username + Token', value: 'https' },
				{ name: 'SSH Private Key', value: 'ssh' },
			],
		},
		{
			displayName: 'Username',
			name: 'username',
			type: 'string',
			default: '',
			placeholder: 'git',
			displayOptions: { show: { authentication: ['https'] } },
		},
		{
			displayName: 'Token',
			name: 'token',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'A personal access token or password with push rights',
			displayOptions: { show: { authentication: ['https'] } },
		},
		{
			displayName: 'SSH Private Key',
			name: 'sshPrivateKey',
			type: 'string',
			typeOptions: { password: true, rows: 8 },
			default: '',
			displayOptions: { show: { authentication: ['ssh'] } },
		},
		{
			displayName: 'Known Hosts',
			name: 'knownHosts',
			type: 'string',
			typeOptions: { rows: 4 },
			default: '',
			description: 'Lines for known_hosts (ssh-keyscan output); host keys are always checked',
			displayOptions: { show: { authentication: ['ssh'] } },
		},
		{
			displayName: 'Test Repository URL',
			name: 'testRepositoryUrl',
			type: 'string',
			default: '',
			placeholder: 'https://git.local/homelab/gitops.git',
			description: 'Repository the credential test runs `git ls-remote` against',
		},
		{
			displayName: 'Author Name',
			name: 'authorName',
			type: 'string',
			default: 'n8n-buildkit',
		},
		{
			displayName: 'Author Email',
			name: 'authorEmail',
			type: 'string',
			placeholder: 'name@email.com',
			default: 'n8n-buildkit@localhost',
		},
	];
}
