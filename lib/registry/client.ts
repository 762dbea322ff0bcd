import { createHash } from 'node:crypto';
import type { Agent, Dispatcher } from 'undici';
import { parseWwwAuthenticate, type AuthChallenge } from './challenge';
import { describeErrorBody, RegistryError } from './errors';
import { redact } from '../redact';
import { apiHostOf } from '../imageReference/repository';
import { isRetryableStatus, parseRetryAfter, retryDelayMs } from './retry';

/**
 * The HTTP edge of the OCI distribution client: keep-alive connections (one undici Agent per CA, shared by
 * every client), the auth challenge flow (anonymous → 401 → Basic, or Bearer token from the realm, cached
 * until it expires), and retries with backoff on 408/429/5xx and dropped connections, honouring Retry-After.
 */

export interface RegistryConnection {
	/** host[:port] as named in image references (docker.io for Docker Hub). */
	registry: string;
	plainHttp?: boolean;
	caCertificate?: string;
	username?: string;
	password?: string;
}

export interface RegistryClientOptions {
	/** Deadline of one request, headers and body together (default 30 s): a body that trickles in ends there. */
	timeoutMs?: number;
	/** Tries per request, the first included (default 4). */
	maxAttempts?: number;
	/** First backoff step; doubles per attempt (default 500 ms). */
	retryBaseMs?: number;
	/** A Retry-After longer than this fails at once rather than stalling the workflow (default 60 s). */
	maxRetryAfterMs?: number;
}

export interface RegistryResponse {
	status: number;
	headers: Record<string, string | string[] | undefined>;
	body: Buffer;
	url: string;
}

export interface SendOptions {
	accept?: string;
	/** Token scope for this request, e.g. repository:webapp/app:pull (used when the challenge names none). */
	scope?: string;
	/** Statuses returned to the caller instead of thrown (2xx always are). */
	allow?: number[];
	/** Follow 30x (blob downloads redirect to storage); Authorization is kept on the same origin only, and never to http unless the registry is plain HTTP. */
	followRedirects?: boolean;
	/** Refuse a 2xx body larger than this (default BODY_LIMITS.bytes), before reading it when Content-Length says so, else as soon as it passes. */
	maxBytes?: number;
}

/**
 * What one answer may cost in memory: manifests, tag pages and token answers are a few KiB to a few hundred
 * KiB; more is a broken or hostile registry. Error answers are only summarised, so only their start is read.
 */
export const BODY_LIMITS = { bytes: 4 * 1024 * 1024, errorBytes: 64 * 1024 };

interface CachedToken {
	token: string;
	expiresAt: number;
}

// Process-wide, so that n8n executions polling the same registry reuse connections, challenges and tokens.
const agents = new Map<string, Agent>();
const knownChallenges = new Map<string, AuthChallenge>();
const tokens = new Map<string, CachedToken>();

const RETRYABLE_NETWORK_ERRORS = new Set([
	'DEADLINE',
	'ECONNRESET',
	'ECONNREFUSED',
	'EPIPE',
	'ETIMEDOUT',
	'UND_ERR_SOCKET',
	'UND_ERR_CONNECT_TIMEOUT',
	'UND_ERR_HEADERS_TIMEOUT',
	'UND_ERR_BODY_TIMEOUT',
	'UND_ERR_CLOSED',
]);

/** Tokens are renewed a little before they expire, so a request never carries one that dies in flight. */
const TOKEN_EXPIRY_MARGIN_MS = 5_000;
const DEFAULT_TOKEN_LIFETIME_S = 60;

/** undici on first use: only Query Registry Tags needs it, and n8n loads every node in every process it starts. */
const undici = (): typeof import('undici') => require('undici');

function agentFor(caCertificate?: string): Agent {
	const key = caCertificate ? createHash('sha256').update(caCertificate).digest('hex') : '';
	let agent = agents.get(key);
	if (!agent) {
		agent = new (undici().Agent)({
			keepAliveTimeout: 30_000,
			connections: 16,
			connect: caCertificate ? { ca: caCertificate } : undefined,
		});
		agents.set(key, agent);
	}
	return agent;
}

/** Closes every pooled connection (tests, benchmarks, shutdown); the next request opens new ones. */
export async function closeRegistryConnections(): Promise<void> {
	const all = [...agents.values()];
	agents.clear();
	await Promise.all(all.map((a) => a.close()));
}

/** Forgets cached tokens and challenges (tests use it to observe a fresh auth flow). */
export function forgetRegistryAuth(): void {
	tokens.clear();
	knownChallenges.clear();
}

/**
 * The response body, or undefined when it is larger than `maxBytes`: then the stream is destroyed as soon as
 * that is known (from Content-Length, else once the bytes read pass the limit), so a huge body costs no memory.
 * With `truncate`, the first `maxBytes` are returned instead (an error answer is only summarised).
 */
async function readBody(
	answer: Dispatcher.ResponseData,
	maxBytes: number,
	truncate: boolean,
): Promise<Buffer | undefined> {
	const declared = Number(answer.headers['content-length']);
	if (declared > maxBytes && !truncate) {
		answer.body.destroy();
		return undefined;
	}
	const chunks: Buffer[] = [];
	let total = 0;
	for await (const chunk of answer.body as AsyncIterable<Buffer>) {
		const room = maxBytes - total;
		if (chunk.length > room) {
			answer.body.destroy();
			if (!truncate) return undefined;
			chunks.push(chunk.subarray(0, room));
			return Buffer.concat(chunks, maxBytes);
		}
		total += chunk.length;
		chunks.push(chunk);
	}
	return Buffer.concat(chunks, total);
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

export class RegistryClient {
	readonly baseUrl: string;
	readonly registry: string;
	/** HTTP requests sent by this client, token requests and retries included. */
	requestCount = 0;
	private readonly agent: Agent;
	private readonly identity: string;
	private readonly options: Required<RegistryClientOptions>;

	constructor(
		private readonly connection: RegistryConnection,
		options: RegistryClientOptions = {},
	) {
		this.registry = connection.registry;
		this.baseUrl = `${connection.plainHttp ? 'http' : 'https'}://${apiHostOf(connection.registry)}`;
		this.agent = agentFor(connection.caCertificate || undefined);
		this.identity = this.hasCredentials()
			? createHash('sha256')
					.update(`${connection.username}\0${connection.password ?? ''}`)
					.digest('hex')
			: 'anonymous';
		this.options = {
			timeoutMs: 30_000,
			maxAttempts: 4,
			retryBaseMs: 500,
			maxRetryAfterMs: 60_000,
			...options,
		};
	}

	hasCredentials(): boolean {
		return Boolean(this.connection.username);
	}

	/** Sends a request to the registry with authentication and retries; throws RegistryError on failure. */
	async send(
		method: 'GET' | 'HEAD',
		pathOrUrl: string,
		opts: SendOptions = {},
	): Promise<RegistryResponse> {
		let url = new URL(pathOrUrl, this.baseUrl);
		let reauthenticated = false;
		for (let hops = 0; ;) {
			const sameOrigin = url.origin === new URL(this.baseUrl).origin;
			const authorization = sameOrigin ? await this.authorizationFor(opts.scope) : undefined;
			const res = await this.exchange(method, url, {
				accept: opts.accept,
				authorization,
				maxBytes: opts.maxBytes,
			});
			if (res.status === 401 && sameOrigin && !reauthenticated) {
				reauthenticated = true;
				await this.answerChallenge(res, opts.scope);
				continue;
			}
			if (
				opts.followRedirects &&
				[301, 302, 303, 307, 308].includes(res.status) &&
				res.headers.location &&
				hops++ < 3
			) {
				url = new URL(String(res.headers.location), url);
				if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.connection.plainHttp)) {
					throw this.fail(
						`Registry ${this.registry} redirected ${method} ${new URL(pathOrUrl, this.baseUrl).pathname} to ${url.protocol}//${url.host}; only https is followed, so it was not`,
						{
							statusCode: res.status,
							code: 'REDIRECT_REFUSED',
						},
					);
				}
				continue;
			}
			if ((res.status >= 200 && res.status < 300) || opts.allow?.includes(res.status)) return res;
			throw this.errorFor(method, url, res);
		}
	}

	private secrets(): Array<string | undefined> {
		return [this.connection.password, ...[...tokens.values()].map((t) => t.token)];
	}

	private fail(
		message: string,
		details: ConstructorParameters<typeof RegistryError>[1] = {},
	): RegistryError {
		return new RegistryError(redact(message, this.secrets(), this.connection.username), details);
	}

	private errorFor(method: string, url: URL, res: RegistryResponse): RegistryError {
		const { code, message } = describeErrorBody(res.body);
		const what = `${method} ${url.pathname}`;
		const detail = [code, message].filter(Boolean).join(': ');
		if (res.status === 401 || res.status === 403) {
			const who = this.hasCredentials() ? `user "${this.connection.username}"` : 'anonymous access';
			const hint = this.hasCredentials()
				? 'check the credential'
				: 'add a Container Registry credential';
			return this.fail(
				`Registry ${this.registry} refused ${who} for ${what} (HTTP ${res.status}${detail ? `, ${detail}` : ''}); ${hint}`,
				{ statusCode: res.status, code },
			);
		}
		return this.fail(
			`Registry ${this.registry} answered HTTP ${res.status} to ${what}${detail ? ` (${detail})` : ''}`,
			{ statusCode: res.status, code },
		);
	}

	/** One request with retries on retryable statuses and network errors; auth is the caller's business. */
	private async exchange(
		method: string,
		url: URL,
		opts: { accept?: string; authorization?: string; maxBytes?: number },
	): Promise<RegistryResponse> {
		const { maxAttempts, retryBaseMs, maxRetryAfterMs, timeoutMs } = this.options;
		const maxBytes = opts.maxBytes ?? BODY_LIMITS.bytes;
		for (let attempt = 1; ; attempt++) {
			let res: RegistryResponse;
			let body: Buffer | undefined;
			// One deadline for headers and body: undici's own timeouts restart with every byte received.
			const deadline = new AbortController();
			const timer = setTimeout(() => deadline.abort(), timeoutMs);
			try {
				this.requestCount++;
				const answer = await undici().request(url, {
					method,
					dispatcher: this.agent,
					signal: deadline.signal,
					headersTimeout: timeoutMs,
					bodyTimeout: timeoutMs,
					headers: {
						'user-agent': 'n8n-nodes-buildkit',
						...(opts.accept ? { accept: opts.accept } : {}),
						...(opts.authorization ? { authorization: opts.authorization } : {}),
					},
				});
				const success = answer.statusCode >= 200 && answer.statusCode < 300;
				body = await readBody(
					answer,
					success ? maxBytes : Math.min(maxBytes, BODY_LIMITS.errorBytes),
					!success,
				);
				res = {
					status: answer.statusCode,
					headers: answer.headers,
					body: body ?? Buffer.alloc(0),
					url: url.toString(),
				};
			} catch (error) {
				const code = deadline.signal.aborted
					? 'DEADLINE'
					: ((error as { code?: string }).code ?? '');
				if (RETRYABLE_NETWORK_ERRORS.has(code) && attempt < maxAttempts) {
					await sleep(retryDelayMs(attempt, undefined, retryBaseMs));
					continue;
				}
				const tls = /CERT|SELF_SIGNED|TLS|SSL/i.test(`${code} ${(error as Error).message}`);
				const hint = tls
					? '; give the registry CA certificate in the credential, or enable Plain HTTP if it serves no TLS'
					: '';
				const why =
					code === 'DEADLINE'
						? `no complete answer within ${timeoutMs / 1000} s`
						: code || (error as Error).message;
				throw this.fail(
					`Could not reach registry ${this.registry} (${url.origin}): ${why} after ${attempt} attempt(s)${hint}`,
					{ attempts: attempt, code },
				);
			} finally {
				clearTimeout(timer);
			}
			if (body === undefined) {
				throw this.fail(
					`Registry ${this.registry} answered ${method} ${url.pathname} with more than ${maxBytes} bytes; not reading it`,
					{ statusCode: res.status, code: 'TOO_LARGE' },
				);
			}
			if (!isRetryableStatus(res.status)) return res;
			const retryAfter = parseRetryAfter(res.headers['retry-after']);
			if (attempt >= maxAttempts || (retryAfter !== undefined && retryAfter > maxRetryAfterMs)) {
				const { code, message } = describeErrorBody(res.body);
				const wait =
					retryAfter !== undefined ? `, Retry-After ${Math.round(retryAfter / 1000)} s` : '';
				throw this.fail(
					`Registry ${this.registry} answered HTTP ${res.status} to ${method} ${url.pathname} ${attempt} time(s)${wait}${code || message ? ` (${[code, message].filter(Boolean).join(': ')})` : ''}; giving up`,
					{ statusCode: res.status, code, attempts: attempt },
				);
			}
			await sleep(retryDelayMs(attempt, retryAfter, retryBaseMs));
		}
	}

	private tokenKey(challenge: AuthChallenge, scope: string | undefined): string {
		return [
			challenge.params.realm,
			challenge.params.service ?? '',
			scope ?? '',
			this.identity,
		].join('\n');
	}

	/** The Authorization header to send up front, once the registry's challenge is known. */
	private async authorizationFor(scope: string | undefined): Promise<string | undefined> {
		const challenge = knownChallenges.get(`${this.baseUrl}\n${this.identity}`);
		if (!challenge) return undefined;
		if (challenge.scheme === 'basic') return this.basicHeader();
		if (challenge.scheme === 'bearer')
			return `Bearer ${await this.bearerToken(challenge, challenge.params.scope ?? scope)}`;
		return undefined;
	}

	private basicHeader(): string | undefined {
		if (!this.hasCredentials()) return undefined;
		const { username, password } = this.connection;
		return `Basic ${Buffer.from(`${username}:${password ?? ''}`).toString('base64')}`;
	}

	private async answerChallenge(res: RegistryResponse, scope: string | undefined): Promise<void> {
		const challenges = parseWwwAuthenticate(res.headers['www-authenticate']);
		const challenge =
			challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
		if (!challenge) {
			throw this.fail(
				`Registry ${this.registry} answered 401 without a usable WWW-Authenticate challenge`,
				{ statusCode: 401 },
			);
		}
		if (challenge.scheme === 'basic' && !this.hasCredentials()) {
			throw this.fail(
				`Registry ${this.registry} requires a username and password (HTTP 401, Basic); add a Container Registry credential`,
				{ statusCode: 401 },
			);
		}
		// Per origin and identity: the scope in a challenge belongs to that request, so keep only realm/service.
		const { scope: _challengeScope, ...params } = challenge.params;
		knownChallenges.set(`${this.baseUrl}\n${this.identity}`, { scheme: challenge.scheme, params });
		if (challenge.scheme === 'bearer') {
			tokens.delete(this.tokenKey(challenge, challenge.params.scope ?? scope));
			await this.bearerToken(challenge, challenge.params.scope ?? scope);
		}
	}

	/** Distribution token auth: GET realm?service&scope (Basic if we have credentials), cached until expires_in. */
	private async bearerToken(challenge: AuthChallenge, scope: string | undefined): Promise<string> {
		const key = this.tokenKey(challenge, scope);
		const cached = tokens.get(key);
		if (cached && cached.expiresAt > Date.now()) return cached.token;
		let realm: URL;
		try {
			realm = new URL(challenge.params.realm ?? '');
		} catch {
			throw this.fail(
				`Registry ${this.registry} sent a Bearer challenge without a valid realm URL`,
				{ statusCode: 401 },
			);
		}
		// The token request carries the password (Basic), so it may not be weaker than the registry connection:
		// an https registry, or whoever tampers with its 401, must not downgrade it to http.
		const allowed = this.connection.plainHttp ? ['https:', 'http:'] : ['https:'];
		if (!allowed.includes(realm.protocol)) {
			const want = this.connection.plainHttp
				? 'http(s)'
				: 'https (the registry is reached over https)';
			throw this.fail(
				`Registry ${this.registry} sent a token realm at ${realm.protocol}//${realm.host}; it must be ${want}, so no token was requested`,
				{ statusCode: 401 },
			);
		}
		if (challenge.params.service) realm.searchParams.set('service', challenge.params.service);
		if (scope) realm.searchParams.set('scope', scope);
		const res = await this.exchange('GET', realm, {
			authorization: this.basicHeader(),
			accept: 'application/json',
		});
		if (res.status !== 200) {
			const { code, message } = describeErrorBody(res.body);
			const who = this.hasCredentials()
				? `the username or password of user "${this.connection.username}"`
				: 'anonymous access';
			throw this.fail(
				`Token service of registry ${this.registry} (${realm.host}) refused ${who} (HTTP ${res.status}${code || message ? `, ${[code, message].filter(Boolean).join(': ')}` : ''})`,
				{ statusCode: res.status === 200 ? 401 : res.status, code },
			);
		}
		let body: { token?: string; access_token?: string; expires_in?: number; issued_at?: string };
		try {
			body = JSON.parse(res.body.toString());
		} catch {
			throw this.fail(
				`Token service of registry ${this.registry} (${realm.host}) answered something that is not JSON`,
			);
		}
		const token = body.token || body.access_token;
		if (!token)
			throw this.fail(
				`Token service of registry ${this.registry} (${realm.host}) answered without a token`,
			);
		const lifetimeMs =
			(body.expires_in && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_LIFETIME_S) * 1000;
		const issuedAt = body.issued_at ? Date.parse(body.issued_at) : NaN;
		const start = Number.isNaN(issuedAt) ? Date.now() : Math.min(issuedAt, Date.now());
		tokens.set(key, {
			token,
			expiresAt: start + lifetimeMs - Math.min(TOKEN_EXPIRY_MARGIN_MS, lifetimeMs / 10),
		});
		return token;
	}
}
