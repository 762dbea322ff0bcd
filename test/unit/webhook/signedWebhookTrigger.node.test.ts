import type { ICredentialTestFunctions } from 'n8n-workflow';
import { deliver, trigger, webhookContext } from './nodeHarness';
import { SECRET, fixture, hmacHex } from './signing';

const pushBody = fixture('github-push.json');
const bumpBody = fixture('gitea-push.json');
/** A push of its own: replay protection remembers bodies too, so distinct deliveries need distinct bodies. */
const pushBodyFor = (id: string) =>
	Buffer.from(pushBody.toString().replace(/^\{/, `{"test_delivery":"${id}",`));

function githubHeaders(
	rawBody: Buffer,
	deliveryId: string,
	signature = `sha256=${hmacHex('sha256', SECRET, rawBody)}`,
) {
	return {
		'content-type': 'application/json',
		'content-length': String(rawBody.length),
		'x-github-event': 'push',
		'x-github-delivery': deliveryId,
		'x-hub-signature-256': signature,
	};
}

describe('SignedWebhookTrigger.webhook()', () => {
	it('starts one execution with the normalised event for a correctly signed push', async () => {
		const { result, response } = await deliver({
			headers: githubHeaders(pushBody, 'node-good'),
			rawBody: pushBody,
		});
		expect(response.ended).toBe(false);
		expect(result.noWebhookResponse).toBeUndefined();
		expect(result.workflowData).toHaveLength(1);
		expect(result.workflowData?.[0]).toHaveLength(1);
		expect(result.workflowData?.[0][0].json).toMatchObject({
			provider: 'github',
			event: 'push',
			repository: { name: 'homelab/webapp', cloneUrl: 'https://github.com/homelab/webapp.git' },
			branch: 'main',
			commit: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
			deliveryId: 'node-good',
		});
	});

	it('answers 401 with no body and starts nothing for a forged signature; the log names no secret', async () => {
		const forged = githubHeaders(
			pushBody,
			'node-forged',
			`sha256=${hmacHex('sha256', 'guessed-secret-of-some-length', pushBody)}`,
		);
		const { result, response, logger } = await deliver({ headers: forged, rawBody: pushBody });
		expect(result).toEqual({ noWebhookResponse: true });
		expect(response.statusCode).toBe(401);
		expect(response.body).toBeUndefined();
		expect(logger.warn).toHaveBeenCalledTimes(1);
		expect(JSON.stringify(logger.warn.mock.calls)).not.toContain(SECRET);
	});

	it('answers 401 when the signature header is missing', async () => {
		const headers: Record<string, string> = githubHeaders(pushBody, 'node-missing');
		delete headers['x-hub-signature-256'];
		const { result, response } = await deliver({ headers, rawBody: pushBody });
		expect(result.workflowData).toBeUndefined();
		expect(response.statusCode).toBe(401);
	});

	it('answers a replayed delivery 200 "duplicate" and starts nothing, per workflow', async () => {
		const request = { headers: githubHeaders(pushBody, 'node-replayed'), rawBody: pushBody };
		expect((await deliver(request, {}, 'wf-replay')).result.workflowData).toHaveLength(1);
		const again = await deliver(request, {}, 'wf-replay');
		expect(again.result).toEqual({ noWebhookResponse: true });
		expect(again.response.statusCode).toBe(200);
		expect(again.response.body).toEqual({ status: 'duplicate', deliveryId: 'node-replayed' });
		// The id header is not signed: the same signed body under a new id is a duplicate too.
		const renamed = await deliver(
			{ headers: githubHeaders(pushBody, 'node-renamed'), rawBody: pushBody },
			{},
			'wf-replay',
		);
		expect(renamed.response.body).toEqual({ status: 'duplicate', deliveryId: 'node-renamed' });
		// Another workflow has its own memory.
		expect((await deliver(request, {}, 'wf-other')).result.workflowData).toHaveLength(1);
		// Replay protection off: the same delivery runs again.
		expect(
			(await deliver(request, { options: { replayWindowSeconds: 0 } }, 'wf-replay')).result
				.workflowData,
		).toHaveLength(1);
	});

	it('answers 202 "ignored" with the reason for a push outside the path filter', async () => {
		const headers = {
			...githubHeaders(bumpBody, 'node-bump'),
			'x-gitea-event': 'push',
			'x-gitea-signature': hmacHex('sha256', SECRET, bumpBody),
		};
		const { result, response } = await deliver(
			{ headers, rawBody: bumpBody },
			{ provider: 'gitea', paths: 'src/**, Dockerfile' },
		);
		expect(result).toEqual({ noWebhookResponse: true });
		expect(response.statusCode).toBe(202);
		expect(response.body).toEqual({
			status: 'ignored',
			reason: 'none of the 1 changed file matches: src/**, Dockerfile',
		});
	});

	it('applies the default events filter (branch pushes only): a ping and a tag push are ignored', async () => {
		const ping = Buffer.from('{"zen":"Design for failure.","hook_id":1}');
		const headers = { ...githubHeaders(ping, 'node-ping'), 'x-github-event': 'ping' };
		const { response } = await deliver({ headers, rawBody: ping });
		expect(response.statusCode).toBe(202);
		const tag = fixture('github-tag-push.json');
		const tagged = await deliver(
			{ headers: githubHeaders(tag, 'node-tag'), rawBody: tag },
			{ branches: '' },
		);
		expect(tagged.result.workflowData).toBeUndefined();
		expect(tagged.response.body).toEqual({
			status: 'ignored',
			reason: 'event "tag" is not one of: push',
		});
	});

	it('answers an accepted delivery with its id, and says why the path filter was not applied', async () => {
		const forced = Buffer.from(
			JSON.stringify({ ...JSON.parse(pushBody.toString()), forced: true }),
		);
		const { result } = await deliver(
			{ headers: githubHeaders(forced, 'node-forced'), rawBody: forced },
			{ paths: 'docs/**' },
		);
		expect(result.workflowData?.[0][0].json).toMatchObject({
			changedFilesComplete: false,
			changedFilesIncompleteReason:
				'it is a force push, and the commits it replaced are not listed',
		});
		expect(result.webhookResponse).toEqual({
			status: 'accepted',
			deliveryId: 'node-forced',
			note: 'path filter not applied: it is a force push, and the commits it replaced are not listed',
		});
		const plain = await deliver({
			headers: githubHeaders(pushBodyFor('node-plain'), 'node-plain'),
			rawBody: pushBodyFor('node-plain'),
		});
		expect(plain.result.webhookResponse).toEqual({ status: 'accepted', deliveryId: 'node-plain' });
	});

	it('answers 413 for a declared or an actual body over the limit, and 400 for a signed non-JSON body', async () => {
		const declared = {
			...githubHeaders(pushBody, 'node-big'),
			'content-length': String(6 * 1024 * 1024),
		};
		expect((await deliver({ headers: declared, rawBody: pushBody })).response.statusCode).toBe(413);
		const chunked: Record<string, string> = githubHeaders(pushBody, 'node-chunked');
		delete chunked['content-length'];
		const small = await deliver(
			{ headers: chunked, rawBody: pushBody },
			{ options: { maxBodyBytes: 1024 } },
		);
		expect(small.response.statusCode).toBe(413);
		expect(small.result.workflowData).toBeUndefined();
		const text = Buffer.from('build please');
		const notJson = await deliver({
			headers: { ...githubHeaders(text, 'node-text'), 'content-type': 'text/plain' },
			rawBody: text,
		});
		expect(notJson.response.statusCode).toBe(400);
		expect(notJson.result.workflowData).toBeUndefined();
	});

	it('reads the raw body itself when n8n has not, and maps a read failure to 413 or 400', async () => {
		const lazyBody = pushBodyFor('node-lazy');
		const lazy = await deliver({
			headers: githubHeaders(lazyBody, 'node-lazy'),
			readRawBody: async (req) => {
				req.rawBody = lazyBody;
			},
		});
		expect(lazy.result.workflowData).toHaveLength(1);

		const tooLarge = Object.assign(new Error('request entity too large'), { status: 413 });
		const failing = await deliver({
			headers: githubHeaders(pushBody, 'node-fail'),
			readRawBody: async () => Promise.reject(tooLarge),
		});
		expect(failing.response.statusCode).toBe(413);
		const aborted = await deliver({
			headers: githubHeaders(pushBody, 'node-abort'),
			readRawBody: async () => Promise.reject(new Error('aborted')),
		});
		expect(aborted.response.statusCode).toBe(400);
	});

	it('verifies Flux generic-hmac deliveries and filters them by reason', async () => {
		const flux = fixture('flux-helmchart.json');
		const headers = {
			'content-type': 'application/json',
			'x-signature': `sha256=${hmacHex('sha256', SECRET, flux)}`,
			'gotk-component': 'source-controller',
		};
		const accepted = await deliver(
			{ headers, rawBody: flux },
			{ provider: 'flux', fluxReasons: 'ChartPackageSucceeded' },
			'wf-flux',
		);
		expect(accepted.result.workflowData?.[0][0].json).toMatchObject({
			provider: 'flux',
			revision: '0.0.2+eb02f2ecb66c',
			involvedObject: { kind: 'HelmChart' },
		});
		const ignored = await deliver(
			{ headers, rawBody: flux },
			{ provider: 'flux', fluxReasons: 'NewArtifact' },
			'wf-flux-2',
		);
		expect(ignored.response.statusCode).toBe(202);
	});

	it('reads the credential once for several deliveries, and a rotated secret works at once', async () => {
		const store = { secret: SECRET, reads: 0 };
		const read = async () => (store.reads++, { secret: store.secret });
		const signed = (secret: string, id: string) => {
			const rawBody = pushBodyFor(id);
			return {
				headers: githubHeaders(rawBody, id, `sha256=${hmacHex('sha256', secret, rawBody)}`),
				rawBody,
			};
		};
		for (const id of ['cache-1', 'cache-2', 'cache-3']) {
			expect(
				(await deliver(signed(SECRET, id), {}, 'wf-secret', read)).result.workflowData,
			).toHaveLength(1);
		}
		expect(store.reads).toBe(1);
		store.secret = 'Rotated-l0ng-shared-webhook-secret';
		expect(
			(await deliver(signed(store.secret, 'cache-4'), {}, 'wf-secret', read)).result.workflowData,
		).toHaveLength(1);
		expect(store.reads).toBe(2);
		// With Remember Secret 0 every delivery reads the credential, so the old secret is refused at once.
		const old = await deliver(
			signed(SECRET, 'cache-5'),
			{ options: { secretCacheSeconds: 0 } },
			'wf-secret',
			read,
		);
		expect(old.response.statusCode).toBe(401);
		expect(store.reads).toBe(3);
	});

	it('keeps the replay memory when n8n registers an active trigger again, and forgets it on deactivation (webhookMethods)', async () => {
		// n8n 2.41 may run create() again for a workflow that is already active (publication after activation), so
		// create() must not open a window for replays of deliveries it has already run.
		const request = { headers: githubHeaders(pushBody, 'node-reactivated'), rawBody: pushBody };
		expect((await deliver(request, {}, 'wf-life')).result.workflowData).toHaveLength(1);
		const { context } = webhookContext(request, {}, 'wf-life');
		expect(await trigger.webhookMethods.default.checkExists.call(context)).toBe(false);
		expect(await trigger.webhookMethods.default.create.call(context)).toBe(true);
		expect((await deliver(request, {}, 'wf-life')).response.body).toEqual({
			status: 'duplicate',
			deliveryId: 'node-reactivated',
		});
		expect(await trigger.webhookMethods.default.delete.call(context)).toBe(true);
		expect((await deliver(request, {}, 'wf-life')).result.workflowData).toHaveLength(1);
	});
});

describe('a trigger that cannot check deliveries safely', () => {
	const shortSecret = 'only-15-chars!!';

	it('refuses every delivery when the secret is under 16 characters: 500 with no body, the reason in the log, never the secret', async () => {
		const rawBody = pushBodyFor('short-secret');
		const signed = githubHeaders(
			rawBody,
			'short-secret',
			`sha256=${hmacHex('sha256', shortSecret, rawBody)}`,
		);
		const { result, response, logger } = await deliver(
			{ headers: signed, rawBody },
			{},
			'wf-short',
			async () => ({ secret: shortSecret }),
		);
		expect(result).toEqual({ noWebhookResponse: true });
		expect(response.statusCode).toBe(500);
		expect(response.body).toBeUndefined();
		expect(logger.error).toHaveBeenCalledTimes(1);
		const logged = String(logger.error.mock.calls[0][0]);
		expect(logged).toContain('has 15 characters; use at least 16');
		expect(logged).not.toContain(shortSecret);
	});

	it.each(['md5', 'sha1', 'RSA-SHA1', 'sha3-256', 'sha512-224'])(
		'refuses a generic delivery correctly signed with %s (500, logged)',
		async (algorithm) => {
			const rawBody = pushBodyFor(`weak-${algorithm}`);
			const headers = {
				'content-type': 'application/json',
				'x-signature': hmacHex(algorithm, SECRET, rawBody),
			};
			const parameters = {
				provider: 'generic',
				signatureHeader: 'X-Signature',
				signatureAlgorithm: algorithm,
				signaturePrefix: '',
				signatureEncoding: 'hex',
			};
			const { result, response, logger } = await deliver(
				{ headers, rawBody },
				parameters,
				`wf-weak-${algorithm}`,
			);
			expect(result.workflowData).toBeUndefined();
			expect(response.statusCode).toBe(500);
			expect(String(logger.error.mock.calls[0][0])).toContain(
				`Algorithm "${algorithm}" is not allowed: use one of sha256, sha384, sha512`,
			);
		},
	);

	it('accepts the generic provider with sha384', async () => {
		const rawBody = pushBodyFor('generic-384');
		const headers = {
			'content-type': 'application/json',
			'x-signature': `sha384=${hmacHex('sha384', SECRET, rawBody)}`,
		};
		const parameters = {
			provider: 'generic',
			signatureHeader: 'X-Signature',
			signatureAlgorithm: 'sha384',
			signaturePrefix: 'sha384=',
			signatureEncoding: 'hex',
		};
		expect(
			(await deliver({ headers, rawBody }, parameters, 'wf-384')).result.workflowData,
		).toHaveLength(1);
	});

	it('fails activation naming the setting to fix (short secret, weak algorithm), and activates otherwise', async () => {
		const activate = (parameters: Record<string, unknown>, secret: string) =>
			trigger.webhookMethods.default.create.call(
				webhookContext({ headers: {} }, parameters, 'wf-activate', async () => ({ secret }))
					.context,
			);
		await expect(activate({ provider: 'github' }, shortSecret)).rejects.toThrow(
			/cannot check deliveries: Webhook Signing Secret API credential, field Secret: The secret has 15 characters/,
		);
		await expect(
			activate({ provider: 'generic', signatureAlgorithm: 'md5' }, SECRET),
		).rejects.toThrow(/Algorithm "md5" is not allowed/);
		await expect(activate({ provider: 'gitlab' }, SECRET)).resolves.toBe(true);
	});
});

describe('webhookSigningSecretApi credential test', () => {
	const test = (secret: unknown) =>
		trigger.methods.credentialTest.webhookSigningSecretTest.call({} as ICredentialTestFunctions, {
			id: '1',
			name: 'secret',
			type: 'webhookSigningSecretApi',
			data: { secret } as never,
		});

	it('passes a long secret without repeating it', async () => {
		const result = await test(SECRET);
		expect(result.status).toBe('OK');
		expect(result.message).not.toContain(SECRET);
	});

	it.each([[''], [undefined], ['short-secret']])(
		'fails %p with a message that says what to do',
		async (secret) => {
			const result = await test(secret);
			expect(result.status).toBe('Error');
			expect(result.message).toMatch(/secret/i);
			if (secret) expect(result.message).not.toContain(secret);
		},
	);
});
