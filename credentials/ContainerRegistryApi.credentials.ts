import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

/**
 * A container registry speaking the OCI distribution API. The password is sent as HTTP Basic or traded for a
 * bearer token when the registry asks for one; tested with `GET /v2/` by the Query Registry Tags node.
 */
export class ContainerRegistryApi implements ICredentialType {
	name = 'containerRegistryApi';

	displayName = 'Container Registry API';

	icon: Icon = { light: 'file:../icons/registry.svg', dark: 'file:../icons/registry.dark.svg' };

	documentationUrl =
		'https://github.com/n8n-nodes-buildkit/n8n-nodes-buildkit/blob/main/docs/credentials.md#container-registry-api';

	properties: INodeProperties[] = [
		{
			displayName: 'Registry',
			name: 'registry',
			type: 'string',
			default: '',
			placeholder: 'registry.local:5000',
			description: 'Host and optional port, e.g. ghcr.io, docker.io, registry.local:5000',
			required: true,
		},
		{
			displayName: 'Username',
			name: 'username',
			type: 'string',
			default: '',
			description: 'Leave empty for anonymous access',
		},
		{
			displayName: 'Password or Token',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
		},
		{
			displayName: 'Plain HTTP',
			name: 'plainHttp',
			type: 'boolean',
			default: false,
			description: 'Whether the registry serves plain HTTP (an in-cluster registry without TLS)',
		},
		{
			displayName: 'CA Certificate',
			name: 'caCertificate',
			type: 'string',
			// Not secret, but n8n's lint treats certificate fields as sensitive; masking does no harm.
			typeOptions: { password: true, rows: 6 },
			default: '',
			placeholder: '-----BEGIN CERTIFICATE-----',
			description: 'PEM of a private CA that signed the registry certificate',
		},
	];
}
