/**
 * A small client for a running n8n: the internal REST API (`/rest`, the owner's session cookie: what the editor
 * uses, and the only way to test a credential) and the public API (`/api/v1`, an API key).
 */
export class N8nClient {
	private cookie = '';

	private apiKey = '';

	constructor(readonly url: string) {}

	/** Logs the owner in and keeps the session cookie (needs N8N_SECURE_COOKIE=false on plain http). */
	async login(email: string, password: string): Promise<void> {
		const res = await fetch(`${this.url}/rest/login`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ emailOrLdapLoginId: email, password }),
		});
		if (!res.ok) throw new Error(`n8n login failed: HTTP ${res.status} ${await res.text()}`);
		const cookies = res.headers.getSetCookie().map((c) => c.split(';')[0]);
		this.cookie = cookies.join('; ');
	}

	/** Creates an API key with every scope the owner may grant and uses it for the public API from now on. */
	async createApiKey(label = 'stack'): Promise<string> {
		const scopes = await this.rest<string[]>('GET', '/api-keys/scopes');
		const created = await this.rest<{ rawApiKey: string }>('POST', '/api-keys', {
			label,
			scopes,
			expiresAt: null,
		});
		this.apiKey = created.rawApiKey;
		return this.apiKey;
	}

	/** Internal REST call; returns the `data` field n8n wraps responses in. */
	async rest<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
		const res = await fetch(`${this.url}/rest${path}`, {
			method,
			headers: {
				cookie: this.cookie,
				'content-type': 'application/json',
				'browser-id': 'n8n-stack',
			},
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await res.text();
		if (!res.ok)
			throw new Error(`n8n ${method} /rest${path}: HTTP ${res.status} ${text.slice(0, 500)}`);
		const parsed = text ? JSON.parse(text) : {};
		return (parsed && typeof parsed === 'object' && 'data' in parsed ? parsed.data : parsed) as T;
	}

	/** A GET with the session cookie outside /rest, e.g. the editor's `/types/nodes.json`. */
	async getJson<T = unknown>(path: string): Promise<T> {
		const res = await fetch(`${this.url}${path}`, { headers: { cookie: this.cookie } });
		if (!res.ok) throw new Error(`n8n GET ${path}: HTTP ${res.status}`);
		return (await res.json()) as T;
	}

	/** Public API call (`/api/v1`), authenticated with the API key. */
	async api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
		const res = await fetch(`${this.url}/api/v1${path}`, {
			method,
			headers: { 'X-N8N-API-KEY': this.apiKey, 'content-type': 'application/json' },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await res.text();
		if (!res.ok)
			throw new Error(`n8n ${method} /api/v1${path}: HTTP ${res.status} ${text.slice(0, 500)}`);
		return (text ? JSON.parse(text) : {}) as T;
	}
}
