import { bodyFingerprint } from './constantTime';
import { filterDelivery, type DeliveryFilter } from './filterDelivery';
import { normaliseDelivery } from './normaliseDelivery';
import { parseDeliveryBody } from './parseBody';
import { verifySignature } from './verifySignature';
import type { GenericSignatureScheme, HmacAlgorithm, NormalisedEvent, RequestHeaders, WebhookProvider } from './types';

export const DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024;

export interface DeliveryRequest {
	headers: RequestHeaders;
	/** The exact bytes received: signatures are over these, never over re-serialised JSON. */
	rawBody: Buffer;
	contentType?: string;
}

export interface DeliveryConfig {
	provider: WebhookProvider;
	secret: string;
	filter: DeliveryFilter;
	maxBodyBytes: number;
	fluxAlgorithms?: readonly HmacAlgorithm[];
	generic?: GenericSignatureScheme;
}

/**
 * What to do with one delivery. Only `accepted` starts an execution. `logReason` is for the server log; the
 * caller of a rejected delivery learns nothing beyond the status code.
 */
export type DeliveryOutcome =
	| { kind: 'tooLarge'; status: 413 }
	| { kind: 'rejected'; status: 401; logReason: string }
	| { kind: 'badRequest'; status: 400; message: string }
	| { kind: 'duplicate'; status: 200; deliveryId: string }
	| { kind: 'ignored'; status: 202; reason: string; event: NormalisedEvent }
	| { kind: 'accepted'; status: 200; event: NormalisedEvent };

/** Remembers delivery ids and body fingerprints; see ReplayCache. */
export interface ReplayGuard {
	isReplay(...keys: string[]): boolean;
}

/** Keys a delivery takes in the replay memory at most (id and body fingerprint): size the memory by it. */
export const REPLAY_KEYS_PER_DELIVERY = 2;

/** The names a delivery is remembered under; prefixed so that an id can never pose as a fingerprint. */
function replayKeysOf(deliveryId: string, rawBody: Buffer): string[] {
	const fingerprint = bodyFingerprint(rawBody);
	// Without an id header the id is the fingerprint already (Flux): one key, not two.
	return deliveryId === fingerprint ? [`body ${fingerprint}`] : [`id ${deliveryId}`, `body ${fingerprint}`];
}

/**
 * The whole decision for one delivery, in the order that keeps unauthenticated work small: size, signature
 * (over the raw bytes), JSON, replay, filters. Pure apart from the replay guard's memory.
 */
export function handleDelivery(request: DeliveryRequest, config: DeliveryConfig, replay: ReplayGuard): DeliveryOutcome {
	if (request.rawBody.length > config.maxBodyBytes) return { kind: 'tooLarge', status: 413 };
	const signature = verifySignature({
		provider: config.provider,
		headers: request.headers,
		rawBody: request.rawBody,
		secret: config.secret,
		fluxAlgorithms: config.fluxAlgorithms,
		generic: config.generic,
	});
	if (!signature.valid) return { kind: 'rejected', status: 401, logReason: signature.reason ?? 'invalid signature' };
	const body = parseDeliveryBody(request.rawBody, request.contentType);
	if (body === null) return { kind: 'badRequest', status: 400, message: 'The request body is not a JSON object' };
	const event = normaliseDelivery({ provider: config.provider, headers: request.headers, rawBody: request.rawBody, body, generic: config.generic });
	// The id header is not covered by the signature, so a captured delivery could be replayed under a new id;
	// the body is covered, and a real redelivery repeats it byte for byte, so it is remembered too.
	if (replay.isReplay(...replayKeysOf(event.deliveryId, request.rawBody))) return { kind: 'duplicate', status: 200, deliveryId: event.deliveryId };
	const decision = filterDelivery(event, config.filter);
	if (!decision.accept) return { kind: 'ignored', status: 202, reason: decision.reason, event };
	return { kind: 'accepted', status: 200, event };
}
