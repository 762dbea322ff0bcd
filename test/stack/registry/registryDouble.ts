import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/**
 * A TEST DOUBLE of an OCI distribution registry, not a registry. It exists because distribution 2.8 (the real
 * registry of the stack) never paginates, returns tags unsorted and never rate-limits, while real registries
 * do: it implements the tag-list pagination of the distribution spec (lexical order, `n`, `last`, `Link:
 * <...>; rel="next"`, n=0 → empty), the page-size refusals of ECR/distribution 3.1 (400) and Quay (413),
 * 429 + Retry-After, 5xx storms, broken Link headers (loops, other origins, no progress), Basic and bearer
 * challenges, and manifests with or without Docker-Content-Digest. It runs in the caller's process: do not
 * block the event loop (execFileSync) while talking to it.
 */

export interface RegistryDoubleFaults {
	/** The next `times` requests under /v2/<name>/ get 429 with this Retry-After value. */
	rateLimit?: { times: number; retryAfter?: string };
	/** The next `times` requests under /v2/<name>/ get this status (default 503); Infinity = a storm. */
	serverError?: { times: number; status?: number };
	/**
	 * How the next-page Link is written: `relative` (default, path only), `absolute` (same origin),
	 * `other-origin` (same page on http://localhost:PORT, a different origin), `loop` (the requested URL itself),
	 * `no-progress` (a new URL each time that serves the same page again).
	 */
	link?: 'relative' | 'absolute' | 'other-origin' | 'loop' | 'no-progress';
}

export interface RegistryDoubleOptions {
	tags: string[];
	/** The only repository that exists (others are 404 NAME_UNKNOWN); default: every name has `tags`. */
	repository?: string;
	/** Largest `n` honoured (default 1000). */
	pageLimit?: number;
	/** What an `n` above pageLimit gets: 400 PAGINATION_NUMBER_INVALID, 413 TOO_MANY_TAGS_REQUESTED, or clamped. */
	tooLargeN?: 400 | 413 | 'clamp';
	/** Page size when no `n` is sent (default: everything in one response, as distribution does). */
	defaultPageSize?: number;
	auth?: {
		scheme: 'basic' | 'bearer';
		username: string;
		password: string;
		tokenExpiresIn?: number;
		/** Which JSON field carries the token (default both `token` and `access_token`). */
		tokenField?: 'token' | 'access_token' | 'both';
		/** Whether an anonymous caller may get a pull token (a public image behind a token service). */
		anonymousPull?: boolean;
	};
	/** Manifests by tag or digest; HEAD/GET honour Accept like distribution 2.8 (404 when the type is not accepted). */
	manifests?: Record<string, { mediaType: string; body: string }>;
	/** Send Docker-Content-Digest on manifest responses (default true). */
	digestHeader?: boolean;
	faults?: RegistryDoubleFaults;
}

export interface RecordedRequest {
	method: string;
	path: string;
	query: string;
	status: number;
	host: string;
	authorized: 'none' | 'basic' | 'bearer';
	at: number;
}

export interface RegistryDouble {
	url: string;
	host: string;
	/** Every request the double answered, in order (token requests included, path /token). */
	requests: RecordedRequest[];
	setFaults(faults: RegistryDoubleFaults): void;
	setTags(tags: string[]): void;
	stop(): Promise<void>;
}

function byteOrder(a: string, b: string): number {
	return a < b ? -1 : a > b ? 1 : 0;
}

function errorBody(code: string, message: string, detail: unknown = {}): string {
	return JSON.stringify({ errors: [{ code, message, detail }] });
}

function safeEqual(a: string, b: string): boolean {
	const x = Buffer.from(a);
	const y = Buffer.from(b);
	return x.length === y.length && timingSafeEqual(x, y);
}

export async function startRegistryDouble(opts: RegistryDoubleOptions): Promise<RegistryDouble> {
	let tags = [...opts.tags].sort(byteOrder);
	let faults: RegistryDoubleFaults = { ...opts.faults };
	const pageLimit = opts.pageLimit ?? 1000;
	const tokens = new Map<string, number>();
	const requests: RecordedRequest[] = [];
	let origin = '';
	let port = 0;
	let noProgressCounter = 0;

	const send = (
		res: ServerResponse,
		status: number,
		body = '',
		headers: Record<string, string> = {},
	) => {
		res.writeHead(status, {
			'content-type': 'application/json',
			'docker-distribution-api-version': 'registry/2.0',
			...headers,
		});
		res.end(body);
	};

	const challenge = (scope?: string): string => {
		if (opts.auth?.scheme === 'basic') return 'Basic realm="registry-double"';
		return `Bearer realm="${origin}/token",service="registry-double"${scope ? `,scope="${scope}"` : ''}`;
	};

	const authorizationKind = (req: IncomingMessage): RecordedRequest['authorized'] => {
		const header = req.headers.authorization ?? '';
		return /^Basic /i.test(header) ? 'basic' : /^Bearer /i.test(header) ? 'bearer' : 'none';
	};

	const basicMatches = (req: IncomingMessage): boolean => {
		const header = req.headers.authorization ?? '';
		if (!/^Basic /i.test(header) || !opts.auth) return false;
		return safeEqual(
			Buffer.from(header.slice(6), 'base64').toString(),
			`${opts.auth.username}:${opts.auth.password}`,
		);
	};

	const isAuthorized = (req: IncomingMessage): boolean => {
		if (!opts.auth) return true;
		if (opts.auth.scheme === 'basic') return basicMatches(req);
		const header = req.headers.authorization ?? '';
		const expires = /^Bearer /i.test(header) ? tokens.get(header.slice(7)) : undefined;
		return expires !== undefined && expires > Date.now();
	};

	const issueToken = (req: IncomingMessage, res: ServerResponse) => {
		const auth = opts.auth!;
		const anonymous = !req.headers.authorization;
		if (anonymous ? !auth.anonymousPull : !basicMatches(req)) {
			send(res, 401, errorBody('UNAUTHORIZED', 'authentication required'));
			return 401;
		}
		const token = randomBytes(24).toString('base64url');
		const expiresIn = auth.tokenExpiresIn ?? 60;
		tokens.set(token, Date.now() + expiresIn * 1000);
		const field = auth.tokenField ?? 'both';
		const body = {
			...(field !== 'access_token' ? { token } : {}),
			...(field !== 'token' ? { access_token: token } : {}),
			expires_in: expiresIn,
		};
		send(res, 200, JSON.stringify(body));
		return 200;
	};

	const nextLink = (name: string, n: number, last: string, requested: string): string => {
		const path = `/v2/${name}/tags/list?n=${n}&last=${encodeURIComponent(last)}`;
		switch (faults.link ?? 'relative') {
			case 'absolute':
				return `<${origin}${path}>; rel="next"`;
			case 'other-origin':
				return `<http://localhost:${port}${path}>; rel="next"`;
			case 'loop':
				return `<${requested}>; rel="next"`;
			case 'no-progress':
				return `<${requested.replace(/[?&]page=\d+/, '')}${requested.includes('?') ? '&' : '?'}page=${++noProgressCounter}>; rel="next"`;
			default:
				return `<${path}>; rel="next"`;
		}
	};

	const listTags = (name: string, url: URL, res: ServerResponse): number => {
		const rawN = url.searchParams.get('n');
		let n = rawN === null ? (opts.defaultPageSize ?? Infinity) : Number(rawN);
		if (rawN !== null && (!/^\d+$/.test(rawN) || !Number.isSafeInteger(n))) {
			send(
				res,
				400,
				errorBody('PAGINATION_NUMBER_INVALID', 'invalid number of results requested', { n: rawN }),
			);
			return 400;
		}
		if (n > pageLimit && rawN !== null) {
			if (opts.tooLargeN === 400) {
				send(
					res,
					400,
					errorBody('PAGINATION_NUMBER_INVALID', 'invalid number of results requested', {
						n,
						maxtags: pageLimit,
					}),
				);
				return 400;
			}
			if (opts.tooLargeN === 413) {
				send(
					res,
					413,
					errorBody('TOO_MANY_TAGS_REQUESTED', 'Requested page size too large', {
						n,
						max: pageLimit,
					}),
				);
				return 413;
			}
			n = pageLimit;
		}
		const loopingFault = faults.link === 'loop' || faults.link === 'no-progress';
		const last = loopingFault ? null : url.searchParams.get('last');
		const from = last === null ? 0 : tags.findIndex((t) => byteOrder(t, last) > 0);
		const rest = from < 0 ? [] : tags.slice(from);
		const page = rest.slice(0, n);
		const headers: Record<string, string> = {};
		if (n > 0 && rest.length > page.length) {
			headers.link = nextLink(name, n, page[page.length - 1], `${url.pathname}${url.search}`);
		}
		send(res, 200, JSON.stringify({ name, tags: page }), headers);
		return 200;
	};

	const serveManifest = (req: IncomingMessage, reference: string, res: ServerResponse): number => {
		const manifest = opts.manifests?.[reference];
		const digestOf = (m: { body: string }) =>
			`sha256:${createHash('sha256').update(m.body).digest('hex')}`;
		const found =
			manifest ?? Object.values(opts.manifests ?? {}).find((m) => digestOf(m) === reference);
		if (!found) {
			send(
				res,
				404,
				req.method === 'HEAD'
					? ''
					: errorBody('MANIFEST_UNKNOWN', 'manifest unknown', { Tag: reference }),
			);
			return 404;
		}
		const accepted = (req.headers.accept ?? '').split(',').map((s) => s.trim().split(';')[0]);
		if (!accepted.includes(found.mediaType)) {
			send(
				res,
				404,
				req.method === 'HEAD'
					? ''
					: errorBody(
							'MANIFEST_UNKNOWN',
							'manifest found, but accept header does not support its type',
						),
			);
			return 404;
		}
		const headers: Record<string, string> = {
			'content-type': found.mediaType,
			'content-length': String(Buffer.byteLength(found.body)),
		};
		if (opts.digestHeader !== false) headers['docker-content-digest'] = digestOf(found);
		res.writeHead(200, headers);
		res.end(req.method === 'HEAD' ? undefined : found.body);
		return 200;
	};

	const handle = (req: IncomingMessage, res: ServerResponse): number => {
		const url = new URL(req.url ?? '/', origin);
		if (url.pathname === '/token' && opts.auth?.scheme === 'bearer') return issueToken(req, res);
		if (url.pathname === '/v2/' || url.pathname === '/v2') {
			if (!isAuthorized(req)) {
				send(res, 401, errorBody('UNAUTHORIZED', 'authentication required'), {
					'www-authenticate': challenge(),
				});
				return 401;
			}
			send(res, 200, '{}');
			return 200;
		}
		const match = url.pathname.match(/^\/v2\/(.+)\/(tags\/list|manifests\/([^/]+))$/);
		if (!match) {
			send(res, 404, errorBody('NOT_FOUND', 'not found'));
			return 404;
		}
		const name = match[1];
		if (!isAuthorized(req)) {
			send(res, 401, errorBody('UNAUTHORIZED', 'authentication required'), {
				'www-authenticate': challenge(`repository:${name}:pull`),
			});
			return 401;
		}
		if (faults.rateLimit && faults.rateLimit.times > 0) {
			faults.rateLimit.times--;
			send(res, 429, errorBody('TOOMANYREQUESTS', 'rate limit exceeded'), {
				'retry-after': faults.rateLimit.retryAfter ?? '1',
			});
			return 429;
		}
		if (faults.serverError && faults.serverError.times > 0) {
			faults.serverError.times--;
			const status = faults.serverError.status ?? 503;
			send(res, status, errorBody('UNAVAILABLE', 'service unavailable'));
			return status;
		}
		if (opts.repository && name !== opts.repository) {
			send(res, 404, errorBody('NAME_UNKNOWN', 'repository name not known to registry', { name }));
			return 404;
		}
		return match[2] === 'tags/list'
			? listTags(name, url, res)
			: serveManifest(req, decodeURIComponent(match[3]), res);
	};

	const server = createServer((req, res) => {
		const url = new URL(req.url ?? '/', 'http://double');
		const status = handle(req, res);
		requests.push({
			method: req.method ?? '',
			path: url.pathname,
			query: url.search,
			status,
			host: req.headers.host ?? '',
			authorized: authorizationKind(req),
			at: Date.now(),
		});
	});
	server.keepAliveTimeout = 5000;
	await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
	port = (server.address() as { port: number }).port;
	origin = `http://127.0.0.1:${port}`;
	return {
		url: origin,
		host: `127.0.0.1:${port}`,
		requests,
		setFaults: (next) => {
			faults = { ...next };
		},
		setTags: (next) => {
			tags = [...next].sort(byteOrder);
		},
		stop: () =>
			new Promise<void>((done) => {
				server.closeAllConnections();
				server.close(() => done());
			}),
	};
}
