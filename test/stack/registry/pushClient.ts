import { Agent, request } from 'undici';
import type { Blob } from './ociImage';

/**
 * The stack's own minimal distribution-API writer (blob upload, manifest PUT), independent of lib/registry so
 * that fixtures never depend on the code under test. Plain HTTP only; Basic sent up front when credentials are
 * given, a bearer token fetched on the first 401 that asks for one.
 */
export interface PushTarget {
	registry: string;
	repository: string;
	username?: string;
	password?: string;
}

const ACCEPT_MANIFESTS = [
	'application/vnd.oci.image.index.v1+json',
	'application/vnd.docker.distribution.manifest.list.v2+json',
	'application/vnd.oci.image.manifest.v1+json',
	'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export class PushSession {
	private readonly agent = new Agent({ connections: 16, keepAliveTimeout: 10_000 });
	private authorization?: string;

	constructor(private readonly target: PushTarget) {
		if (target.username !== undefined) {
			this.authorization = `Basic ${Buffer.from(`${target.username}:${target.password ?? ''}`).toString('base64')}`;
		}
	}

	private url(path: string): string {
		return path.startsWith('http')
			? path
			: `http://${this.target.registry}/v2/${this.target.repository}${path}`;
	}

	async send(
		method: 'GET' | 'HEAD' | 'POST' | 'PUT',
		path: string,
		body?: Buffer,
		headers: Record<string, string> = {},
	) {
		for (let attempt = 0; attempt < 2; attempt++) {
			const res = await request(this.url(path), {
				method,
				body,
				dispatcher: this.agent,
				headers: {
					...headers,
					...(this.authorization ? { authorization: this.authorization } : {}),
				},
			});
			const challenge = String(res.headers['www-authenticate'] ?? '');
			if (res.statusCode === 401 && attempt === 0 && /^Bearer /i.test(challenge)) {
				await res.body.dump();
				await this.fetchToken(challenge);
				continue;
			}
			return res;
		}
		throw new Error('unreachable');
	}

	private async fetchToken(challenge: string): Promise<void> {
		const params = Object.fromEntries(
			[...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
		);
		const url = new URL(params.realm);
		url.searchParams.set('service', params.service ?? '');
		url.searchParams.set('scope', `repository:${this.target.repository}:pull,push`);
		const basic =
			this.target.username !== undefined
				? Buffer.from(`${this.target.username}:${this.target.password ?? ''}`).toString('base64')
				: undefined;
		const res = await request(url, {
			dispatcher: this.agent,
			headers: basic ? { authorization: `Basic ${basic}` } : {},
		});
		const body = (await res.body.json()) as { token?: string; access_token?: string };
		if (res.statusCode !== 200) throw new Error(`token issuer answered ${res.statusCode}`);
		this.authorization = `Bearer ${body.token ?? body.access_token}`;
	}

	private async expect(res: Awaited<ReturnType<PushSession['send']>>, ok: number[], what: string) {
		if (!ok.includes(res.statusCode)) {
			throw new Error(`${what}: HTTP ${res.statusCode} ${await res.body.text()}`);
		}
		await res.body.dump();
	}

	async pushBlob(blob: Blob): Promise<void> {
		const head = await this.send('HEAD', `/blobs/${blob.digest}`);
		await head.body.dump();
		if (head.statusCode === 200) return;
		const start = await this.send('POST', '/blobs/uploads/');
		const location = String(start.headers.location ?? '');
		await this.expect(start, [202], `start upload of ${blob.digest}`);
		const uploadUrl = new URL(location, `http://${this.target.registry}`);
		uploadUrl.searchParams.set('digest', blob.digest);
		const put = await this.send('PUT', uploadUrl.toString(), blob.bytes, {
			'content-type': 'application/octet-stream',
			'content-length': String(blob.size),
		});
		await this.expect(put, [201], `upload of ${blob.digest}`);
	}

	async putManifest(reference: string, mediaType: string, bytes: Buffer): Promise<void> {
		const res = await this.send('PUT', `/manifests/${reference}`, bytes, {
			'content-type': mediaType,
		});
		await this.expect(res, [201], `PUT manifest ${this.target.repository}:${reference}`);
	}

	async getManifest(reference: string): Promise<{ mediaType: string; bytes: Buffer }> {
		const res = await this.send('GET', `/manifests/${reference}`, undefined, {
			accept: ACCEPT_MANIFESTS,
		});
		if (res.statusCode !== 200)
			throw new Error(
				`GET manifest ${this.target.repository}:${reference}: HTTP ${res.statusCode} ${await res.body.text()}`,
			);
		return {
			mediaType: String(res.headers['content-type']),
			bytes: Buffer.from(await res.body.arrayBuffer()),
		};
	}

	async close(): Promise<void> {
		await this.agent.close();
	}
}

/** Runs `work` over `items` with at most `limit` in flight. */
export async function inParallel<T>(
	items: T[],
	limit: number,
	work: (item: T) => Promise<void>,
): Promise<void> {
	let next = 0;
	const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
		while (next < items.length) await work(items[next++]);
	});
	await Promise.all(lanes);
}
