import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

/** The shared secret a git host or Flux signs webhook deliveries with (HMAC key, or GitLab's token). */
export class WebhookSigningSecretApi implements ICredentialType {
	name = 'webhookSigningSecretApi';

	displayName = 'Webhook Signing Secret API';

	icon: Icon = { light: 'file:../icons/webhook.svg', dark: 'file:../icons/webhook.dark.svg' };

	documentationUrl =
		'https://github.com/n8n-nodes-buildkit/n8n-nodes-buildkit/blob/main/docs/credentials.md#webhook-signing-secret-api';

	properties: INodeProperties[] = [
		{
			displayName: 'Secret',
			name: 'secret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'The same secret as in the sender (GitHub/Gitea webhook secret, GitLab token, Flux Secret "token")',
		},
	];
}
