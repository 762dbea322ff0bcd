import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { N8nClient } from './client';
import { databaseTemplate, seedUserFolder } from './databaseTemplate';
import { loopbackEnv } from './env';
import { installPackage, packPackage } from './packageInstall';
import { type N8nToolchain, n8nToolchain, withNode24Path } from './toolchain';

export { PACKAGE_NAME } from './packageInstall';

/** A credential as plain JSON; n8n encrypts `data` when it stores it. Workflows find it by `name`. */
export interface StackCredential {
	id?: string;
	name: string;
	type: string;
	data: object;
}

export interface StartN8nOptions {
	workflows?: object[];
	credentials?: StackCredential[];
	env?: Record<string, string>;
	/** Ids (as written in the workflow JSON) of workflows to activate; their webhooks are registered on return. */
	activate?: string[];
	/** Password of the owner (owner@buildkit.test) for logging in to the editor; random when omitted. */
	ownerPassword?: string;
}

export interface N8nExecution {
	id: string;
	workflowId: string;
	status: string;
	finished: boolean;
	mode: string;
	startedAt: string;
	stoppedAt: string | null;
	data?: any;
}

export interface N8nInstance {
	url: string;
	webhookUrl(path: string): string;
	/** Executions (oldest first) with their data, from the public API. */
	executions(workflowId?: string): Promise<N8nExecution[]>;
	/** Waits until the workflow has at least `count` finished executions; returns them oldest first. */
	waitForExecutions(workflowId: string, count: number, timeoutMs?: number): Promise<N8nExecution[]>;
	/** Activates (publishes) a workflow and waits until n8n reports it published and its webhooks answer; rejects with the triggers' errors when publishing failed. */
	activate(workflowId: string): Promise<void>;
	/**
	 * Runs a workflow once from its Manual Trigger with `n8n execute --id` against this instance's database
	 * (its own task-broker port, so it can run beside the server). Returns the run's status and data.
	 */
	execute(workflowId: string): Promise<{ status: string; data: any; output: string }>;
	/** Runs n8n's own credential test (what the editor's "Test" button does) on plain credential data. */
	testCredential(type: string, data: object): Promise<{ status: 'OK' | 'Error'; message: string }>;
	/** Stored id of each imported credential, by name. */
	credentialIds: Record<string, string>;
	client: N8nClient;
	owner: { email: string; password: string };
	userFolder: string;
	logFile: string;
	pid: number;
	stop(): Promise<void>;
}

export const OWNER_EMAIL = 'owner@buildkit.test';
const FINISHED = new Set(['success', 'error', 'crashed', 'canceled']);

/** A free TCP port on 127.0.0.1 (the kernel picks it; released before n8n binds it). */
export async function freePort(): Promise<number> {
	return await new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as { port: number };
			server.close(() => resolve(port));
		});
	});
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tail(file: string, lines = 40): string {
	try {
		return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
	} catch {
		return '';
	}
}

/**
 * A throwaway user folder: a copy of the migrated empty database, and the freshly packed package installed
 * where n8n's installer would put it.
 */
function prepareUserFolder(tools: N8nToolchain): { userFolder: string; encryptionKey: string } {
	const template = databaseTemplate(tools);
	const userFolder = mkdtempSync(join(tmpdir(), 'n8n-stack-'));
	seedUserFolder(template, userFolder);
	const tarball = packPackage();
	installPackage(userFolder, tarball);
	rmSync(dirname(tarball), { recursive: true, force: true });
	return { userFolder, encryptionKey: template.encryptionKey };
}

export function ownerPasswordHash(tools: N8nToolchain, password: string): string {
	// n8n's own bcryptjs, so the hash is exactly what its login checks.
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const bcrypt = require(join(tools.n8nDir, 'node_modules', 'bcryptjs')) as {
		hashSync(s: string, rounds: number): string;
	};
	return bcrypt.hashSync(password, 4);
}

async function processEnv(
	userFolder: string,
	encryptionKey: string,
	tools: N8nToolchain,
	password: string,
	extra: Record<string, string> = {},
) {
	const port = await freePort();
	const brokerPort = await freePort();
	const env = {
		...withNode24Path(process.env, tools),
		...loopbackEnv({
			userFolder,
			port,
			brokerPort,
			encryptionKey,
			owner: { email: OWNER_EMAIL, passwordHash: ownerPasswordHash(tools, password) },
		}),
		...extra,
	};
	delete env.NODE_OPTIONS; // jest's --experimental-vm-modules is not for n8n
	return { env, port };
}

/** Stops a process group started with `detached: true`: SIGTERM (n8n shuts down cleanly), SIGKILL after 10 s. */
export async function stopGroup(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	try {
		process.kill(-child.pid, 'SIGTERM');
	} catch {
		return;
	}
	const timer = setTimeout(() => {
		try {
			process.kill(-child.pid!, 'SIGKILL');
		} catch {
			/* already gone */
		}
	}, 10_000);
	await exited;
	clearTimeout(timer);
	// The task runner child may outlive its parent by a moment.
	try {
		process.kill(-child.pid, 'SIGKILL');
	} catch {
		/* group already empty */
	}
}

export async function waitForReadiness(
	url: string,
	child: ChildProcess,
	logFile: string,
	timeoutMs: number,
): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (child.exitCode !== null)
			throw new Error(`n8n exited with code ${child.exitCode} while starting:\n${tail(logFile)}`);
		try {
			const res = await fetch(`${url}/healthz/readiness`);
			if (res.ok) return;
		} catch {
			/* not listening yet */
		}
		await sleep(150);
	}
	throw new Error(`n8n was not ready after ${timeoutMs} ms:\n${tail(logFile)}`);
}

/** Paths of the webhooks a workflow registers: each node with a webhookId, at its `path` parameter or its id. */
export function webhookPaths(workflow: {
	nodes?: Array<{ webhookId?: string; parameters?: { path?: unknown } }>;
}): string[] {
	return (workflow.nodes ?? [])
		.filter((node) => node.webhookId)
		.map((node) =>
			typeof node.parameters?.path === 'string' && node.parameters.path
				? node.parameters.path
				: node.webhookId!,
		);
}

/**
 * Starts a real n8n on 127.0.0.1 with a fresh user folder, this package installed from `npm pack`, the given
 * credentials and workflows imported through the REST API (ids kept), and the named workflows activated with
 * their webhooks answering. Stop it with `stop()` (by process group; the user folder is removed).
 */
export async function startN8n(opts: StartN8nOptions = {}): Promise<N8nInstance> {
	const tools = n8nToolchain();
	const { userFolder, encryptionKey } = prepareUserFolder(tools);
	const password = opts.ownerPassword ?? randomBytes(12).toString('hex');
	const { env, port } = await processEnv(userFolder, encryptionKey, tools, password, opts.env);
	const url = `http://127.0.0.1:${port}`;
	const logFile = join(userFolder, 'n8n.log');
	const log = openSync(logFile, 'a');
	const child = spawn(tools.nodeBin, [tools.n8nBin, 'start'], {
		cwd: userFolder,
		env,
		detached: true,
		stdio: ['ignore', log, log],
	});
	closeSync(log);
	const stop = async () => {
		await stopGroup(child);
		if (!process.env.N8N_STACK_KEEP) rmSync(userFolder, { recursive: true, force: true });
	};
	try {
		await waitForReadiness(url, child, logFile, 90_000);
		const client = new N8nClient(url);
		await client.login(OWNER_EMAIL, password);
		await client.createApiKey();
		const credentialIds: Record<string, string> = {};
		for (const credential of opts.credentials ?? []) {
			const created = await client.rest<{ id: string }>('POST', '/credentials', {
				name: credential.name,
				type: credential.type,
				data: credential.data,
			});
			credentialIds[credential.name] = created.id;
		}
		const workflows = new Map<string, object>();
		for (const workflow of opts.workflows ?? []) {
			const wf = workflow as Record<string, unknown>;
			const fields = [
				'id',
				'name',
				'nodes',
				'connections',
				'settings',
				'staticData',
				'pinData',
				'meta',
			];
			const body = Object.fromEntries(
				fields.filter((f) => wf[f] !== undefined).map((f) => [f, wf[f]]),
			);
			const created = await client.rest<{ id: string }>('POST', '/workflows', {
				settings: {},
				...body,
			});
			workflows.set(created.id, workflow);
		}
		const waitForWebhook = async (path: string) => {
			const deadline = Date.now() + 30_000;
			while (Date.now() < deadline) {
				// A CORS preflight asks which methods the path is registered for: 204 once registered, 404 before,
				// and it never starts an execution.
				const res = await fetch(`${url}/webhook/${path}`, {
					method: 'OPTIONS',
					headers: { origin: url, 'access-control-request-method': 'POST' },
				});
				if (res.status === 204) return;
				await sleep(100);
			}
			throw new Error(`webhook ${path} was not registered after 30 s:\n${tail(logFile)}`);
		};
		// n8n 2.41 publishes in the background: the activate call returns before the triggers' create() ran (a
		// webhook path even answers before it), and a trigger that refuses to start only shows in the publication
		// status. Waiting for that status is what makes an activated workflow ready.
		const waitForPublication = async (workflowId: string) => {
			const deadline = Date.now() + 30_000;
			for (;;) {
				const publication = await client.rest<{
					status: string;
					triggers: Array<{ status: string; errorMessage: string | null }>;
				}>('GET', `/workflows/${workflowId}/publication-status`);
				if (publication.status === 'published') return;
				if (publication.status === 'failed' || publication.status === 'partial') {
					throw new Error(
						`workflow ${workflowId} was not published: ${publication.triggers
							.map((t) => t.errorMessage)
							.filter(Boolean)
							.join('; ')}`,
					);
				}
				if (Date.now() > deadline)
					throw new Error(
						`workflow ${workflowId} was still ${publication.status} after 30 s:\n${tail(logFile)}`,
					);
				await sleep(100);
			}
		};
		const activate = async (workflowId: string) => {
			await client.api('POST', `/workflows/${workflowId}/activate`);
			await waitForPublication(workflowId);
			const workflow =
				workflows.get(workflowId) ?? (await client.api<object>('GET', `/workflows/${workflowId}`));
			for (const path of webhookPaths(workflow)) await waitForWebhook(path);
		};
		for (const id of opts.activate ?? []) await activate(id);

		const executions = async (workflowId?: string): Promise<N8nExecution[]> => {
			const all: N8nExecution[] = [];
			let cursor: string | undefined;
			do {
				const query = new URLSearchParams({ includeData: 'true', limit: '250' });
				if (workflowId) query.set('workflowId', workflowId);
				if (cursor) query.set('cursor', cursor);
				const page = await client.api<{ data: N8nExecution[]; nextCursor?: string | null }>(
					'GET',
					`/executions?${query}`,
				);
				all.push(...page.data);
				cursor = page.nextCursor ?? undefined;
			} while (cursor);
			return all.sort((a, b) => Number(a.id) - Number(b.id));
		};
		const waitForExecutions = async (workflowId: string, count: number, timeoutMs = 60_000) => {
			const deadline = Date.now() + timeoutMs;
			for (;;) {
				const done = (await executions(workflowId)).filter((e) => FINISHED.has(e.status));
				if (done.length >= count) return done;
				if (Date.now() > deadline) {
					throw new Error(
						`workflow ${workflowId}: ${done.length} of ${count} executions finished after ${timeoutMs} ms:\n${tail(logFile)}`,
					);
				}
				await sleep(200);
			}
		};
		const execute = async (workflowId: string) => {
			const cliEnv = { ...env, N8N_RUNNERS_BROKER_PORT: String(await freePort()) };
			return await executeWorkflow(tools, cliEnv, userFolder, workflowId);
		};
		const testCredential = async (type: string, data: object) =>
			await client.rest<{ status: 'OK' | 'Error'; message: string }>('POST', '/credentials/test', {
				credentials: { id: '', name: `test ${type}`, type, data },
			});
		return {
			url,
			webhookUrl: (path: string) => `${url}/webhook/${path}`,
			executions,
			waitForExecutions,
			activate,
			execute,
			testCredential,
			credentialIds,
			client,
			owner: { email: OWNER_EMAIL, password },
			userFolder,
			logFile,
			pid: child.pid!,
			stop,
		};
	} catch (error) {
		await stop();
		throw error;
	}
}

function runN8nCli(
	tools: N8nToolchain,
	env: NodeJS.ProcessEnv,
	cwd: string,
	args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
	return new Promise((resolve) => {
		execFile(
			tools.nodeBin,
			[tools.n8nBin, ...args],
			{ cwd, env, maxBuffer: 64 * 1024 * 1024 },
			(error, stdout, stderr) => {
				const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
				resolve({ code, stdout, stderr });
			},
		);
	});
}

/** The run JSON `n8n execute` prints: the block from a line that is exactly `{` to the last line that is `}`. */
export function extractRunJson(stdout: string): any {
	const lines = stdout.split('\n');
	const start = lines.findIndex((l) => l === '{');
	const end = lines.lastIndexOf('}');
	if (start < 0 || end < start) return undefined;
	return JSON.parse(lines.slice(start, end + 1).join('\n'));
}

async function executeWorkflow(
	tools: N8nToolchain,
	env: NodeJS.ProcessEnv,
	userFolder: string,
	workflowId: string,
) {
	const run = await runN8nCli(tools, env, userFolder, [
		'execute',
		`--id=${workflowId}`,
		'--rawOutput',
	]);
	const data = extractRunJson(run.stdout);
	if (!data)
		throw new Error(
			`n8n execute printed no run data (exit ${run.code}):\n${run.stdout}\n${run.stderr}`,
		);
	return {
		status: String(data.status ?? (run.code === 0 ? 'success' : 'error')),
		data,
		output: run.stdout + run.stderr,
	};
}

/**
 * Imports one workflow (and credentials) into a fresh n8n user folder with the CLI and runs it once with
 * `n8n execute --id` from its Manual Trigger; no server is started. Returns the run's status and data.
 */
export async function runWorkflowOnce(
	workflow: object,
	opts: { credentials?: StackCredential[]; env?: Record<string, string> } = {},
): Promise<{ status: string; data: any; output: string }> {
	const tools = n8nToolchain();
	const { userFolder, encryptionKey } = prepareUserFolder(tools);
	try {
		const { env } = await processEnv(
			userFolder,
			encryptionKey,
			tools,
			randomBytes(12).toString('hex'),
			opts.env,
		);
		const wf = { settings: {}, ...(workflow as Record<string, unknown>) } as Record<
			string,
			unknown
		>;
		if (!wf.id) wf.id = randomBytes(8).toString('hex');
		const credentials = (opts.credentials ?? []).map((c) => ({
			id: c.id ?? randomBytes(8).toString('hex'),
			name: c.name,
			type: c.type,
			data: c.data,
		}));
		if (credentials.length > 0) {
			writeFileSync(join(userFolder, 'credentials.json'), JSON.stringify(credentials));
			const imported = await runN8nCli(tools, env, userFolder, [
				'import:credentials',
				'--input=credentials.json',
			]);
			if (imported.code !== 0)
				throw new Error(`n8n import:credentials failed:\n${imported.stdout}\n${imported.stderr}`);
		}
		writeFileSync(join(userFolder, 'workflow.json'), JSON.stringify(wf));
		const imported = await runN8nCli(tools, env, userFolder, [
			'import:workflow',
			'--input=workflow.json',
		]);
		if (imported.code !== 0)
			throw new Error(`n8n import:workflow failed:\n${imported.stdout}\n${imported.stderr}`);
		return await executeWorkflow(tools, env, userFolder, String(wf.id));
	} finally {
		if (!process.env.N8N_STACK_KEEP) rmSync(userFolder, { recursive: true, force: true });
	}
}
