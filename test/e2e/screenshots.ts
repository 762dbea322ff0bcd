import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { N8nInstance } from '../stack/n8n';

/**
 * Pictures of workflows on the n8n canvas, taken by headless Chromium over the DevTools protocol (Node's own
 * WebSocket, no browser library) from a running n8n: log in, open each workflow, wait for its nodes, capture.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function chromiumBinary(): string {
	for (const name of [
		process.env.CHROMIUM ?? '',
		'chromium',
		'chromium-browser',
		'google-chrome',
	]) {
		if (!name) continue;
		try {
			return execFileSync('bash', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
		} catch {
			/* try the next name */
		}
	}
	throw new Error('no Chromium found: apt-get install chromium (or set CHROMIUM)');
}

/** One DevTools session on a page target: send a command, get its result. */
class DevTools {
	private nextId = 1;

	private pending = new Map<number, { resolve(v: any): void; reject(e: Error): void }>();

	private constructor(private readonly socket: WebSocket) {
		socket.addEventListener('message', (event) => {
			const message = JSON.parse(String(event.data)) as {
				id?: number;
				result?: unknown;
				error?: { message: string };
			};
			const waiter = message.id === undefined ? undefined : this.pending.get(message.id);
			if (!waiter) return;
			this.pending.delete(message.id!);
			if (message.error) waiter.reject(new Error(message.error.message));
			else waiter.resolve(message.result);
		});
	}

	static async connect(url: string): Promise<DevTools> {
		const socket = new WebSocket(url);
		await new Promise((resolve, reject) => {
			socket.addEventListener('open', resolve, { once: true });
			socket.addEventListener('error', () => reject(new Error(`cannot connect to ${url}`)), {
				once: true,
			});
		});
		return new DevTools(socket);
	}

	send<T = any>(method: string, params: object = {}): Promise<T> {
		const id = this.nextId++;
		this.socket.send(JSON.stringify({ id, method, params }));
		return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
	}

	close(): void {
		this.socket.close();
	}
}

async function startChromium(): Promise<{ child: ChildProcess; port: number; profile: string }> {
	const profile = mkdtempSync(join(tmpdir(), 'chromium-shots-'));
	const child = spawn(
		chromiumBinary(),
		[
			'--headless=new',
			'--no-sandbox',
			'--disable-gpu',
			'--no-first-run',
			'--remote-debugging-address=127.0.0.1',
			'--remote-debugging-port=0',
			`--user-data-dir=${profile}`,
			'about:blank',
		],
		{ detached: true, stdio: 'ignore' },
	);
	const portFile = join(profile, 'DevToolsActivePort');
	for (let i = 0; i < 300 && !existsSync(portFile); i++) await sleep(100);
	if (!existsSync(portFile)) throw new Error('Chromium did not open its DevTools port');
	return { child, port: Number(readFileSync(portFile, 'utf8').split('\n')[0]), profile };
}

/** Saves `<outDir>/<file>.png` for each workflow id; returns the paths. */
export async function screenshotWorkflows(
	n8n: N8nInstance,
	shots: Array<{ workflowId: string; file: string }>,
	outDir: string,
): Promise<string[]> {
	mkdirSync(outDir, { recursive: true });
	const login = await fetch(`${n8n.url}/rest/login`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ emailOrLdapLoginId: n8n.owner.email, password: n8n.owner.password }),
	});
	const cookies = login.headers.getSetCookie().map((c) => c.split(';')[0].split('='));
	const chromium = await startChromium();
	const saved: string[] = [];
	try {
		const targets = (await (
			await fetch(`http://127.0.0.1:${chromium.port}/json/list`)
		).json()) as Array<{ type: string; webSocketDebuggerUrl: string }>;
		const page = await DevTools.connect(
			targets.find((t) => t.type === 'page')!.webSocketDebuggerUrl,
		);
		await page.send('Network.enable');
		for (const [name, ...value] of cookies)
			await page.send('Network.setCookie', { name, value: value.join('='), url: n8n.url });
		await page.send('Emulation.setDeviceMetricsOverride', {
			width: 1600,
			height: 820,
			deviceScaleFactor: 1,
			mobile: false,
		});
		await page.send('Page.enable');
		for (const shot of shots) {
			const workflow = await n8n.client.api<{ nodes: unknown[] }>(
				'GET',
				`/workflows/${shot.workflowId}`,
			);
			await page.send('Page.navigate', { url: `${n8n.url}/workflow/${shot.workflowId}` });
			// The canvas is drawn after the editor loads the workflow: wait until every node is on it.
			for (let i = 0; i < 300; i++) {
				const { result } = await page.send('Runtime.evaluate', {
					expression: `document.querySelectorAll('[data-test-id="canvas-node"]').length`,
					returnByValue: true,
				});
				if (Number(result.value) >= workflow.nodes.length) break;
				await sleep(100);
			}
			await sleep(1500); // the zoom-to-fit animation, and the first-activation "Production Checklist" popover
			// Escape closes that popover, which would cover the start of the workflow.
			for (const type of ['keyDown', 'keyUp'])
				await page.send('Input.dispatchKeyEvent', {
					type,
					key: 'Escape',
					code: 'Escape',
					windowsVirtualKeyCode: 27,
				});
			await sleep(300);
			const { data } = await page.send<{ data: string }>('Page.captureScreenshot', {
				format: 'png',
			});
			const path = join(outDir, `${shot.file}.png`);
			writeFileSync(path, Buffer.from(data, 'base64'));
			saved.push(path);
		}
		page.close();
	} finally {
		try {
			process.kill(-chromium.child.pid!, 'SIGKILL');
		} catch {
			/* already gone */
		}
		rmSync(chromium.profile, { recursive: true, force: true });
	}
	return saved;
}
