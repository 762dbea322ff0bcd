/** Who sent the delivery; decides the signature scheme and the payload shape. */
export type WebhookProvider = 'github' | 'gitea' | 'gitlab' | 'flux' | 'generic';

export const WEBHOOK_PROVIDERS: readonly WebhookProvider[] = [
	'github',
	'gitea',
	'gitlab',
	'flux',
	'generic',
];

/** Hash functions a generic sender may sign with. SHA-1 and MD5 are deliberately absent. */
export type HmacAlgorithm = 'sha256' | 'sha384' | 'sha512';

/** The only HMAC hashes any provider may use; checked at runtime too, since parameters can be expressions. */
export const HMAC_ALGORITHMS: readonly HmacAlgorithm[] = ['sha256', 'sha384', 'sha512'];

export function isHmacAlgorithm(value: unknown): value is HmacAlgorithm {
	return typeof value === 'string' && (HMAC_ALGORITHMS as readonly string[]).includes(value);
}

/** Header names as Node delivers them: lower-case keys, repeated headers as arrays. */
export type RequestHeaders = Record<string, string | string[] | undefined>;

/** How a generic sender signs: which header, which hash, what comes before the digest, how the digest is written. */
export interface GenericSignatureScheme {
	header: string;
	algorithm: HmacAlgorithm;
	prefix: string;
	encoding: 'hex' | 'base64';
	/** Header that carries a delivery id; empty means "hash of the body". */
	deliveryIdHeader?: string;
	/** Header that names the event; empty means "push"/"tag" from the payload shape. */
	eventHeader?: string;
}

/** The Flux object an event is about (notification-controller's `involvedObject`). */
export interface FluxInvolvedObject {
	kind: string;
	name: string;
	namespace: string;
	apiVersion?: string;
	uid?: string;
}

/**
 * One delivery, described the same way whoever sent it.
 * `event` is `push` (branch), `tag`, `delete` (a branch or tag was deleted), `create` (GitHub's and Gitea's
 * create event), the provider's own event name for anything else (e.g. `ping`), or for Flux the event's `reason`.
 */
export interface NormalisedEvent {
	provider: WebhookProvider;
	event: string;
	repository: { name: string | null; cloneUrl: string | null };
	ref: string | null;
	branch: string | null;
	tag: string | null;
	/** The full commit SHA the ref now points at; null when the payload names none (or only a short one). */
	commit: string | null;
	/** When that commit was made (ISO 8601), where the payload lists it; orders deliveries (Bump Git Manifest's Source Commit Time). */
	commitTimestamp: string | null;
	changedFiles: string[];
	/** False when the payload may not name every changed file (commits cut or unlisted, force push, new branch). */
	changedFilesComplete: boolean;
	/** For a push whose changedFiles may be incomplete: why, in words (also sent back to the sender when it matters). */
	changedFilesIncompleteReason?: string;
	deliveryId: string;
	involvedObject?: FluxInvolvedObject;
	revision?: string;
	severity?: string;
	message?: string;
	/** OCI or artifact digest from a Flux revision such as `latest@sha256:…`. */
	digest?: string;
	/** The parsed body, only for the generic provider (its shape is unknown to us). */
	payload?: unknown;
}
