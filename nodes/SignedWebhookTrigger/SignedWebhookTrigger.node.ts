import {
	fromParameter,
	NodeConnectionTypes,
	NodeOperationError,
	webhookDescriptionFields,
	type IDataObject,
	type IHookFunctions,
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
	type IWebhookResponseData,
} from 'n8n-workflow';
import type {
	DeliveryConfig,
	GenericSignatureScheme,
	HmacAlgorithm,
	ReplayCacheRegistry,
	SigningSecretCache,
	WebhookProvider,
} from '../../lib/webhook';
import { WEBHOOK_DEFAULTS } from '../../lib/webhook/defaults';
import { signedWebhookTriggerProperties } from './SignedWebhookTrigger.properties';
import { webhookSigningSecretTest } from '../shared/credentialTests';
import { listParameter } from '../shared/listParameter';

/**
 * Replay memory lives in this process, per workflow trigger. Static data would survive restarts but is read and
 * written per request with no lock, so two quick copies of one delivery could both pass; an in-process map
 * checks and records in one synchronous step. Across several webhook processes (queue mode) a duplicate can
 * still get through once; the build Job's deterministic name absorbs it downstream. Made with the engine, on the
 * first delivery.
 */
let replayCaches: ReplayCacheRegistry | undefined;

/** Signing secrets per workflow trigger, so most deliveries skip n8n's costly credential read (see SigningSecretCache). */
let signingSecrets: SigningSecretCache | undefined;

/**
 * The webhook path declared the way n8n 2.41 declares its own Webhook node's: the template the editor reads plus
 * a native resolver, so n8n doesn't evaluate an expression for the path on every delivery. Older n8n-workflow
 * versions lack the helpers and read the plain template.
 */
const webhookPathField =
	typeof webhookDescriptionFields === 'function' && typeof fromParameter === 'function'
		? webhookDescriptionFields({ path: fromParameter('path') })
		: { path: '={{$parameter["path"]}}' };

/** Replay memory and the remembered secret are per workflow and per trigger node. */
function triggerKey(context: IWebhookFunctions | IHookFunctions): string {
	return `${context.getWorkflow().id ?? ''}\u0000${context.getNode().name}`;
}

function genericScheme(context: IWebhookFunctions | IHookFunctions): GenericSignatureScheme {
	return {
		header: String(context.getNodeParameter('signatureHeader', WEBHOOK_DEFAULTS.signatureHeader)),
		algorithm: context.getNodeParameter(
			'signatureAlgorithm',
			WEBHOOK_DEFAULTS.signatureAlgorithm,
		) as HmacAlgorithm,
		prefix: String(context.getNodeParameter('signaturePrefix', WEBHOOK_DEFAULTS.signaturePrefix)),
		encoding: context.getNodeParameter('signatureEncoding', WEBHOOK_DEFAULTS.signatureEncoding) as
			'hex' | 'base64',
		deliveryIdHeader: String(context.getNodeParameter('deliveryIdHeader', '')),
		eventHeader: String(context.getNodeParameter('eventHeader', '')),
	};
}

function deliveryConfig(
	context: IWebhookFunctions,
	options: IDataObject,
): Omit<DeliveryConfig, 'secret'> {
	const provider = context.getNodeParameter(
		'provider',
		WEBHOOK_DEFAULTS.provider,
	) as WebhookProvider;
	const isFlux = provider === 'flux';
	return {
		provider,
		maxBodyBytes: Number(options.maxBodyBytes ?? WEBHOOK_DEFAULTS.maxBodyBytes),
		filter: {
			events: listParameter(
				context.getNodeParameter(
					isFlux ? 'fluxReasons' : 'events',
					isFlux ? '' : [...WEBHOOK_DEFAULTS.events],
				),
			),
			branches: listParameter(context.getNodeParameter('branches', '')),
			tags: listParameter(context.getNodeParameter('tags', '')),
			paths: isFlux ? [] : listParameter(context.getNodeParameter('paths', '')),
		},
		fluxAlgorithms: isFlux
			? (listParameter(
					options.fluxAlgorithms ?? [...WEBHOOK_DEFAULTS.fluxAlgorithms],
				) as HmacAlgorithm[])
			: undefined,
		generic: provider === 'generic' ? genericScheme(context) : undefined,
	};
}

/** Answers the sender directly; the returned `noWebhookResponse` tells n8n to start no execution. */
function respond(
	context: IWebhookFunctions,
	status: number,
	body?: IDataObject,
): IWebhookResponseData {
	const response = context.getResponseObject();
	if (body) response.status(status).json(body);
	else response.status(status).end();
	return { noWebhookResponse: true };
}

export class SignedWebhookTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Signed Webhook Trigger',
		name: 'signedWebhookTrigger',
		icon: { light: 'file:../../icons/webhook.svg', dark: 'file:../../icons/webhook.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{$parameter["provider"] + ": /" + $parameter["path"]}}',
		description:
			'Starts the workflow on a correctly signed push, tag or Flux event (GitHub, Gitea/Forgejo, GitLab, Flux, generic HMAC), filtered by branch and changed paths',
		defaults: { name: 'Signed Webhook Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'webhookSigningSecretApi', required: true, testedBy: 'webhookSigningSecretTest' },
		],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				// n8n 2.41 sends its default ('firstEntryJson', as text) unless this is blank; blank sends webhookResponse.
				responseData: '',
				...webhookPathField,
				isFullPath: true,
			},
		],
		properties: signedWebhookTriggerProperties,
	};

	/**
	 * Nothing is registered with the sender (its webhook URL and secret are set there by hand, as for n8n's own
	 * Webhook node), so the lifecycle manages this trigger's local state: deactivation frees the replay memory.
	 * create() keeps it, because n8n also runs create() again for a workflow that is already active.
	 */
	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				return false;
			},
			/** Activation fails, with the setting to fix, when no delivery could be checked safely (see webhook()). */
			async create(this: IHookFunctions): Promise<boolean> {
				const provider = this.getNodeParameter(
					'provider',
					WEBHOOK_DEFAULTS.provider,
				) as WebhookProvider;
				const secret = String((await this.getCredentials('webhookSigningSecretApi')).secret ?? '');
				const { triggerConfigProblem } = await import('../../lib/webhook');
				const problem = triggerConfigProblem({
					provider,
					secret,
					generic: provider === 'generic' ? genericScheme(this) : undefined,
				});
				if (problem !== null)
					throw new NodeOperationError(
						this.getNode(),
						`This trigger cannot check deliveries: ${problem}`,
					);
				signingSecrets?.forget(triggerKey(this));
				return true;
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				replayCaches?.forget(triggerKey(this));
				signingSecrets?.forget(triggerKey(this));
				return true;
			},
		},
	};

	methods = {
		credentialTest: { webhookSigningSecretTest },
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const request = this.getRequestObject();
		const options = this.getNodeParameter('options', {}) as IDataObject;
		const maxBodyBytes = Number(options.maxBodyBytes ?? WEBHOOK_DEFAULTS.maxBodyBytes);

		// Refuse what is declared too big before reading it; what arrives chunked is measured after reading.
		if (Number(request.headers['content-length'] ?? 0) > maxBodyBytes) return respond(this, 413);
		if (request.headers['content-type']?.toLowerCase().startsWith('multipart/')) {
			return respond(this, 400, { status: 'error', message: 'Expected a JSON body' });
		}
		try {
			if (!request.rawBody) await request.readRawBody();
		} catch (error) {
			const status =
				(error as { status?: number; statusCode?: number }).status ??
				(error as { statusCode?: number }).statusCode;
			return respond(this, status === 413 ? 413 : 400);
		}

		const { handleDelivery, REPLAY_KEYS_PER_DELIVERY, ReplayCacheRegistry, SigningSecretCache } =
			await import('../../lib/webhook');
		replayCaches ??= new ReplayCacheRegistry();
		signingSecrets ??= new SigningSecretCache();
		const config = deliveryConfig(this, options);
		const replayWindowSeconds = Number(
			options.replayWindowSeconds ?? WEBHOOK_DEFAULTS.replayWindowSeconds,
		);
		const replay =
			replayWindowSeconds > 0
				? replayCaches.cacheFor(triggerKey(this), {
						windowMs: replayWindowSeconds * 1000,
						maxEntries:
							Number(options.replayMaxEntries ?? WEBHOOK_DEFAULTS.replayMaxEntries) *
							REPLAY_KEYS_PER_DELIVERY,
					})
				: { isReplay: () => false };

		const delivery = {
			headers: request.headers,
			rawBody: request.rawBody ?? Buffer.alloc(0),
			contentType: request.headers['content-type'],
		};
		const secretHolder = {
			key: triggerKey(this),
			credentialId: String(this.getNode().credentials?.webhookSigningSecretApi?.id ?? ''),
			maxAgeMs: Number(options.secretCacheSeconds ?? WEBHOOK_DEFAULTS.secretCacheSeconds) * 1000,
		};
		const readSecret = async () =>
			String((await this.getCredentials('webhookSigningSecretApi')).secret ?? '');
		const outcome = await signingSecrets.decide(secretHolder, readSecret, (secret) =>
			handleDelivery(delivery, { ...config, secret }, replay),
		);
		switch (outcome.kind) {
			case 'tooLarge':
				return respond(this, 413);
			case 'misconfigured':
				// The operator's problem, named in the log; the sender only learns that the receiver failed.
				this.logger.error(
					`Signed Webhook Trigger "${this.getNode().name}" cannot check deliveries: ${outcome.logReason}`,
				);
				return respond(this, 500);
			case 'rejected':
				// The reason names a header, never a value: safe to log, useless to a forger, so not sent back.
				this.logger.warn(
					`Signed Webhook Trigger "${this.getNode().name}" refused a delivery: ${outcome.logReason}`,
				);
				return respond(this, 401);
			case 'badRequest':
				return respond(this, 400, { status: 'error', message: outcome.message });
			case 'duplicate':
				return respond(this, 200, { status: 'duplicate', deliveryId: outcome.deliveryId });
			case 'ignored':
				return respond(this, 202, { status: 'ignored', reason: outcome.reason });
			case 'accepted':
				return {
					workflowData: [[{ json: outcome.event as unknown as IDataObject }]],
					webhookResponse: {
						status: 'accepted',
						deliveryId: outcome.event.deliveryId,
						...(outcome.note ? { note: outcome.note } : {}),
					},
				};
		}
	}
}
