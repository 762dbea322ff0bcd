import { createHmac } from 'node:crypto';
import { verifySignature, type SignatureInput } from '../../../lib/webhook';
import { SECRET, fixture, hmacHex, oneByteChanged } from './signing';

const body = fixture('github-push.json');
const sha256 = hmacHex('sha256', SECRET, body);

function check(
	input: Partial<SignatureInput> & Pick<SignatureInput, 'provider' | 'headers'>,
): boolean {
	return verifySignature({ rawBody: body, secret: SECRET, ...input }).valid;
}

/** Forgeries every HMAC scheme must refuse, given the header value a correct sender would write. */
function forgeriesOf(correct: string, otherAlgorithm: string): Array<[string, string, Buffer?]> {
	const hexStart = correct.length - 64;
	return [
		[
			'signed with another secret',
			correct.replace(sha256, hmacHex('sha256', 'another-secret-of-decent-length', body)),
		],
		['body changed by one byte', correct, oneByteChanged(body)],
		['signature of another algorithm', otherAlgorithm],
		['truncated by one hex digit', correct.slice(0, -1)],
		['truncated to half', correct.slice(0, hexStart + 32)],
		['empty', ''],
		['upper-case hex', correct.slice(0, hexStart) + correct.slice(hexStart).toUpperCase()],
		['trailing whitespace', `${correct} `],
		['one extra hex digit', `${correct}0`],
	];
}

describe('GitHub X-Hub-Signature-256', () => {
	const correct = `sha256=${sha256}`;

	it('accepts the HMAC-SHA256 of the exact raw bytes', () => {
		expect(check({ provider: 'github', headers: { 'x-hub-signature-256': correct } })).toBe(true);
	});

	it.each([
		...forgeriesOf(correct, `sha1=${hmacHex('sha1', SECRET, body)}`),
		['upper-case prefix', `SHA256=${sha256}`],
		['prefix missing', sha256],
		['sha512 digest under the sha256 prefix', `sha256=${hmacHex('sha512', SECRET, body)}`],
	])('refuses a signature %s', (_name, header, rawBody = body) => {
		expect(check({ provider: 'github', headers: { 'x-hub-signature-256': header }, rawBody })).toBe(
			false,
		);
	});

	it('refuses a delivery with no X-Hub-Signature-256, even with a valid legacy SHA-1 X-Hub-Signature', () => {
		const result = verifySignature({
			provider: 'github',
			headers: { 'x-hub-signature': `sha1=${hmacHex('sha1', SECRET, body)}` },
			rawBody: body,
			secret: SECRET,
		});
		expect(result).toEqual({ valid: false, reason: 'missing X-Hub-Signature-256 header' });
	});

	it('refuses when the same header arrives twice', () => {
		expect(
			check({ provider: 'github', headers: { 'x-hub-signature-256': [correct, correct] } }),
		).toBe(false);
	});

	it('refuses everything when no secret is configured', () => {
		expect(
			verifySignature({
				provider: 'github',
				headers: { 'x-hub-signature-256': `sha256=${hmacHex('sha256', '', body)}` },
				rawBody: body,
				secret: '',
			}).valid,
		).toBe(false);
	});
});

describe('Gitea / Forgejo X-Gitea-Signature', () => {
	it('accepts the bare hex HMAC-SHA256 in X-Gitea-Signature, in X-Forgejo-Signature, or in both', () => {
		expect(check({ provider: 'gitea', headers: { 'x-gitea-signature': sha256 } })).toBe(true);
		expect(check({ provider: 'gitea', headers: { 'x-forgejo-signature': sha256 } })).toBe(true);
		expect(
			check({
				provider: 'gitea',
				headers: { 'x-gitea-signature': sha256, 'x-forgejo-signature': sha256 },
			}),
		).toBe(true);
	});

	it.each([
		...forgeriesOf(sha256, hmacHex('sha512', SECRET, body)),
		['GitHub-style prefix', `sha256=${sha256}`],
	])('refuses a signature %s', (_name, header, rawBody = body) => {
		expect(check({ provider: 'gitea', headers: { 'x-gitea-signature': header }, rawBody })).toBe(
			false,
		);
	});

	it('refuses a forged X-Forgejo-Signature next to a genuine X-Gitea-Signature', () => {
		expect(
			check({
				provider: 'gitea',
				headers: { 'x-gitea-signature': sha256, 'x-forgejo-signature': '0'.repeat(64) },
			}),
		).toBe(false);
	});

	it('refuses a delivery with neither header', () => {
		expect(
			check({ provider: 'gitea', headers: { 'x-hub-signature-256': `sha256=${sha256}` } }),
		).toBe(false);
	});
});

describe('GitLab X-Gitlab-Token', () => {
	it('accepts the shared token', () => {
		expect(check({ provider: 'gitlab', headers: { 'x-gitlab-token': SECRET } })).toBe(true);
	});

	it.each([
		['another token', 'a-completely-different-token-value'],
		['the token truncated', SECRET.slice(0, -1)],
		['the token with a suffix', `${SECRET}x`],
		['the token in another case', SECRET.toUpperCase()],
		['an empty token', ''],
		['an HMAC instead of the token', sha256],
	])('refuses %s', (_name, token) => {
		expect(check({ provider: 'gitlab', headers: { 'x-gitlab-token': token } })).toBe(false);
	});

	it('refuses a delivery without the header and never puts the secret in the reason', () => {
		const result = verifySignature({
			provider: 'gitlab',
			headers: {},
			rawBody: body,
			secret: SECRET,
		});
		expect(result.valid).toBe(false);
		expect(result.reason).not.toContain(SECRET);
		const wrong = verifySignature({
			provider: 'gitlab',
			headers: { 'x-gitlab-token': 'nope' },
			rawBody: body,
			secret: SECRET,
		});
		expect(wrong.reason).not.toContain(SECRET);
	});
});

describe('Flux generic-hmac X-Signature', () => {
	const fluxBody = fixture('flux-helmchart.json');
	const correct = `sha256=${hmacHex('sha256', SECRET, fluxBody)}`;
	const flux = (header: string | undefined, extra: Partial<SignatureInput> = {}) =>
		check({
			provider: 'flux',
			headers: header === undefined ? {} : { 'x-signature': header },
			rawBody: fluxBody,
			...extra,
		});

	it('accepts sha256=<hex HMAC> of the raw body', () => {
		expect(flux(correct)).toBe(true);
	});

	it('refuses sha1, and sha512 unless sha512 is allowed', () => {
		expect(flux(`sha1=${hmacHex('sha1', SECRET, fluxBody)}`)).toBe(false);
		// Even a configuration that lists sha1 does not make SHA-1 acceptable.
		expect(
			flux(`sha1=${hmacHex('sha1', SECRET, fluxBody)}`, {
				fluxAlgorithms: ['sha256', 'sha1' as never],
			}),
		).toBe(false);
		const sha512 = `sha512=${hmacHex('sha512', SECRET, fluxBody)}`;
		expect(flux(sha512)).toBe(false);
		expect(flux(sha512, { fluxAlgorithms: ['sha256', 'sha512'] })).toBe(true);
		expect(flux(correct, { fluxAlgorithms: ['sha512'] })).toBe(false);
	});

	it.each([
		[
			'signed with another secret',
			`sha256=${hmacHex('sha256', 'another-secret-of-decent-length', fluxBody)}`,
		],
		[
			'over a body changed by one byte',
			`sha256=${hmacHex('sha256', SECRET, oneByteChanged(fluxBody))}`,
		],
		['truncated', correct.slice(0, -2)],
		['empty', ''],
		['with an upper-case prefix', correct.replace('sha256=', 'SHA256=')],
		['in upper-case hex', `sha256=${hmacHex('sha256', SECRET, fluxBody).toUpperCase()}`],
		['without a prefix', hmacHex('sha256', SECRET, fluxBody)],
		['missing', undefined],
	])('refuses a signature %s', (_name, header) => {
		expect(flux(header)).toBe(false);
	});
});

describe('generic HMAC', () => {
	const scheme = {
		header: 'X-Build-Signature',
		algorithm: 'sha512' as const,
		prefix: 'v1=',
		encoding: 'hex' as const,
	};
	const sha512 = hmacHex('sha512', SECRET, body);

	it('accepts the configured header, algorithm and prefix', () => {
		expect(
			check({
				provider: 'generic',
				generic: scheme,
				headers: { 'x-build-signature': `v1=${sha512}` },
			}),
		).toBe(true);
	});

	it('accepts base64 digests when so configured', () => {
		const base64 = createHmac('sha256', SECRET).update(body).digest('base64');
		const b64 = {
			...scheme,
			algorithm: 'sha256' as const,
			prefix: '',
			encoding: 'base64' as const,
		};
		expect(
			check({ provider: 'generic', generic: b64, headers: { 'x-build-signature': base64 } }),
		).toBe(true);
	});

	it.each([
		['of the wrong algorithm', `v1=${sha256}`],
		['without the prefix', sha512],
		['truncated', `v1=${sha512.slice(0, -1)}`],
		['in another header', undefined],
	])('refuses a signature %s', (_name, header) => {
		const headers =
			header === undefined ? { 'x-signature': `v1=${sha512}` } : { 'x-build-signature': header };
		expect(check({ provider: 'generic', generic: scheme, headers })).toBe(false);
	});

	it.each(['md5', 'sha1', 'sha224', 'RSA-SHA1', 'sha3-512', 'ripemd160'])(
		'refuses a correct HMAC when the configured algorithm is %s',
		(algorithm) => {
			const weak = { ...scheme, algorithm: algorithm as 'sha256' };
			expect(
				verifySignature({
					provider: 'generic',
					generic: weak,
					rawBody: body,
					secret: SECRET,
					headers: { 'x-build-signature': `v1=${hmacHex(algorithm, SECRET, body)}` },
				}),
			).toEqual({
				valid: false,
				reason: 'the configured algorithm is not one of sha256, sha384, sha512',
			});
		},
	);
});

describe('constant-time comparison, by construction', () => {
	// The module object itself (an import would be a copy), so the spy replaces what lib/ calls.
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const nodeCrypto = require('node:crypto') as typeof import('node:crypto');
	let spy: jest.SpyInstance;
	beforeEach(() => {
		spy = jest.spyOn(nodeCrypto, 'timingSafeEqual');
	});
	afterEach(() => spy.mockRestore());

	it.each([
		['github, correct', 'github', { 'x-hub-signature-256': `sha256=${sha256}` }],
		['github, truncated', 'github', { 'x-hub-signature-256': `sha256=${sha256.slice(0, 10)}` }],
		['gitea, far too long', 'gitea', { 'x-gitea-signature': sha256.repeat(5) }],
		['gitlab, short token', 'gitlab', { 'x-gitlab-token': 'x' }],
		['gitlab, correct token', 'gitlab', { 'x-gitlab-token': SECRET }],
		['flux, wrong', 'flux', { 'x-signature': 'sha256=00' }],
	] as const)(
		'%s: decided by timingSafeEqual on two buffers of equal length',
		(_name, provider, headers) => {
			verifySignature({ provider, headers: { ...headers }, rawBody: body, secret: SECRET });
			expect(spy).toHaveBeenCalledTimes(1);
			const [a, b] = spy.mock.calls[0] as [Buffer, Buffer];
			expect(Buffer.isBuffer(a) && Buffer.isBuffer(b)).toBe(true);
			expect(a.length).toBe(b.length);
			expect(a.length).toBe(32);
		},
	);

	it('the verdict is whatever timingSafeEqual says (no other comparison decides)', () => {
		spy.mockReturnValue(true);
		expect(check({ provider: 'github', headers: { 'x-hub-signature-256': 'sha256=forged' } })).toBe(
			true,
		);
		spy.mockReturnValue(false);
		expect(
			check({ provider: 'github', headers: { 'x-hub-signature-256': `sha256=${sha256}` } }),
		).toBe(false);
	});
});
