import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Bearer tokens of the stand-in: JWT-shaped (like bound service-account tokens) and signed with HS256 by a
 * secret that only the parent and its server process know, so any identity can be minted synchronously by a
 * test (`tokenFor`) and checked statelessly by the server, even across a restart.
 */
export interface TokenIdentity {
	/** Kubernetes user name, e.g. `system:serviceaccount:automation:n8n` or `kubernetes-admin`. */
	user: string;
	groups: string[];
	uid: string;
}

const ISSUER = 'https://kubernetes.default.svc.cluster.local';

function base64url(data: string | Buffer): string {
	return Buffer.from(data).toString('base64url');
}

function sign(secret: string, signingInput: string): string {
	return createHmac('sha256', secret).update(signingInput).digest('base64url');
}

export function signToken(secret: string, identity: TokenIdentity): string {
	const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: 'kube-standin' }));
	const payload = base64url(
		JSON.stringify({
			iss: ISSUER,
			aud: [ISSUER],
			sub: identity.user,
			groups: identity.groups,
			uid: identity.uid,
			iat: 1700000000,
		}),
	);
	return `${header}.${payload}.${sign(secret, `${header}.${payload}`)}`;
}

/** The identity a token proves, or undefined when it is malformed or not signed by this stand-in. */
export function verifyToken(secret: string, token: string): TokenIdentity | undefined {
	const parts = token.split('.');
	if (parts.length !== 3) return undefined;
	const expected = Buffer.from(sign(secret, `${parts[0]}.${parts[1]}`));
	const given = Buffer.from(parts[2]);
	if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
	try {
		const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
		if (typeof claims.sub !== 'string' || !Array.isArray(claims.groups)) return undefined;
		return { user: claims.sub, groups: claims.groups, uid: String(claims.uid ?? '') };
	} catch {
		return undefined;
	}
}

/** A service account's identity exactly as the real token authenticator reports it. */
export function serviceAccountIdentity(namespace: string, name: string): TokenIdentity {
	return {
		user: `system:serviceaccount:${namespace}:${name}`,
		groups: [
			'system:serviceaccounts',
			`system:serviceaccounts:${namespace}`,
			'system:authenticated',
		],
		uid: `sa-${namespace}-${name}`,
	};
}

export const ADMIN_IDENTITY: TokenIdentity = {
	user: 'kubernetes-admin',
	groups: ['system:masters', 'system:authenticated'],
	uid: 'kubernetes-admin',
};
