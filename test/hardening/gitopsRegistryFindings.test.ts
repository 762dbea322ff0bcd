import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import {
	createServer as createHttpServer,
	request as httpRequest,
	type IncomingMessage,
	type Server,
	type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseDocument } from 'yaml';
import { bumpGitManifest, type BumpRequest } from '../../lib/gitops';
import { checkEdit, planEdit } from '../../lib/gitops/edits';
import { prepareGitAccess } from '../../lib/gitops/gitAccess';
import {
	closeRegistryConnections,
	getBlob,
	getManifest,
	queryRegistryTags,
	RegistryClient,
} from '../../lib/registry';
import { remoteLog, readRemoteFile, startGitServer, type GitServer } from '../stack/git';
import { makeCertificates } from '../stack/k8s/tls';
import { exposeAll, writeCounts } from './harness';

/**
 * Issue 15 findings 2, 5, 6, 7, 10 and 14 (Bump Git Manifest and the registry client), each reproduced against
 * loopback servers: a git remote that redirects to another one, registries that send too much or too slowly,
 * digests of every algorithm, a blob redirect to http, a replayed older push, an all-digit short SHA.
 */

jest.setTimeout(120_000);

const counts = {
	cases: 0,
	authHeadersSeenByRedirectTarget: 0,
	plainHttpRequestsWithoutOptIn: 0,
	largestBodySentBeforeCut: 0,
	dripEndedAfterMs: 0,
	passwordsSentOverHttp: 0,
	unverifiedBlobsAccepted: 0,
	olderBumpsApplied: 0,
	shortShasWrittenAsNumbers: 0,
};
const counted = (name: string, fn: () => Promise<void>) =>
	test(name, async () => {
		await fn();
		counts.cases++;
	});

interface Recorder {
	server: Server;
	origin: string;
	requests: Array<{ method: string; url: string; authorization?: string }>;
	stop(): Promise<void>;
}

/** A loopback HTTP(S) server that records every request (method, URL, Authorization) before `handle` answers it. */
async function recorder(
	handle: (req: IncomingMessage, res: ServerResponse) => void,
	tls?: { key: string; cert: string },
): Promise<Recorder> {
	const requests: Recorder['requests'] = [];
	const listener = (req: IncomingMessage, res: ServerResponse) => {
		requests.push({
			method: req.method ?? '',
			url: req.url ?? '',
			authorization: req.headers.authorization,
		});
		handle(req, res);
	};
	const server = tls ? createHttpsServer(tls, listener) : createHttpServer(listener);
	await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
	const origin = `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as { port: number }).port}`;
	return {
		server,
		origin,
		requests,
		stop: async () => {
			server.closeAllConnections();
			await new Promise((done) => server.close(done));
		},
	};
}

afterAll(async () => {
	writeCounts('gitops-registry-findings', counts);
	await closeRegistryConnections();
});

// ---- finding 2: Bump Git Manifest and redirects / plain http ----

describe('finding 2: the git token never leaves the remote, plain http only on request', () => {
	const TOKEN = `redirect-canary-${randomBytes(8).toString('hex')}`;
	let real: GitServer;
	let b: Recorder;
	let a: Recorder;
	let cache: string;

	beforeAll(async () => {
		cache = await mkdtemp(join(tmpdir(), 'findings-redirect-'));
		real = await startGitServer();
		await real.createBareRepo('fleet', { 'apps/app.yaml': 'image:\n  tag: "1.0.0"\n' });
		// B: a git server at another origin (a proxy in front of the real git http-backend) that records what it gets.
		b = await recorder((req, res) => {
			const upstream = httpRequest(
				`${real.baseUrl}${req.url}`,
				{ method: req.method, headers: { ...req.headers, host: new URL(real.baseUrl).host } },
				(answer) => {
					res.writeHead(answer.statusCode ?? 502, answer.headers);
					answer.pipe(res);
				},
			);
			req.pipe(upstream);
		});
		// A: the remote the bump names, which redirects every request to B.
		a = await recorder((req, res) => {
			res.writeHead(302, { location: `${b.origin}${req.url}` });
			res.end();
		});
	});
	afterAll(async () => {
		await Promise.all([a?.stop(), b?.stop(), real?.stop()]);
		await rm(cache, { recursive: true, force: true });
		if (real) await rm(real.root, { recursive: true, force: true });
	});

	const request = (extra: Partial<BumpRequest> = {}): BumpRequest =>
		({
			repositoryUrl: `${a.origin}/fleet.git`,
			branch: 'main',
			edit: { mode: 'yamlPath', file: 'apps/app.yaml', yamlPath: 'image.tag', value: '2.0.0' },
			commitMessage: 'bump',
			...extra,
		}) as BumpRequest;

	counted(
		'a remote that redirects to another host: not followed, and that host never sees the token',
		async () => {
			const outcome = await bumpGitManifest(
				request({ allowPlainHttp: true } as Partial<BumpRequest>),
				{ authentication: 'https', username: 'bot', token: TOKEN },
				{ cacheDir: cache },
			).then(
				(value) => ({ value }),
				(error: unknown) => ({ error }),
			);
			expect(a.requests.length).toBeGreaterThan(0);
			counts.authHeadersSeenByRedirectTarget = b.requests.filter((r) => r.authorization).length;
			expect(b.requests.filter((r) => r.authorization)).toEqual([]);
			expect('error' in outcome).toBe(true);
			expect(exposeAll(outcome)).not.toContain(TOKEN);
			expect(await readRemoteFile(real.repoUrl('fleet'), 'main', 'apps/app.yaml')).toBe(
				'image:\n  tag: "1.0.0"\n',
			);
		},
	);

	counted('the token header is scoped to the remote origin in the git environment', async () => {
		const url = `${a.origin}/fleet.git`;
		const access = await prepareGitAccess(
			url,
			{ authentication: 'https', username: 'bot', token: TOKEN },
			{ allowPlainHttp: true } as object,
		);
		try {
			const keys = Object.entries(access.env)
				.filter(([k]) => k.startsWith('GIT_CONFIG_KEY_'))
				.map(([, v]) => v);
			const headerKeys = keys.filter((k) => /extraheader/i.test(k));
			expect(headerKeys).toEqual([`http.${a.origin}/.extraHeader`]);
			expect(keys).toContain('http.followRedirects');
		} finally {
			await access.dispose();
		}
	});

	counted(
		'an http:// remote without Allow Plain HTTP: refused naming repositoryUrl, no request sent',
		async () => {
			a.requests.length = 0;
			const error = await bumpGitManifest(
				request(),
				{ authentication: 'https', username: 'bot', token: TOKEN },
				{ cacheDir: cache },
			).then(
				() => undefined,
				(e: unknown) => e as { field?: string; message: string },
			);
			counts.plainHttpRequestsWithoutOptIn = a.requests.length;
			expect(a.requests).toEqual([]);
			expect(error?.field).toBe('repositoryUrl');
			expect(error?.message).toMatch(/plain http.*Allow Plain HTTP/i);
		},
	);

	counted('with Allow Plain HTTP, an http:// remote that does not redirect is bumped', async () => {
		const result = await bumpGitManifest(
			request({
				repositoryUrl: real.repoUrl('fleet'),
				allowPlainHttp: true,
			} as Partial<BumpRequest>),
			undefined,
			{ cacheDir: cache },
		);
		expect(result.changed).toBe(true);
		expect(await readRemoteFile(real.repoUrl('fleet'), 'main', 'apps/app.yaml')).toBe(
			'image:\n  tag: "2.0.0"\n',
		);
	});
});

// ---- finding 5: body limits and one deadline per request ----

describe('finding 5: the registry client reads bounded bodies within one deadline', () => {
	const HUGE = 64 * 1024 * 1024;
	let sentBytes = 0;
	let server: Recorder;
	let mode: 'huge-tags' | 'huge-error' | 'drip' = 'huge-tags';
	const drips: NodeJS.Timeout[] = [];

	/** Writes `total` bytes of `fill` as fast as the client takes them, counting what left the server. */
	function stream(res: ServerResponse, total: number, head: string, fill: string) {
		sentBytes = 0;
		const chunk = Buffer.alloc(64 * 1024, fill);
		res.write(head);
		const pump = () => {
			while (sentBytes < total) {
				sentBytes += chunk.length;
				if (!res.write(chunk)) return void res.once('drain', pump);
			}
			res.end();
		};
		res.on('close', () => res.removeAllListeners('drain'));
		pump();
	}

	beforeAll(async () => {
		server = await recorder((req, res) => {
			if (req.url === '/v2/')
				return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
			if (mode === 'huge-tags') {
				res.writeHead(200, { 'content-type': 'application/json' });
				return stream(res, HUGE, '{"name":"app","tags":["', 'a');
			}
			if (mode === 'huge-error') {
				res.writeHead(404, { 'content-type': 'text/plain' });
				return stream(res, HUGE, 'not here ', 'x');
			}
			res.writeHead(200, { 'content-type': 'application/json' });
			res.write('{"tags":[');
			drips.push(setInterval(() => res.write(' '), 1000));
		});
	});
	afterAll(async () => {
		drips.forEach(clearInterval);
		await server?.stop();
	});

	const query = () =>
		queryRegistryTags(
			{
				repository: `${server.origin.replace('http://', '')}/app`,
				policy: 'semver',
				semverRange: '*',
			},
			{ registry: server.origin.replace('http://', ''), plainHttp: true },
			{ maxAttempts: 1, timeoutMs: 2000 },
		);

	counted('a 64 MiB tag list is cut at the limit, not read into memory', async () => {
		mode = 'huge-tags';
		const error = (await query().catch((e: unknown) => e)) as { code?: string; message: string };
		counts.largestBodySentBeforeCut = Math.max(counts.largestBodySentBeforeCut, sentBytes);
		expect(error.code).toBe('TOO_LARGE');
		expect(sentBytes).toBeLessThan(HUGE / 4);
	});

	counted('a 64 MiB error answer: only its start is read, the status is reported', async () => {
		mode = 'huge-error';
		const error = (await query().catch((e: unknown) => e)) as {
			statusCode?: number;
			message: string;
		};
		counts.largestBodySentBeforeCut = Math.max(counts.largestBodySentBeforeCut, sentBytes);
		expect(error.statusCode).toBe(404);
		expect(sentBytes).toBeLessThan(HUGE / 4);
	});

	counted('a body dripping one byte per second ends at the deadline', async () => {
		mode = 'drip';
		const started = Date.now();
		// A hang guard, not a speed target: without a deadline over the body this never ends.
		const guard = new Promise((done) => setTimeout(() => done('still reading after 10 s'), 10_000));
		const outcome = await Promise.race([
			query().then(
				() => 'answered',
				(e: { code?: string }) => e.code,
			),
			guard,
		]);
		counts.dripEndedAfterMs = Date.now() - started;
		drips.forEach(clearInterval);
		expect(outcome).toBe('DEADLINE');
	});
});

// ---- finding 6: an http:// prefix cannot downgrade an https credential ----

describe('finding 6: http:// in the repository and a credential kept on https', () => {
	const PASSWORD = `registry-canary-${randomBytes(8).toString('hex')}`;
	let server: Recorder;
	beforeAll(async () => {
		server = await recorder((req, res) => {
			if (!req.headers.authorization)
				return void res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
			res
				.writeHead(200, { 'content-type': 'application/json' })
				.end(req.url === '/v2/' ? '{}' : '{"name":"app","tags":["1.0.0"]}');
		});
	});
	afterAll(() => server?.stop());

	counted('refused before any request, naming both ways out', async () => {
		const host = server.origin.replace('http://', '');
		const error = (await queryRegistryTags(
			{ repository: `http://${host}/app`, policy: 'semver', semverRange: '*' },
			{ registry: host, username: 'ci', password: PASSWORD },
		).catch((e: unknown) => e)) as Error;
		counts.passwordsSentOverHttp = server.requests.filter((r) => r.authorization).length;
		expect(server.requests.filter((r) => r.authorization)).toEqual([]);
		expect(error.message).toMatch(/http:\/\/.*Plain HTTP/);
		expect(exposeAll(error)).not.toContain(PASSWORD);
	});

	counted('still allowed when the credential itself is set to Plain HTTP', async () => {
		const host = server.origin.replace('http://', '');
		const result = await queryRegistryTags(
			{ repository: `http://${host}/app`, policy: 'semver', semverRange: '*' },
			{ registry: host, plainHttp: true, username: 'ci', password: PASSWORD },
		);
		expect(result.latestTag).toBe('1.0.0');
	});
});

// ---- finding 7: digests of every algorithm, no redirect to http ----

describe('finding 7: blob digests and blob redirects', () => {
	const BLOB = Buffer.from('{"architecture":"arm64","os":"linux"}');
	const digestOf = (algorithm: string, bytes: Buffer) =>
		`${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
	let served: Buffer = BLOB;
	let http: Recorder;
	let https: Recorder;
	let certDir: string;
	let caPem: string;

	beforeAll(async () => {
		certDir = await mkdtemp(join(tmpdir(), 'findings-tls-'));
		const certs = await makeCertificates(certDir);
		caPem = certs.caPem;
		http = await recorder((req, res) => {
			if (req.url?.startsWith('/storage/')) return void res.writeHead(200).end(served);
			if (req.url?.startsWith('/v2/app/blobs/')) return void res.writeHead(200).end(served);
			res.writeHead(404).end();
		});
		https = await recorder(
			(req, res) => {
				if (req.url?.startsWith('/v2/app/blobs/'))
					return void res.writeHead(307, { location: `${http.origin}/storage${req.url}` }).end();
				res.writeHead(404).end();
			},
			{ key: await readFile(certs.keyFile, 'utf8'), cert: await readFile(certs.certFile, 'utf8') },
		);
	});
	afterAll(async () => {
		await Promise.all([http?.stop(), https?.stop()]);
		await rm(certDir, { recursive: true, force: true });
	});

	const plainClient = () =>
		new RegistryClient(
			{ registry: http.origin.replace('http://', ''), plainHttp: true },
			{ maxAttempts: 1 },
		);
	const fetchBlob = (digest: string) =>
		getBlob(plainClient(), 'app', digest).then(
			() => 'accepted',
			(e: { code?: string }) => e.code ?? String(e),
		);

	for (const algorithm of ['sha256', 'sha384', 'sha512']) {
		counted(`${algorithm}: the right bytes pass, other bytes are refused`, async () => {
			served = BLOB;
			expect(await fetchBlob(digestOf(algorithm, BLOB))).toBe('accepted');
			served = Buffer.from('{"architecture":"amd64","os":"linux"}');
			const outcome = await fetchBlob(digestOf(algorithm, BLOB));
			if (outcome === 'accepted') counts.unverifiedBlobsAccepted++;
			expect(outcome).toBe('DIGEST_MISMATCH');
			served = BLOB;
		});
	}

	counted('other algorithms and malformed digests are refused before any request', async () => {
		const before = http.requests.length;
		const bad = [
			digestOf('md5', BLOB),
			digestOf('sha1', BLOB),
			'sha256:abc',
			`sha256:${'A'.repeat(64)}`,
			`sha512:${'a'.repeat(64)}`,
			`sha256:${'a'.repeat(64)}:x`,
			'../../etc/passwd',
		];
		for (const digest of bad) {
			const outcome = await fetchBlob(digest);
			if (outcome === 'accepted') counts.unverifiedBlobsAccepted++;
			expect([digest, outcome]).toEqual([digest, 'DIGEST_INVALID']);
		}
		expect(http.requests.length).toBe(before);
		expect(
			await getManifest(plainClient(), 'app', 'md5:0123').catch((e: { code?: string }) => e.code),
		).toBe('DIGEST_INVALID');
	});

	counted(
		'an https registry redirecting a blob to http: refused, nothing fetched over http',
		async () => {
			const client = new RegistryClient(
				{ registry: https.origin.replace('https://', ''), caCertificate: caPem },
				{ maxAttempts: 1 },
			);
			const before = http.requests.length;
			const outcome = await getBlob(client, 'app', digestOf('sha256', BLOB)).then(
				() => 'accepted',
				(e: { code?: string }) => e.code,
			);
			expect(https.requests.length).toBeGreaterThan(0);
			expect(http.requests.length).toBe(before);
			expect(outcome).toBe('REDIRECT_REFUSED');
		},
	);
});

// ---- finding 10: order-aware bumps ----

describe('finding 10: a replayed older push does not move GitOps back', () => {
	let server: GitServer;
	let url: string;
	let cache: string;
	const OLD = { commit: 'a'.repeat(40), time: '2026-11-30T09:00:00Z' };
	const NEW = { commit: 'b'.repeat(40), time: '2026-11-30T11:00:00+01:00' };
	const NEWER = { commit: 'c'.repeat(40), time: '2026-11-30T12:00:00Z' };

	beforeAll(async () => {
		cache = await mkdtemp(join(tmpdir(), 'findings-order-'));
		server = await startGitServer();
		url = await server.createBareRepo('fleet', {
			'apps/app.yaml': 'image:\n  tag: main-000000000000\n',
			'apps/other.yaml': 'image:\n  tag: "1"\n',
		});
	});
	afterAll(async () => {
		await server?.stop();
		await rm(cache, { recursive: true, force: true });
		if (server) await rm(server.root, { recursive: true, force: true });
	});

	const bump = (
		source: { commit: string; time: string },
		cacheDir = cache,
		file = 'apps/app.yaml',
	) =>
		bumpGitManifest(
			{
				repositoryUrl: url,
				branch: 'main',
				edit: {
					mode: 'yamlPath',
					file,
					yamlPath: 'image.tag',
					value: `main-${source.commit.slice(0, 12)}`,
				},
				commitMessage: `Deploy ${source.commit.slice(0, 12)}`,
				allowPlainHttp: true,
				sourceOrder: { repository: 'homelab/webapp', ...source },
			} as BumpRequest,
			undefined,
			{ cacheDir },
		) as Promise<
			Awaited<ReturnType<typeof bumpGitManifest>> & { superseded?: Record<string, string> | null }
		>;

	counted(
		'new push bumps; the replayed old push changes nothing and says why; a newer push bumps again',
		async () => {
			const first = await bump(NEW);
			expect(first.changed).toBe(true);
			const log = await remoteLog(url);
			expect(log[0].message).toContain(`Source-Commit: ${NEW.commit}`);

			// Other bumps land in between (other apps), so the newer bump is not the tip.
			await bumpGitManifest(
				{
					repositoryUrl: url,
					branch: 'main',
					edit: { mode: 'yamlPath', file: 'apps/other.yaml', yamlPath: 'image.tag', value: '2' },
					commitMessage: 'other',
					allowPlainHttp: true,
				} as BumpRequest,
				undefined,
				{ cacheDir: cache },
			);

			// The replay, from a fresh worker (cold cache: a depth-1 clone) and from the warm cache.
			for (const cacheDir of [join(cache, 'cold-worker'), cache]) {
				const replay = await bump(OLD, cacheDir);
				if (replay.changed) counts.olderBumpsApplied++;
				expect(replay.changed).toBe(false);
				expect(replay.commit).toBeUndefined();
				expect(replay.superseded).toMatchObject({
					sourceCommit: OLD.commit,
					deployedSourceCommit: NEW.commit,
					deployedSourceCommitTime: '2026-11-30T10:00:00.000Z',
				});
			}
			expect(await readRemoteFile(url, 'main', 'apps/app.yaml')).toBe(
				`image:\n  tag: main-${NEW.commit.slice(0, 12)}\n`,
			);

			// The same push again is "no change", not superseded; a newer one is deployed.
			const again = await bump(NEW);
			expect([again.changed, again.superseded]).toEqual([false, null]);
			const newer = await bump(NEWER, join(cache, 'another-worker'));
			expect(newer.changed).toBe(true);
			expect(await readRemoteFile(url, 'main', 'apps/app.yaml')).toBe(
				`image:\n  tag: main-${NEWER.commit.slice(0, 12)}\n`,
			);
		},
	);

	counted(
		'a source commit newer than the whole branch history (nothing to fetch since then) bumps',
		async () => {
			const future = await bumpGitManifest(
				{
					repositoryUrl: url,
					branch: 'main',
					edit: { mode: 'yamlPath', file: 'apps/other.yaml', yamlPath: 'image.tag', value: '3' },
					commitMessage: 'future',
					allowPlainHttp: true,
					sourceOrder: {
						repository: 'homelab/other',
						commit: 'd'.repeat(40),
						time: String(Date.parse('2030-01-01T00:00:00Z') / 1000),
					},
				} as BumpRequest,
				undefined,
				{ cacheDir: cache },
			);
			expect(future).toMatchObject({ changed: true, superseded: null });
			expect((await remoteLog(url))[0].message).toContain(
				'Source-Commit-Time: 2030-01-01T00:00:00.000Z',
			);
		},
	);

	counted('a bad source commit or time is refused naming the field', async () => {
		const errorOf = (source: { commit: string; time: string }) =>
			bump(source).then(
				() => undefined,
				(e: { field?: string }) => e.field,
			);
		expect(await errorOf({ commit: 'not-a-sha', time: NEW.time })).toBe('sourceCommit');
		expect(await errorOf({ commit: NEW.commit, time: 'yesterday' })).toBe('sourceCommitTime');
	});
});

// ---- finding 14: short SHAs stay strings ----

describe('finding 14: a value that looks like a commit id is written as a string', () => {
	let root: string;
	beforeEach(async () => {
		root = await mkdtemp(join(tmpdir(), 'findings-yaml-'));
	});
	afterEach(() => rm(root, { recursive: true, force: true }));

	async function edit(text: string, value: string, valueType?: string): Promise<string> {
		await mkdir(dirname(join(root, 'values.yaml')), { recursive: true });
		await writeFile(join(root, 'values.yaml'), text);
		const result = await planEdit(
			root,
			checkEdit({
				mode: 'yamlPath',
				file: 'values.yaml',
				yamlPath: 'commit',
				value,
				valueType,
			} as Parameters<typeof checkEdit>[0]),
		);
		return result.files[0]?.after ?? text;
	}
	const readBack = (text: string) =>
		['1.1', '1.2'].map((version) =>
			parseDocument(text, { version: version as '1.1' | '1.2' }).get('commit'),
		);

	for (const [old, value] of [
		['1234567', '7654321'],
		['1234567', '1234567890'],
		['7e12345', '5859840'],
		['1234567', '0123456789012345678901234567890123456789'],
	]) {
		counted(`commit: ${old} → ${value} reads back as the string "${value}"`, async () => {
			const after = await edit(`commit: ${old} # deployed\n`, value);
			const values = readBack(after);
			if (values.some((v) => typeof v !== 'string')) counts.shortShasWrittenAsNumbers++;
			expect(values).toEqual([value, value]);
			expect(after).toBe(`commit: "${value}" # deployed\n`);
		});
	}

	counted(
		'numbers stay numbers: replicas 1 → 3 (auto), timeout 1800000 → 3600000 (Value Type: Number)',
		async () => {
			expect(await edit('commit: 1\n', '3')).toBe('commit: 3\n');
			expect(await edit('commit: 1800000\n', '3600000', 'number')).toBe('commit: 3600000\n');
			expect(await edit('commit: "5"\n', '6', 'number')).toBe('commit: 6\n');
			expect(await edit('commit: 5\n', '5', 'string')).toBe('commit: "5"\n');
			await expect(edit('commit: 5\n', 'abc', 'number')).rejects.toMatchObject({ field: 'value' });
		},
	);
});
