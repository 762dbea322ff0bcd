import type { HmacAlgorithm, WebhookProvider } from './types';

/** Defaults of the trigger's settings, shared with the node's parameters and its webhook handler. */
export const WEBHOOK_DEFAULTS = {
	provider: 'github' as WebhookProvider,
	/**
	 * Events that start the workflow when the Events parameter is left alone: branch pushes only. Tags are opt-in,
	 * because a tag can point at any commit, reviewed or not, and a branch filter says nothing about it.
	 */
	events: ['push'] as readonly string[],
	signatureHeader: 'X-Signature',
	signatureAlgorithm: 'sha256' as HmacAlgorithm,
	signaturePrefix: 'sha256=',
	signatureEncoding: 'hex' as 'hex' | 'base64',
	fluxAlgorithms: ['sha256'] as readonly HmacAlgorithm[],
	maxBodyBytes: 5 * 1024 * 1024,
	secretCacheSeconds: 60,
	replayMaxEntries: 10_000,
	replayWindowSeconds: 24 * 60 * 60,
} as const;
