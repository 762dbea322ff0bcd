import type { INodeProperties } from 'n8n-workflow';
import { WEBHOOK_DEFAULTS } from '../../lib/webhook/defaults';

const notFlux = { hide: { provider: ['flux'] } };

export const signedWebhookTriggerProperties: INodeProperties[] = [
	{
		displayName: 'Provider',
		name: 'provider',
		type: 'options',
		noDataExpression: true,
		default: WEBHOOK_DEFAULTS.provider,
		options: [
			{
				name: 'Flux (Generic-Hmac Alert Provider)',
				value: 'flux',
				description: 'X-Signature: sha256=… from notification-controller',
			},
			{
				name: 'Generic HMAC',
				value: 'generic',
				description: 'Any sender that signs the body with an HMAC in a header',
			},
			{
				name: 'Gitea / Forgejo',
				value: 'gitea',
				description: 'X-Gitea-Signature / X-Forgejo-Signature (hex)',
			},
			{ name: 'GitHub', value: 'github', description: 'X-Hub-Signature-256: sha256=…' },
			{ name: 'GitLab', value: 'gitlab', description: 'X-Gitlab-Token (the secret token)' },
		],
		description:
			'Who sends the webhook; decides how the signature is checked and how the payload is read',
	},
	{
		displayName: 'Path',
		name: 'path',
		type: 'string',
		default: 'build-hook',
		required: true,
		placeholder: 'build-hook',
		description:
			'The webhook listens on &lt;n8n URL&gt;/webhook/&lt;path&gt;; configure that URL in the sender',
	},
	{
		displayName: 'Events',
		name: 'events',
		type: 'multiOptions',
		default: [...WEBHOOK_DEFAULTS.events],
		options: [
			{ name: 'Branch Push', value: 'push', description: 'Commits pushed to a branch' },
			{
				name: 'Tag Push',
				value: 'tag',
				description: 'A tag created or moved (a tag can point at any commit: filter with Tags)',
			},
			{ name: 'Ref Deleted', value: 'delete', description: 'A branch or tag deleted' },
			{
				name: 'Ping',
				value: 'ping',
				description: 'The test delivery GitHub sends when a webhook is created',
			},
		],
		description:
			'Which events start the workflow; others are answered 202 "ignored". Tag pushes are off unless chosen here.',
		displayOptions: notFlux,
	},
	{
		displayName: 'Flux Reasons',
		name: 'fluxReasons',
		type: 'string',
		default: '',
		placeholder: 'ChartPackageSucceeded, ReconciliationSucceeded',
		description:
			'Comma-separated Flux event reasons that start the workflow; empty means every event the Alert sends',
		displayOptions: { show: { provider: ['flux'] } },
	},
	{
		displayName: 'Branches',
		name: 'branches',
		type: 'string',
		default: '',
		placeholder: 'main, release/*',
		description:
			'Comma-separated branch globs; a push to any other branch is ignored. Prefix with ! to exclude. Empty means all branches. While set, tag events are ignored unless Tags is set too.',
	},
	{
		displayName: 'Tags',
		name: 'tags',
		type: 'string',
		default: '',
		placeholder: 'v*',
		description:
			'Comma-separated tag globs for tag events. Empty means all tags, or none when Branches is set.',
	},
	{
		displayName: 'Changed Paths',
		name: 'paths',
		type: 'string',
		default: '',
		placeholder: 'src/**, Dockerfile, !**/*.md',
		description:
			"Comma-separated path globs: a push whose changed files match none of them is ignored, so the pipeline's own manifest-bump commit (e.g. only deploy/) does not start another build. A push whose payload may not list every changed file (force push, new branch, cut commit list) is let through. Empty means any change.",
		displayOptions: notFlux,
	},
	{
		displayName: 'Signature Header',
		name: 'signatureHeader',
		type: 'string',
		default: WEBHOOK_DEFAULTS.signatureHeader,
		required: true,
		description: 'Request header that carries the signature',
		displayOptions: { show: { provider: ['generic'] } },
	},
	{
		displayName: 'Algorithm',
		name: 'signatureAlgorithm',
		type: 'options',
		default: WEBHOOK_DEFAULTS.signatureAlgorithm,
		options: [
			{ name: 'HMAC-SHA256', value: 'sha256' },
			{ name: 'HMAC-SHA384', value: 'sha384' },
			{ name: 'HMAC-SHA512', value: 'sha512' },
		],
		displayOptions: { show: { provider: ['generic'] } },
	},
	{
		displayName: 'Signature Prefix',
		name: 'signaturePrefix',
		type: 'string',
		default: WEBHOOK_DEFAULTS.signaturePrefix,
		description:
			'Text before the digest in the header, exactly as the sender writes it (empty for a bare digest)',
		displayOptions: { show: { provider: ['generic'] } },
	},
	{
		displayName: 'Digest Encoding',
		name: 'signatureEncoding',
		type: 'options',
		default: WEBHOOK_DEFAULTS.signatureEncoding,
		options: [
			{ name: 'Hex (Lower-Case)', value: 'hex' },
			{ name: 'Base64', value: 'base64' },
		],
		displayOptions: { show: { provider: ['generic'] } },
	},
	{
		displayName: 'Delivery ID Header',
		name: 'deliveryIdHeader',
		type: 'string',
		default: '',
		placeholder: 'X-Delivery-ID',
		description:
			'Header with a unique ID per delivery, used to drop replays; empty uses a hash of the body',
		displayOptions: { show: { provider: ['generic'] } },
	},
	{
		displayName: 'Event Header',
		name: 'eventHeader',
		type: 'string',
		default: '',
		placeholder: 'X-Event',
		description: 'Header that names the event; empty derives push/tag from the payload\'s "ref"',
		displayOptions: { show: { provider: ['generic'] } },
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Accepted Flux Algorithms',
				name: 'fluxAlgorithms',
				type: 'multiOptions',
				default: [...WEBHOOK_DEFAULTS.fluxAlgorithms],
				options: [
					{ name: 'SHA-256', value: 'sha256' },
					{ name: 'SHA-384', value: 'sha384' },
					{ name: 'SHA-512', value: 'sha512' },
				],
				description:
					'X-Signature prefixes to accept; Flux signs with sha256. SHA-1 is never accepted.',
				displayOptions: { show: { '/provider': ['flux'] } },
			},
			{
				displayName: 'Max Body Size (Bytes)',
				name: 'maxBodyBytes',
				type: 'number',
				default: WEBHOOK_DEFAULTS.maxBodyBytes,
				typeOptions: { minValue: 1024 },
				description: 'Larger deliveries are refused with 413 before their signature is checked',
			},
			{
				displayName: 'Remember Secret (Seconds)',
				name: 'secretCacheSeconds',
				type: 'number',
				default: WEBHOOK_DEFAULTS.secretCacheSeconds,
				typeOptions: { minValue: 0 },
				description:
					'How long the secret read from the credential is reused; a changed secret works at once, the previous one is still accepted for at most this long. 0 reads the credential for every delivery (n8n takes tens of milliseconds for that).',
			},
			{
				displayName: 'Replay Memory (Deliveries)',
				name: 'replayMaxEntries',
				type: 'number',
				default: WEBHOOK_DEFAULTS.replayMaxEntries,
				typeOptions: { minValue: 1 },
				description:
					'How many deliveries (ID and body fingerprint each) this trigger remembers at most; the oldest are forgotten first',
			},
			{
				displayName: 'Replay Window (Seconds)',
				name: 'replayWindowSeconds',
				type: 'number',
				default: WEBHOOK_DEFAULTS.replayWindowSeconds,
				typeOptions: { minValue: 0 },
				description:
					'A delivery whose ID or signed body was seen within this window is answered 200 and starts nothing; 0 turns replay protection off',
			},
		],
	},
];
