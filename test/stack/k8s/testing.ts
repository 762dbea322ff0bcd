import * as k8s from '@kubernetes/client-node';
import { request } from 'node:https';

/** Helpers shared by the stand-in's own tests. */
export interface WatchOutcome {
	events: Array<{ type: string; obj: any }>;
	/** 'stopped' when `stopWhen` ended it, else what client-node's done() got (null = the server ended the stream). */
	end: unknown;
}

/** Watches Jobs in `namespace` with client-node's Watch until `stopWhen` says so or the stream ends. */
export function watchJobs(
	kc: k8s.KubeConfig,
	namespace: string,
	params: Record<string, unknown>,
	stopWhen: (type: string, obj: any) => boolean = () => false,
): Promise<WatchOutcome> {
	const events: WatchOutcome['events'] = [];
	return new Promise((resolve, reject) => {
		let controller: AbortController | undefined;
		new k8s.Watch(kc)
			.watch(
				`/apis/batch/v1/namespaces/${namespace}/jobs`,
				{ allowWatchBookmarks: true, ...params },
				(type, obj) => {
					events.push({ type, obj });
					if (stopWhen(type, obj)) {
						controller?.abort();
						resolve({ events, end: 'stopped' });
					}
				},
				(end) => resolve({ events, end: end ?? null }),
			)
			.then((c) => (controller = c), reject);
	});
}

/** Polls `read` until `ok` holds; throws with the last value after `ms`. */
export async function until<T>(
	what: string,
	read: () => Promise<T>,
	ok: (v: T) => boolean,
	ms = 15_000,
): Promise<T> {
	const end = Date.now() + ms;
	for (;;) {
		const v = await read();
		if (ok(v)) return v;
		if (Date.now() > end)
			throw new Error(`timed out waiting for ${what}: ${String(JSON.stringify(v)).slice(0, 2000)}`);
		await new Promise((r) => setTimeout(r, 20));
	}
}

export const jobCondition = (job: k8s.V1Job, type: string) =>
	job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
export const jobFinished = (job: k8s.V1Job) =>
	!!(jobCondition(job, 'Complete') || jobCondition(job, 'Failed'));

export interface RawResponse {
	status: number;
	headers: Record<string, string | string[] | undefined>;
	body: any;
}

/** One HTTPS request to the stand-in with a bearer token, body sent as is (for what typed clients cannot send). */
export function rawRequest(
	url: string,
	caPem: string,
	token: string,
	method: string,
	body: Buffer | string,
	contentType: string,
): Promise<RawResponse> {
	return new Promise((resolve, reject) => {
		const req = request(
			url,
			{
				method,
				ca: caPem,
				headers: {
					Authorization: `Bearer ${token}`,
					'Content-Type': contentType,
					Accept: 'application/json',
				},
			},
			(res) => {
				let text = '';
				res.on('data', (c) => (text += c));
				res.on('end', () =>
					resolve({
						status: res.statusCode ?? 0,
						headers: res.headers,
						body: text ? JSON.parse(text) : undefined,
					}),
				);
			},
		);
		req.on('error', reject);
		req.end(body);
	});
}
