import { equalsInConstantTime, hmacDigest } from './constantTime';
import { readHeader } from './headers';
import {
	HMAC_ALGORITHMS,
	isHmacAlgorithm,
	type GenericSignatureScheme,
	type HmacAlgorithm,
	type RequestHeaders,
	type WebhookProvider,
} from './types';

export interface SignatureCheck {
	valid: boolean;
	/** Why a delivery was refused, for the server log only: never sent to the caller, never contains a secret. */
	reason?: string;
}

export interface SignatureInput {
	provider: WebhookProvider;
	headers: RequestHeaders;
	rawBody: Buffer;
	secret: string;
	/** Flux: which `X-Signature` prefixes to accept. Flux signs with sha256; add others only if your sender uses them. */
	fluxAlgorithms?: readonly HmacAlgorithm[];
	generic?: GenericSignatureScheme;
}

const GITEA_SIGNATURE_HEADERS = ['x-gitea-signature', 'x-forgejo-signature'] as const;

function missing(header: string): SignatureCheck {
	return { valid: false, reason: `missing ${header} header` };
}

function compare(header: string, provided: string, expected: string): SignatureCheck {
	return equalsInConstantTime(provided, expected)
		? { valid: true }
		: { valid: false, reason: `${header} does not match` };
}

function verifyGitHub(input: SignatureInput): SignatureCheck {
	const provided = readHeader(input.headers, 'x-hub-signature-256');
	if (!provided) return missing('X-Hub-Signature-256');
	return compare(
		'X-Hub-Signature-256',
		provided,
		`sha256=${hmacDigest('sha256', input.secret, input.rawBody)}`,
	);
}

/**
 * Gitea signs with a bare hex HMAC-SHA256 in X-Gitea-Signature; Forgejo sends the same value in
 * X-Forgejo-Signature too. Every one of them that is present must match, so a forged second header can't ride
 * along with a genuine first one.
 */
function verifyGitea(input: SignatureInput): SignatureCheck {
	const expected = hmacDigest('sha256', input.secret, input.rawBody);
	const present = GITEA_SIGNATURE_HEADERS.map(
		(name) => [name, readHeader(input.headers, name)] as const,
	).filter(([, value]) => value !== undefined && value !== '');
	if (present.length === 0) return missing('X-Gitea-Signature (or X-Forgejo-Signature)');
	// Compare all before deciding, so the time taken does not depend on which one failed.
	const results = present.map(([name, value]) => compare(name, value as string, expected));
	return results.find((result) => !result.valid) ?? { valid: true };
}

/** GitLab sends the shared secret itself as X-Gitlab-Token; it is compared, never echoed. */
function verifyGitLab(input: SignatureInput): SignatureCheck {
	const provided = readHeader(input.headers, 'x-gitlab-token');
	if (!provided) return missing('X-Gitlab-Token');
	return compare('X-Gitlab-Token', provided, input.secret);
}

/**
 * Flux notification-controller's generic-hmac provider: `X-Signature: <algorithm>=<hex HMAC of the body>`.
 * The prefix names the algorithm, so it is checked against an allow-list first: a sender must not be able to
 * pick a weaker hash than the one configured.
 */
function verifyFlux(input: SignatureInput): SignatureCheck {
	const provided = readHeader(input.headers, 'x-signature');
	if (!provided) return missing('X-Signature');
	// Flux also knows sha1; it is never accepted, whatever the configuration says.
	const configured = (input.fluxAlgorithms ?? []).filter(isHmacAlgorithm);
	const allowed: readonly string[] = configured.length ? configured : ['sha256'];
	const algorithm = provided.slice(0, Math.max(provided.indexOf('='), 0));
	if (!allowed.includes(algorithm)) {
		return { valid: false, reason: `X-Signature algorithm is not one of ${allowed.join(', ')}` };
	}
	return compare(
		'X-Signature',
		provided,
		`${algorithm}=${hmacDigest(algorithm, input.secret, input.rawBody)}`,
	);
}

/**
 * The configured scheme's hash is checked here as well as when the trigger is activated: parameters can be
 * expressions, and the type alone does not stop `md5`, `sha1` or any other OpenSSL digest name at runtime.
 */
function verifyGeneric(input: SignatureInput): SignatureCheck {
	const scheme = input.generic;
	if (!scheme?.header)
		return { valid: false, reason: 'generic mode needs a signature header name' };
	if (!isHmacAlgorithm(scheme.algorithm))
		return {
			valid: false,
			reason: `the configured algorithm is not one of ${HMAC_ALGORITHMS.join(', ')}`,
		};
	const provided = readHeader(input.headers, scheme.header);
	if (!provided) return missing(scheme.header);
	const digest = hmacDigest(scheme.algorithm, input.secret, input.rawBody, scheme.encoding);
	return compare(scheme.header, provided, `${scheme.prefix}${digest}`);
}

const verifiers: Record<WebhookProvider, (input: SignatureInput) => SignatureCheck> = {
	github: verifyGitHub,
	gitea: verifyGitea,
	gitlab: verifyGitLab,
	flux: verifyFlux,
	generic: verifyGeneric,
};

/**
 * Checks a delivery's signature over the exact raw request bytes, in constant time. The comparison is of the
 * whole header value against the whole expected value, so prefix and hex case are part of the match:
 * `SHA256=` or upper-case hex is not what any of these senders writes, and is refused.
 */
export function verifySignature(input: SignatureInput): SignatureCheck {
	if (!input.secret) return { valid: false, reason: 'no signing secret configured' };
	return verifiers[input.provider](input);
}
