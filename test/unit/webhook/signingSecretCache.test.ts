import {
	handleDelivery,
	ReplayCache,
	SigningSecretCache,
	type DeliveryOutcome,
} from '../../../lib/webhook';
import { SECRET, fixture, hmacHex } from './signing';

const ROTATED = 'An0ther-l0ng-shared-webhook-secret';
const push = fixture('github-push.json');

function clock(start = 1_000_000) {
	let now = start;
	return { now: () => now, advance: (ms: number) => (now += ms) };
}

/** The credential store as the trigger sees it: a secret that can be rotated, and how often it was read. */
function credentialStore(secret = SECRET) {
	const store = { secret, reads: 0, read: async () => (store.reads++, store.secret) };
	return store;
}

/** A real decision (HMAC over the fixture bytes, replay memory) for a GitHub push signed with `signedWith`. */
function deliveryDecider(
	signedWith: string,
	deliveryId: string,
	replay = new ReplayCache({ windowMs: 60_000, maxEntries: 100 }),
) {
	const headers = {
		'x-github-event': 'push',
		'x-github-delivery': deliveryId,
		'x-hub-signature-256': `sha256=${hmacHex('sha256', signedWith, push)}`,
	};
	const secretsTried: string[] = [];
	const decide = (secret: string): DeliveryOutcome => {
		secretsTried.push(secret);
		return handleDelivery(
			{ headers, rawBody: push, contentType: 'application/json' },
			{ provider: 'github', secret, maxBodyBytes: 1 << 20, filter: {} },
			replay,
		);
	};
	return { decide, secretsTried };
}

const trigger = (maxAgeMs = 60_000, credentialId = 'cred-1') => ({
	key: 'wf\u0000Trigger',
	credentialId,
	maxAgeMs,
});

describe('SigningSecretCache', () => {
	it('does not keep refusing with a remembered secret that is too short once the credential is fixed', async () => {
		const cache = new SigningSecretCache({ now: clock().now });
		const store = credentialStore('too-short');
		expect(
			(await cache.decide(trigger(), store.read, deliveryDecider('too-short', 's1').decide)).kind,
		).toBe('misconfigured');
		store.secret = SECRET;
		expect(
			(await cache.decide(trigger(), store.read, deliveryDecider(SECRET, 's2').decide)).kind,
		).toBe('accepted');
		expect(store.reads).toBe(2);
	});

	it('reads the credential once and reuses the secret until it is maxAgeMs old', async () => {
		const time = clock();
		const cache = new SigningSecretCache({ now: time.now });
		const store = credentialStore();
		for (const id of ['d1', 'd2']) {
			expect(
				(await cache.decide(trigger(), store.read, deliveryDecider(SECRET, id).decide)).kind,
			).toBe('accepted');
		}
		expect(store.reads).toBe(1);
		time.advance(59_999);
		expect(
			(await cache.decide(trigger(), store.read, deliveryDecider(SECRET, 'd3').decide)).kind,
		).toBe('accepted');
		expect(store.reads).toBe(1);
		time.advance(1);
		expect(
			(await cache.decide(trigger(), store.read, deliveryDecider(SECRET, 'd4').decide)).kind,
		).toBe('accepted');
		expect(store.reads).toBe(2);
	});

	it('accepts a rotated secret at once (a refused delivery is checked again against a fresh read)', async () => {
		const cache = new SigningSecretCache({ now: clock().now });
		const store = credentialStore();
		await cache.decide(trigger(), store.read, deliveryDecider(SECRET, 'before').decide);
		store.secret = ROTATED;
		const signedWithNew = deliveryDecider(ROTATED, 'after');
		expect((await cache.decide(trigger(), store.read, signedWithNew.decide)).kind).toBe('accepted');
		expect(signedWithNew.secretsTried).toEqual([SECRET, ROTATED]);
		expect(store.reads).toBe(2);
	});

	it('accepts the previous secret for at most maxAgeMs after a rotation it has not seen yet', async () => {
		const time = clock();
		const cache = new SigningSecretCache({ now: time.now });
		const store = credentialStore();
		await cache.decide(trigger(), store.read, deliveryDecider(SECRET, 'first').decide);
		store.secret = ROTATED;
		time.advance(30_000);
		expect(
			(await cache.decide(trigger(), store.read, deliveryDecider(SECRET, 'stale-1').decide)).kind,
		).toBe('accepted');
		time.advance(30_000);
		expect(
			(await cache.decide(trigger(), store.read, deliveryDecider(SECRET, 'stale-2').decide)).kind,
		).toBe('rejected');
	});

	it('reads the credential for every forged delivery and never checks one twice with the same secret', async () => {
		const cache = new SigningSecretCache({ now: clock().now });
		const store = credentialStore();
		await cache.decide(trigger(), store.read, deliveryDecider(SECRET, 'good').decide);
		const forged = deliveryDecider('guessed-secret-of-some-length', 'forged');
		expect(await cache.decide(trigger(), store.read, forged.decide)).toMatchObject({
			kind: 'rejected',
			status: 401,
		});
		expect(forged.secretsTried).toEqual([SECRET]);
		expect(store.reads).toBe(2);
		// Nothing was cached for a trigger that has never seen a delivery: one read, one check.
		const fresh = deliveryDecider('guessed-secret-of-some-length', 'forged-2');
		await cache.decide({ ...trigger(), key: 'other' }, store.read, fresh.decide);
		expect(fresh.secretsTried).toEqual([SECRET]);
	});

	it('keeps replay protection exact: a duplicate found with the remembered secret is not run again', async () => {
		const cache = new SigningSecretCache({ now: clock().now });
		const store = credentialStore();
		const replay = new ReplayCache({ windowMs: 60_000, maxEntries: 10 });
		expect(
			(await cache.decide(trigger(), store.read, deliveryDecider(SECRET, 'same', replay).decide))
				.kind,
		).toBe('accepted');
		const again = deliveryDecider(SECRET, 'same', replay);
		expect(await cache.decide(trigger(), store.read, again.decide)).toEqual({
			kind: 'duplicate',
			status: 200,
			deliveryId: 'same',
		});
		expect(again.secretsTried).toEqual([SECRET]);
	});

	it('reads again for another credential, after forget(), and always when maxAgeMs is 0', async () => {
		const cache = new SigningSecretCache({ now: clock().now });
		const store = credentialStore();
		await cache.decide(trigger(), store.read, deliveryDecider(SECRET, 'a').decide);
		await cache.decide(trigger(60_000, 'cred-2'), store.read, deliveryDecider(SECRET, 'b').decide);
		expect(store.reads).toBe(2);
		cache.forget(trigger().key);
		await cache.decide(trigger(60_000, 'cred-2'), store.read, deliveryDecider(SECRET, 'c').decide);
		expect(store.reads).toBe(3);
		for (const id of ['d', 'e'])
			await cache.decide(trigger(0, 'cred-2'), store.read, deliveryDecider(SECRET, id).decide);
		expect(store.reads).toBe(5);
	});

	it('remembers at most maxEntries triggers, dropping the least recently read', async () => {
		const cache = new SigningSecretCache({ now: clock().now, maxEntries: 2 });
		const store = credentialStore();
		const deliver = async (key: string, id: string) =>
			cache.decide({ ...trigger(), key }, store.read, deliveryDecider(SECRET, id).decide);
		await deliver('t1', '1');
		await deliver('t2', '2');
		await deliver('t3', '3');
		expect(store.reads).toBe(3);
		await deliver('t3', '4');
		await deliver('t2', '5');
		expect(store.reads).toBe(3);
		await deliver('t1', '6');
		expect(store.reads).toBe(4);
	});
});
