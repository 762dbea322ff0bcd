import {
	handleDelivery,
	ReplayCache,
	type DeliveryConfig,
	type DeliveryRequest,
} from '../../../lib/webhook';
import { SECRET, fixture, hmacHex } from './signing';

const body = fixture('github-push.json');

function signedRequest(rawBody = body, extra: Record<string, string> = {}): DeliveryRequest {
	return {
		rawBody,
		contentType: 'application/json',
		headers: {
			'x-github-event': 'push',
			'x-github-delivery': 'delivery-1',
			'x-hub-signature-256': `sha256=${hmacHex('sha256', SECRET, rawBody)}`,
			...extra,
		},
	};
}

const config: DeliveryConfig = {
	provider: 'github',
	secret: SECRET,
	maxBodyBytes: 1024 * 1024,
	filter: { events: ['push', 'tag'] },
};
const freshReplay = () => new ReplayCache({ windowMs: 60_000, maxEntries: 100 });

describe('handleDelivery', () => {
	it('accepts a correctly signed push and returns the normalised event', () => {
		const outcome = handleDelivery(signedRequest(), config, freshReplay());
		expect(outcome.kind).toBe('accepted');
		expect(outcome.kind === 'accepted' && outcome.event).toMatchObject({
			provider: 'github',
			event: 'push',
			deliveryId: 'delivery-1',
			branch: 'main',
		});
	});

	it('refuses a forged delivery (401) before parsing or remembering it', () => {
		const replay = freshReplay();
		const outcome = handleDelivery(
			signedRequest(body, { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` }),
			config,
			replay,
		);
		expect(outcome).toEqual({
			kind: 'rejected',
			status: 401,
			logReason: 'X-Hub-Signature-256 does not match',
		});
		expect(replay.size).toBe(0);
		// A forged non-JSON body is 401 too, not 400: nothing about an unsigned body is looked at.
		expect(
			handleDelivery(
				{
					...signedRequest(Buffer.from('not json')),
					headers: { 'x-hub-signature-256': 'sha256=00' },
				},
				config,
				replay,
			).kind,
		).toBe('rejected');
	});

	it('refuses an oversized body (413) before checking its signature', () => {
		const outcome = handleDelivery(
			signedRequest(),
			{ ...config, maxBodyBytes: body.length - 1 },
			freshReplay(),
		);
		expect(outcome).toEqual({ kind: 'tooLarge', status: 413 });
		expect(
			handleDelivery(signedRequest(), { ...config, maxBodyBytes: body.length }, freshReplay()).kind,
		).toBe('accepted');
	});

	it.each([
		['plain text', 'hello'],
		['a JSON array', '[1,2]'],
		['a JSON string', '"push"'],
		['truncated JSON', '{"ref":'],
	])('answers 400 to a correctly signed body that is %s', (_name, text) => {
		expect(handleDelivery(signedRequest(Buffer.from(text)), config, freshReplay())).toMatchObject({
			kind: 'badRequest',
			status: 400,
		});
	});

	it('reads GitHub form-encoded deliveries (payload=<json>), signed over the form bytes', () => {
		const form = Buffer.from(`payload=${encodeURIComponent(body.toString())}`);
		const outcome = handleDelivery(
			{ ...signedRequest(form), contentType: 'application/x-www-form-urlencoded' },
			config,
			freshReplay(),
		);
		expect(outcome.kind).toBe('accepted');
	});

	it('answers a replayed delivery id with "duplicate" (200), only after verifying it', () => {
		const replay = freshReplay();
		expect(handleDelivery(signedRequest(), config, replay).kind).toBe('accepted');
		expect(handleDelivery(signedRequest(), config, replay)).toEqual({
			kind: 'duplicate',
			status: 200,
			deliveryId: 'delivery-1',
		});
		const other = Buffer.from(body.toString().replace('"main"', '"main" '));
		expect(other.equals(body)).toBe(false);
		expect(
			handleDelivery(signedRequest(other, { 'x-github-delivery': 'delivery-2' }), config, replay)
				.kind,
		).toBe('accepted');
	});

	it('treats a captured delivery replayed under a new id as a duplicate (the id is not signed, the body is)', () => {
		const replay = freshReplay();
		expect(handleDelivery(signedRequest(), config, replay).kind).toBe('accepted');
		expect(
			handleDelivery(signedRequest(body, { 'x-github-delivery': 'forged-new-id' }), config, replay),
		).toEqual({ kind: 'duplicate', status: 200, deliveryId: 'forged-new-id' });
		// A new body under an id already seen is still a duplicate: either name suffices.
		const other = Buffer.from(body.toString().replace('"main"', '"main" '));
		expect(handleDelivery(signedRequest(other), config, replay).kind).toBe('duplicate');
	});

	it('answers a filtered delivery with "ignored" (202) and the reason', () => {
		const outcome = handleDelivery(
			signedRequest(),
			{ ...config, filter: { paths: ['deploy/**'] } },
			freshReplay(),
		);
		expect(outcome).toMatchObject({
			kind: 'ignored',
			status: 202,
			reason: 'none of the 4 changed files matches: deploy/**',
		});
	});
});
