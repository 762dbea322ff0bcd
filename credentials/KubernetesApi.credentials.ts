import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

/**
 * Access to a Kubernetes API server. Tested by the nodes that use it (`testedBy`) with a
 * SelfSubjectAccessReview for `create jobs` in the default namespace, so a passing test means builds can start.
 */
export class KubernetesApi implements ICredentialType {
	name = 'kubernetesApi';

	displayName = 'Kubernetes API';

	icon: Icon = { light: 'file:../icons/kubernetes.svg', dark: 'file:../icons/kubernetes.dark.svg' };

	documentationUrl =
		'https://github.com/n8n-nodes-buildkit/n8n-nodes-buildkit/blob/main/docs/credentials.md#kubernetes-api';

	properties: INodeProperties[] = [
		{
			displayName: 'Connect Using',
			name: 'authentication',
			type: 'options',
			default: 'kubeconfig',
			options: [
				{
					name: 'In-Cluster Service Account',
					value: 'serviceAccount',
					description: 'The token, CA and namespace mounted into the n8n pod',
				},
				{ name: 'Kubeconfig', value: 'kubeconfig', description: 'A pasted kubeconfig file' },
				{
					name: 'Server + Token',
					value: 'token',
					description: 'API server URL, bearer token and CA',
				},
			],
		},
		// eslint-disable-next-line @n8n/community-nodes/credential-unnecessary-password -- a kubeconfig carries tokens and client keys
		{
			displayName: 'Kubeconfig',
			name: 'kubeconfig',
			type: 'string',
			typeOptions: { password: true, rows: 10 },
			default: '',
			description:
				'The whole kubeconfig YAML; client certificates and tokens must be inline (no file paths)',
			displayOptions: { show: { authentication: ['kubeconfig'] } },
		},
		{
			displayName: 'Context',
			name: 'context',
			type: 'string',
			default: '',
			placeholder: 'homelab-admin',
			description: 'Context to use from the kubeconfig; empty means its current-context',
			displayOptions: { show: { authentication: ['kubeconfig'] } },
		},
		{
			displayName: 'Server',
			name: 'server',
			type: 'string',
			default: '',
			placeholder: 'https://192.168.1.10:6443',
			displayOptions: { show: { authentication: ['token'] } },
		},
		{
			displayName: 'Token',
			name: 'token',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'A service account token, e.g. from `kubectl -n automation create token n8n`',
			displayOptions: { show: { authentication: ['token'] } },
		},
		{
			displayName: 'CA Certificate',
			name: 'caCertificate',
			type: 'string',
			// Not secret, but n8n's lint treats certificate fields as sensitive; masking does no harm.
			typeOptions: { password: true, rows: 6 },
			default: '',
			placeholder: '-----BEGIN CERTIFICATE-----',
			description: 'PEM of the cluster CA; empty uses the system trust store',
			displayOptions: { show: { authentication: ['token'] } },
		},
		{
			displayName: 'Skip TLS Verification',
			name: 'skipTlsVerify',
			type: 'boolean',
			default: false,
			description: 'Whether to accept any server certificate. Only for throwaway clusters.',
			displayOptions: { show: { authentication: ['token'] } },
		},
		{
			displayName: 'Default Namespace',
			name: 'namespace',
			type: 'string',
			default: 'build-system',
			description: 'Namespace the credential test checks `create jobs` in',
		},
	];
}
