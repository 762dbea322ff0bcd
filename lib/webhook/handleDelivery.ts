import { triggerConfigProblem } from './checkTriggerConfig';
import { bodyFingerprint } from './constantTime';
import { duplicateRefEventReason } from './refEvents';
import { filterDelivery, type DeliveryFilter } from './filterDelivery';
import { eventHeaderOf, normaliseDelivery } from './normaliseDelivery';
import { parseDeliveryBody } from './parseBody';
import { verifySignature } from './verifySignature';
import type {
	GenericSignatureScheme,
	HmacAlgorithm,
	NormalisedEvent,
	RequestHeaders,
	WebhookProvider,
} from './types';

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
 * caller of a rejected or misconfigured delivery learns nothing beyond the status code. `misconfigured` is the
 * receiver's fault (a short secret, a weak algorithm), so it is a 500, not a 401 that would blame the sender.
 */
export type DeliveryOutcome =
	| { kind: 'tooLarge'; status: 413 }
	| { kind: 'misconfigured'; status: 500; logReason: string }
	| { kind: 'rejected'; status: 401; logReason: string }
	| { kind: 'badRequest'; status: 400; message: string }
	| { kind: 'duplicate'; status: 200; deliveryId: string }
	| { kind: 'ignored'; status: 202; reason: string; event: NormalisedEvent }
	| { kind: 'accepted'; status: 200; event: NormalisedEvent; note?: string };

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
	return deliveryId === fingerprint
		? [`body ${fingerprint}`]
		: [`id ${deliveryId}`, `body ${fingerprint}`];
}

/**
 * The whole decision for one delivery, in the order that keeps unauthenticated work small: size, the trigger's
 * own configuration, signature (over the raw bytes), JSON, replay, create/delete events a push repeats, filters. Pure apart from
 * the replay guard's memory.
 */
export function handleDelivery(
	request: DeliveryRequest,
	config: DeliveryConfig,
	replay: ReplayGuard,
): DeliveryOutcome {
	if (request.rawBody.length > config.maxBodyBytes) return { kind: 'tooLarge', status: 413 };
	const problem = triggerConfigProblem(config);
	if (problem !== null) return { kind: 'misconfigured', status: 500, logReason: problem };
	const signature = verifySignature({
		provider: config.provider,
		headers: request.headers,
		rawBody: request.rawBody,
		secret: config.secret,
		fluxAlgorithms: config.fluxAlgorithms,
		generic: config.generic,
	});
	if (!signature.valid)
		return { kind: 'rejected', status: 401, logReason: signature.reason ?? 'invalid signature' };
	const body = parseDeliveryBody(request.rawBody, request.contentType);
	if (body === null)
		return { kind: 'badRequest', status: 400, message: 'The request body is not a JSON object' };
	const event = normaliseDelivery({
		provider: config.provider,
		headers: request.headers,
		rawBody: request.rawBody,
		body,
		generic: config.generic,
	});
	// The id header is not covered by the signature, so a captured delivery could be replayed under a new id;
	// the body is covered, and a real redelivery repeats it byte for byte, so it is remembered too.
	if (replay.isReplay(...replayKeysOf(event.deliveryId, request.rawBody)))
		return { kind: 'duplicate', status: 200, deliveryId: event.deliveryId };
	const duplicate = duplicateRefEventReason(eventHeaderOf(config.provider, request.headers), event);
	if (duplicate !== null) return { kind: 'ignored', status: 202, reason: duplicate, event };
	const decision = filterDelivery(event, config.filter);
	if (!decision.accept) return { kind: 'ignored', status: 202, reason: decision.reason, event };
	return decision.note
		? { kind: 'accepted', status: 200, event, note: decision.note }
		: { kind: 'accepted', status: 200, event };
}
