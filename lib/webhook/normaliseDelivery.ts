import { bodyFingerprint } from './constantTime';
import { firstHeader } from './headers';
import { describeFluxEvent } from './normaliseFlux';
import {
	describeGitHubStylePush,
	describeGitLabPush,
	type GitEventDescription,
} from './normaliseGitPush';
import type {
	GenericSignatureScheme,
	NormalisedEvent,
	RequestHeaders,
	WebhookProvider,
} from './types';

export interface DeliveryInput {
	provider: WebhookProvider;
	headers: RequestHeaders;
	rawBody: Buffer;
	/** The parsed JSON body. */
	body: unknown;
	generic?: GenericSignatureScheme;
}

/**
 * Headers that carry a sender's id for one delivery, most retry-stable first. GitLab's Idempotency-Key stays
 * the same when a delivery is retried; X-Gitlab-Event-UUID is the id GitLab documents per event.
 */
const DELIVERY_ID_HEADERS: Record<Exclude<WebhookProvider, 'generic'>, readonly string[]> = {
	github: ['x-github-delivery'],
	gitea: ['x-gitea-delivery', 'x-forgejo-delivery', 'x-gogs-delivery'],
	gitlab: ['idempotency-key', 'x-gitlab-event-uuid', 'x-gitlab-webhook-uuid'],
	// Flux sends no id; the body (which carries the event timestamp) is the identity.
	flux: [],
};

const EVENT_HEADERS: Record<Exclude<WebhookProvider, 'generic' | 'flux'>, readonly string[]> = {
	github: ['x-github-event'],
	gitea: ['x-gitea-event', 'x-forgejo-event', 'x-gogs-event'],
	gitlab: ['x-gitlab-event'],
};

/** The provider's own event name from its event header (X-GitHub-Event, X-Gitea-Event, …), or null. */
export function eventHeaderOf(provider: WebhookProvider, headers: RequestHeaders): string | null {
	if (provider === 'generic' || provider === 'flux') return null;
	return firstHeader(headers, EVENT_HEADERS[provider]) ?? null;
}

/** The delivery id from the sender's header, or a SHA-256 of the raw body when there is none. */
export function deliveryIdOf(
	input: Pick<DeliveryInput, 'provider' | 'headers' | 'rawBody' | 'generic'>,
): string {
	const names =
		input.provider === 'generic'
			? [input.generic?.deliveryIdHeader ?? ''].filter(Boolean)
			: DELIVERY_ID_HEADERS[input.provider];
	return firstHeader(input.headers, names) ?? bodyFingerprint(input.rawBody);
}

/**
 * A generic sender's payload is described like a GitHub-style push when it looks like one (it has a `ref`),
 * and is otherwise passed on as it is; the event comes from the configured header, else from the shape.
 */
function describeGeneric(input: DeliveryInput): GitEventDescription {
	const headerEvent = input.generic?.eventHeader
		? (firstHeader(input.headers, [input.generic.eventHeader]) ?? null)
		: null;
	const looksLikePush = typeof (input.body as { ref?: unknown } | null)?.ref === 'string';
	const described = describeGitHubStylePush(
		'generic',
		headerEvent ?? (looksLikePush ? 'push' : 'unknown'),
		input.body,
	);
	return { ...described, payload: input.body };
}

function describe(input: DeliveryInput): GitEventDescription {
	switch (input.provider) {
		case 'github':
		case 'gitea':
			return describeGitHubStylePush(
				input.provider,
				eventHeaderOf(input.provider, input.headers),
				input.body,
			);
		case 'gitlab':
			return describeGitLabPush(eventHeaderOf('gitlab', input.headers), input.body);
		case 'flux':
			return describeFluxEvent(input.body);
		case 'generic':
			return describeGeneric(input);
	}
}

/** One verified delivery as the trigger's output item (docs/nodes/signed-webhook-trigger.md). */
export function normaliseDelivery(input: DeliveryInput): NormalisedEvent {
	return { ...describe(input), deliveryId: deliveryIdOf(input) };
}
