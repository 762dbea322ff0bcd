import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small forge double for commit statuses: GitHub's `POST /repos/{owner}/{repo}/statuses/{sha}` and GitLab's
 * `POST /api/v4/projects/{id}/statuses/{sha}`, each checking its token header the way the forge does (401
 * otherwise), answering with the created status, and recording every accepted one in order.
 */
export interface RecordedStatus {
	provider: 'github' | 'gitlab';
	repository: string;
	sha: string;
	state: string;
	description?: string;
	targetUrl?: string;
	context?: string;
}

export interface ForgeDouble {
	url: string;
	token: string;
	statuses(sha?: string): RecordedStatus[];
	stop(): Promise<void>;
}

function readJson(req: IncomingMessage): Promise<any> {
	return new Promise((resolve) => {
		let text = '';
		req.on('data', (c) => (text += c));
		req.on('end', () => {
			try {
				resolve(JSON.parse(text || '{}'));
			} catch {
				resolve(undefined);
			}
		});
	});
}

const send = (res: ServerResponse, code: number, body: unknown) => {
	res.writeHead(code, { 'content-type': 'application/json' });
	res.end(JSON.stringify(body));
};

export async function startForgeDouble(token: string): Promise<ForgeDouble> {
	const recorded: RecordedStatus[] = [];
	let id = 0;
	const server = createServer(async (req, res) => {
		const url = new URL(req.url ?? '/', 'http://127.0.0.1');
		const github = /^\/repos\/([^/]+\/[^/]+)\/statuses\/([0-9a-f]{40})$/.exec(url.pathname);
		const gitlab = /^\/api\/v4\/projects\/([^/]+)\/statuses\/([0-9a-f]{40})$/.exec(url.pathname);
		if (req.method !== 'POST' || (!github && !gitlab))
			return send(res, 404, { message: 'Not Found' });
		const authorised = github
			? req.headers.authorization === `token ${token}` ||
				req.headers.authorization === `Bearer ${token}`
			: req.headers['private-token'] === token;
		if (!authorised)
			return send(res, 401, { message: github ? 'Bad credentials' : '401 Unauthorized' });
		const body = await readJson(req);
		const states = github
			? ['error', 'failure', 'pending', 'success']
			: ['pending', 'running', 'success', 'failed', 'canceled'];
		if (!body || !states.includes(body.state))
			return send(res, 422, {
				message: 'Validation Failed',
				errors: [{ field: 'state', code: 'invalid' }],
			});
		const status: RecordedStatus = {
			provider: github ? 'github' : 'gitlab',
			repository: decodeURIComponent((github ?? gitlab)![1]),
			sha: (github ?? gitlab)![2],
			state: body.state,
			description: body.description,
			targetUrl: body.target_url,
			context: body.context ?? body.name,
		};
		recorded.push(status);
		send(res, 201, {
			id: ++id,
			state: status.state,
			description: status.description,
			target_url: status.targetUrl,
			context: status.context,
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		token,
		statuses: (sha) => recorded.filter((s) => !sha || s.sha === sha),
		stop: () => new Promise((resolve) => server.close(() => resolve())),
	};
}
