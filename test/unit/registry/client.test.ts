import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCertificates } from '../../stack/k8s/tls';
import {
	checkRegistryAccess,
	closeRegistryConnections,
	forgetRegistryAuth,
	getBlob,
	getManifest,
	listTags,
	RegistryClient,
	RegistryError,
	resolveDigest,
	MANIFEST_ACCEPT,
} from '../../../lib/registry';
import {
	startRegistryDouble,
	type RegistryDouble,
	type RegistryDoubleOptions,
} from '../../stack/registry';

// The client against the stack's paginating registry double: pagination, page-size refusals, broken links,
// rate limits, 5xx, and the auth challenge flows. Every count below is counted by the double, server side.

const FAST = { retryBaseMs: 5, maxAttempts: 4 };
const tagsOf = (n: number) =>
	Array.from({ length: n }, (_, i) => `1.${Math.floor(i / 100)}.${i % 100}`);

let double: RegistryDouble | undefined;
async function startDouble(opts: RegistryDoubleOptions): Promise<RegistryDouble> {
	double = await startRegistryDouble(opts);
	return double;
}
function clientFor(
	d: RegistryDouble,
	extra: { username?: string; password?: string } = {},
	options = FAST,
): RegistryClient {
	return new RegistryClient({ registry: d.host, plainHttp: true, ...extra }, options);
}
const listRequests = (d: RegistryDouble) => d.requests.filter((r) => r.path.endsWith('/tags/list'));

afterEach(async () => {
	await double?.stop();
	double = undefined;
	forgetRegistryAuth();
});
afterAll(async () => {
	await closeRegistryConnections();
});

describe('tag listing', () => {
	it.each([
		[10_000, 1000, 10],
		[2_500, 1000, 3],
		[1_000, 1000, 1],
		[10_000, 100, 100],
	])(
		'%i tags with pages of at most %i take ceil(N/page) requests',
		async (count, pageLimit, expected) => {
			const tags = tagsOf(count);
			const d = await startDouble({ tags, pageLimit });
			const listing = await listTags(clientFor(d), 'webapp/app', { maxPages: 200 });
			expect(new Set(listing.tags)).toEqual(new Set(tags));
			expect(listing.tags).toHaveLength(count);
			expect(listRequests(d)).toHaveLength(expected);
			expect(listing.pages).toBe(expected);
			expect(listRequests(d)[0].query).toBe('?n=1000');
		},
	);

	it.each([400, 413] as const)(
		'falls back to n=100 when the registry answers %i to n=1000',
		async (status) => {
			const d = await startDouble({ tags: tagsOf(250), pageLimit: 100, tooLargeN: status });
			const listing = await listTags(clientFor(d), 'app');
			expect(listing.tags).toHaveLength(250);
			expect(listRequests(d).map((r) => `${r.status} ${r.query.split('&')[0]}`)).toEqual([
				'' + status + ' ?n=1000',
				'200 ?n=100',
				'200 ?n=100',
				'200 ?n=100',
			]);
		},
	);

	it('follows absolute same-origin links', async () => {
		const d = await startDouble({ tags: tagsOf(30), pageLimit: 10, faults: { link: 'absolute' } });
		expect((await listTags(clientFor(d), 'app')).tags).toHaveLength(30);
	});

	it('refuses a next link to another origin without requesting it', async () => {
		const d = await startDouble({
			tags: tagsOf(30),
			pageLimit: 10,
			faults: { link: 'other-origin' },
		});
		await expect(listTags(clientFor(d), 'app')).rejects.toThrow(
			/next-page link to another origin \(http:\/\/localhost:\d+\); refusing/,
		);
		expect(listRequests(d)).toHaveLength(1);
		expect(d.requests.every((r) => r.host.startsWith('127.0.0.1'))).toBe(true);
	});

	it('stops a Link loop (the same URL again) and a link that brings nothing new', async () => {
		const d = await startDouble({ tags: tagsOf(30), pageLimit: 10, faults: { link: 'loop' } });
		const looped = await listTags(clientFor(d), 'app');
		expect(looped).toMatchObject({ pages: 1, stoppedEarly: 'repeated-link' });
		d.setFaults({ link: 'no-progress' });
		const stale = await listTags(clientFor(d), 'app');
		expect(stale).toMatchObject({ pages: 2, stoppedEarly: 'no-new-tags' });
		expect(stale.tags).toHaveLength(10);
	});

	it('fails clearly when the page budget runs out', async () => {
		const d = await startDouble({ tags: tagsOf(50), pageLimit: 10 });
		await expect(listTags(clientFor(d), 'app', { maxPages: 3 })).rejects.toThrow(
			/still had more tags after 3 pages \(30 tags\) of app; raise Max Pages/,
		);
	});

	it('reports an unknown repository as not found', async () => {
		const d = await startDouble({ tags: ['1'], repository: 'webapp/app' });
		await expect(listTags(clientFor(d), 'webapp/other')).rejects.toThrow(
			/Repository webapp\/other was not found on registry 127\.0\.0\.1:\d+ \(HTTP 404 NAME_UNKNOWN\)/,
		);
	});
});

describe('rate limits and server errors', () => {
	it('waits as long as Retry-After says on 429, then succeeds', async () => {
		const d = await startDouble({
			tags: tagsOf(5),
			faults: { rateLimit: { times: 1, retryAfter: '1' } },
		});
		const listing = await listTags(clientFor(d), 'app');
		expect(listing.tags).toHaveLength(5);
		const [limited, retried] = listRequests(d);
		expect([limited.status, retried.status]).toEqual([429, 200]);
		expect(retried.at - limited.at).toBeGreaterThanOrEqual(950);
	});

	it('gives up on a 5xx storm after maxAttempts, saying how often it tried', async () => {
		const d = await startDouble({
			tags: tagsOf(5),
			faults: { serverError: { times: Infinity, status: 503 } },
		});
		const failure = listTags(clientFor(d), 'app');
		await expect(failure).rejects.toThrow(
			/answered HTTP 503 to GET \/v2\/app\/tags\/list 4 time\(s\) \(UNAVAILABLE: service unavailable\); giving up/,
		);
		await expect(failure).rejects.toMatchObject({ statusCode: 503, attempts: 4 });
		expect(listRequests(d)).toHaveLength(4);
	});

	it('survives a short 5xx burst', async () => {
		const d = await startDouble({
			tags: tagsOf(5),
			faults: { serverError: { times: 2, status: 502 } },
		});
		expect((await listTags(clientFor(d), 'app')).tags).toHaveLength(5);
		expect(listRequests(d).map((r) => r.status)).toEqual([502, 502, 200]);
	});

	it('fails at once when Retry-After is longer than it is willing to wait', async () => {
		const d = await startDouble({
			tags: tagsOf(5),
			faults: { rateLimit: { times: 1, retryAfter: '3600' } },
		});
		await expect(listTags(clientFor(d), 'app')).rejects.toThrow(
			/HTTP 429 .* 1 time\(s\), Retry-After 3600 s/,
		);
	});
});

describe('auth challenge flows', () => {
	const auth = { username: 'robot', password: 'hunter2-secret' };

	it('trades Basic credentials for a bearer token once and reuses it until it expires', async () => {
		const d = await startDouble({
			tags: tagsOf(30),
			pageLimit: 10,
			auth: { scheme: 'bearer', ...auth, tokenExpiresIn: 300, tokenField: 'access_token' },
		});
		const client = clientFor(d, auth);
		await listTags(client, 'app');
		await listTags(clientFor(d, auth), 'app');
		const tokenRequests = d.requests.filter((r) => r.path === '/token');
		expect(tokenRequests).toHaveLength(1);
		expect(tokenRequests[0].authorized).toBe('basic');
		expect(listRequests(d).map((r) => r.status)).toEqual([401, 200, 200, 200, 200, 200, 200]);
		expect(
			listRequests(d)
				.slice(1)
				.every((r) => r.authorized === 'bearer'),
		).toBe(true);
	});

	it('fetches a new token when the cached one has expired', async () => {
		const d = await startDouble({
			tags: ['1'],
			auth: { scheme: 'bearer', ...auth, tokenExpiresIn: 1 },
		});
		await listTags(clientFor(d, auth), 'app');
		await new Promise((r) => setTimeout(r, 1100));
		await listTags(clientFor(d, auth), 'app');
		expect(d.requests.filter((r) => r.path === '/token')).toHaveLength(2);
	});

	it('gets an anonymous pull token for a public repository behind a token service', async () => {
		const d = await startDouble({
			tags: ['1', '2'],
			auth: { scheme: 'bearer', ...auth, anonymousPull: true },
		});
		expect((await listTags(clientFor(d), 'library/nginx')).tags).toEqual(['1', '2']);
		expect(d.requests.find((r) => r.path === '/token')?.authorized).toBe('none');
	});

	it('sends Basic after the first challenge and up front afterwards', async () => {
		const d = await startDouble({ tags: ['1'], auth: { scheme: 'basic', ...auth } });
		await listTags(clientFor(d, auth), 'app');
		await listTags(clientFor(d, auth), 'app');
		expect(listRequests(d).map((r) => `${r.status} ${r.authorized}`)).toEqual([
			'401 none',
			'200 basic',
			'200 basic',
		]);
	});

	it('names the refusal and never the password', async () => {
		const d = await startDouble({ tags: ['1'], auth: { scheme: 'bearer', ...auth } });
		const wrong = { username: 'robot', password: 'wrong-password-123' };
		const error: RegistryError = await listTags(clientFor(d, wrong), 'app').catch((e) => e);
		expect(error.message).toMatch(
			/Token service of registry 127\.0\.0\.1:\d+ \(127\.0\.0\.1:\d+\) refused the username or password of user "robot" \(HTTP 401/,
		);
		expect(JSON.stringify({ ...error, message: error.message })).not.toContain(
			'wrong-password-123',
		);
		const basic = await startRegistryDouble({ tags: ['1'], auth: { scheme: 'basic', ...auth } });
		try {
			const refused: RegistryError = await listTags(clientFor(basic, wrong), 'app').catch((e) => e);
			expect(refused.message).toMatch(
				/refused user "robot" for GET \/v2\/app\/tags\/list \(HTTP 401.*check the credential/,
			);
			expect(refused.message).not.toContain('wrong-password-123');
			const anonymous: RegistryError = await listTags(clientFor(basic), 'app').catch((e) => e);
			expect(anonymous.message).toMatch(
				/requires a username and password .*add a Container Registry credential/,
			);
		} finally {
			await basic.stop();
		}
	});

	it('checks a credential with GET /v2/ through the challenge flow', async () => {
		const d = await startDouble({ tags: ['1'], auth: { scheme: 'bearer', ...auth } });
		await expect(
			checkRegistryAccess({ registry: d.host, plainHttp: true, ...auth }),
		).resolves.toEqual({ ok: true, message: `Connected to ${d.host} as robot` });
		const refused = await checkRegistryAccess({
			registry: d.host,
			plainHttp: true,
			username: 'robot',
			password: 'nope-nope',
		});
		expect(refused.ok).toBe(false);
		expect(refused.message).toMatch(/refused the username or password of user "robot"/);
		expect(refused.message).not.toContain('nope-nope');
		const unreachable = await checkRegistryAccess(
			{ registry: '127.0.0.1:1', plainHttp: true },
			{ maxAttempts: 1 },
		);
		expect(unreachable).toEqual({
			ok: false,
			message: expect.stringMatching(
				/Could not reach registry 127\.0\.0\.1:1 \(http:\/\/127\.0\.0\.1:1\): ECONNREFUSED/,
			),
		});
	});
});

describe('token realm protocol', () => {
	const auth = { username: 'robot', password: 'hunter2-secret' };
	const listen = (server: Server) =>
		new Promise<number>((done) =>
			server.listen(0, '127.0.0.1', () => done((server.address() as AddressInfo).port)),
		);
	const close = (server: Server) => new Promise<void>((done) => server.close(() => done()));

	it('refuses an http realm offered by an https registry and never sends the password there', async () => {
		const dir = await mkdtemp(join(tmpdir(), 'realm-'));
		const tokenRequests: Array<string | undefined> = [];
		const tokenService = createHttpServer((req, res) => {
			tokenRequests.push(req.headers.authorization);
			res.end(JSON.stringify({ token: 'stolen' }));
		});
		let registry: Server | undefined;
		try {
			const certs = await makeCertificates(dir);
			const tokenPort = await listen(tokenService);
			registry = createHttpsServer(
				{ cert: await readFile(certs.certFile), key: await readFile(certs.keyFile) },
				(_req, res) => {
					res
						.writeHead(401, {
							'www-authenticate': `Bearer realm="http://127.0.0.1:${tokenPort}/token",service="x"`,
						})
						.end();
				},
			);
			const port = await listen(registry);
			const client = new RegistryClient(
				{ registry: `127.0.0.1:${port}`, caCertificate: certs.caPem, ...auth },
				FAST,
			);
			const error: RegistryError = await listTags(client, 'app').catch((e) => e);
			expect(error).toBeInstanceOf(RegistryError);
			expect(error.message).toMatch(
				/sent a token realm at http:\/\/127\.0\.0\.1:\d+; it must be https/,
			);
			expect(error.message).not.toContain('hunter2-secret');
			expect(tokenRequests).toEqual([]);
		} finally {
			if (registry) await close(registry);
			await close(tokenService);
			await rm(dir, { recursive: true, force: true });
		}
	});
});

describe('blob size limit', () => {
	const MiB = 1024 * 1024;
	const TOTAL = 64 * MiB;
	// Well-formed digests (any other is refused before a request); the server tells the two cases apart by them.
	const DIGEST = { declared: `sha256:${'d'.repeat(64)}`, chunked: `sha256:${'c'.repeat(64)}` };

	/** Serves TOTAL bytes per blob request, with or without Content-Length, as fast as the client reads them. */
	async function startHugeBlobServer() {
		const served: Array<Promise<{ written: number; complete: boolean }>> = [];
		const chunk = Buffer.alloc(MiB, 'x');
		const server = createHttpServer((req, res) => {
			res.writeHead(
				200,
				req.url?.endsWith(DIGEST.declared) ? { 'content-length': String(TOTAL) } : {},
			);
			served.push(
				(async () => {
					let written = 0;
					const closed = once(res, 'close');
					while (written < TOTAL && !res.destroyed) {
						written += chunk.length;
						if (!res.write(chunk)) await Promise.race([once(res, 'drain'), closed]);
					}
					if (!res.destroyed) res.end();
					await closed;
					return { written, complete: res.writableFinished };
				})(),
			);
		});
		const port = await new Promise<number>((done) =>
			server.listen(0, '127.0.0.1', () => done((server.address() as AddressInfo).port)),
		);
		return {
			host: `127.0.0.1:${port}`,
			served,
			stop: () => new Promise<void>((done) => server.close(() => done())),
		};
	}

	it.each(['declared', 'chunked'] as const)(
		'refuses a blob over the limit (%s length) and stops reading it',
		async (kind) => {
			const server = await startHugeBlobServer();
			try {
				const client = new RegistryClient(
					{ registry: server.host, plainHttp: true },
					{ ...FAST, maxAttempts: 1 },
				);
				const error: RegistryError = await getBlob(client, 'app', DIGEST[kind], MiB).catch(
					(e) => e,
				);
				expect(error).toBeInstanceOf(RegistryError);
				expect(error.message).toMatch(
					new RegExp(`answered GET /v2/app/blobs/${DIGEST[kind]} with more than ${MiB} bytes`),
				);
				expect(error.code).toBe('TOO_LARGE');
				const [served] = await Promise.all(server.served);
				expect(served.complete).toBe(false);
				expect(served.written).toBeLessThan(TOTAL / 2);
			} finally {
				await server.stop();
			}
		},
	);
});

describe('manifests', () => {
	const index = JSON.stringify({
		schemaVersion: 2,
		mediaType: 'application/vnd.oci.image.index.v1+json',
		manifests: [],
	});
	const digest = `sha256:${createHash('sha256').update(index).digest('hex')}`;

	it('asks with every manifest type (an index is 404 to a client that forgets one)', async () => {
		const d = await startDouble({
			tags: ['1'],
			manifests: { '1.0.0': { mediaType: 'application/vnd.oci.image.index.v1+json', body: index } },
		});
		expect(MANIFEST_ACCEPT.split(', ')).toHaveLength(4);
		await expect(resolveDigest(clientFor(d), 'app', '1.0.0')).resolves.toEqual({
			digest,
			mediaType: 'application/vnd.oci.image.index.v1+json',
		});
		expect(d.requests.map((r) => `${r.method} ${r.status}`)).toEqual(['HEAD 200']);
	});

	it('falls back to GET and sha256 when HEAD carries no Docker-Content-Digest', async () => {
		const d = await startDouble({
			tags: ['1'],
			digestHeader: false,
			manifests: { '1.0.0': { mediaType: 'application/vnd.oci.image.index.v1+json', body: index } },
		});
		await expect(resolveDigest(clientFor(d), 'app', '1.0.0')).resolves.toMatchObject({ digest });
		expect(d.requests.map((r) => `${r.method} ${r.status}`)).toEqual(['HEAD 200', 'GET 200']);
		await expect(getManifest(clientFor(d), 'app', digest)).resolves.toMatchObject({ digest });
	});

	it('reports a missing tag as such', async () => {
		const d = await startDouble({ tags: ['1'], manifests: {} });
		await expect(resolveDigest(clientFor(d), 'webapp/app', '9.9.9')).rejects.toThrow(
			/Image webapp\/app:9\.9\.9 was not found on registry 127\.0\.0\.1:\d+ \(HTTP 404\)/,
		);
	});
});
