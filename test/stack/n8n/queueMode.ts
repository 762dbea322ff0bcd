import { spawn } from 'node:child_process';
import { closeSync, cpSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningPostgres, startPostgres } from '../postgres';
import { type RunningRedis, startRedis } from '../redis';
import { loopbackEnv } from './env';
import {
	type N8nInstance,
	type StartN8nOptions,
	freePort,
	startN8n,
	stopGroup,
	waitForReadiness,
	webhookPaths,
} from './index';
import { n8nToolchain, withNode24Path } from './toolchain';

/**
 * n8n in queue mode on 127.0.0.1: Redis and PostgreSQL of their own, one main process (`n8n start`: editor,
 * REST and public API, activation; production webhooks switched off), one webhook process (`n8n webhook`: every
 * production webhook goes there) and N workers (`n8n worker`: they run the executions the other two put on the
 * Bull queue in Redis). All share the encryption key, the database and Redis, and the loopback, no-telemetry
 * environment of the single-process helper. Everything is stopped by PID.
 */

export interface StartN8nQueueOptions extends StartN8nOptions {
	/** Worker processes (default 2). */
	workers?: number;
	/** Executions one worker runs at once (`n8n worker --concurrency`, n8n's default 10). */
	workerConcurrency?: number;
	/**
	 * Let the processes share one Bump Git Manifest clone cache (the default dir under /tmp), as workers on one
	 * host do unless told otherwise. Off by default: each process gets its own N8N_BUILDKIT_GIT_CACHE_DIR, as
	 * separate containers have, because the cache's lock holds within one process only (docs/development/queue-mode.md).
	 */
	sharedGitCache?: boolean;
}

export interface N8nProcess {
	role: 'webhook' | 'worker';
	/** The process's HTTP server: the webhook port, or a worker's health server. */
	url: string;
	pid: number;
	userFolder: string;
	logFile: string;
	stop(): Promise<void>;
}

export interface N8nQueueInstance extends N8nInstance {
	/** The main process as startN8n returned it (its activate() expects webhooks on main: use this one's). */
	main: N8nInstance;
	webhookProcess: N8nProcess;
	workers: N8nProcess[];
	redis: RunningRedis;
	postgres: RunningPostgres;
	/** Execution ids each worker logged as started ("Worker started execution N"), by worker index. */
	executionsByWorker(): string[][];
}

/** The settings every process of one queue-mode instance shares: queue mode, Redis, PostgreSQL, one key. */
export function queueModeEnv(opts: {
	redis: Pick<RunningRedis, 'port'>;
	postgres: Pick<RunningPostgres, 'port' | 'database' | 'user' | 'password'>;
	webhookBaseUrl: string;
}): Record<string, string> {
	return {
		EXECUTIONS_MODE: 'queue',
		QUEUE_BULL_REDIS_HOST: '127.0.0.1',
		QUEUE_BULL_REDIS_PORT: String(opts.redis.port),
		DB_TYPE: 'postgresdb',
		DB_POSTGRESDB_HOST: '127.0.0.1',
		DB_POSTGRESDB_PORT: String(opts.postgres.port),
		DB_POSTGRESDB_DATABASE: opts.postgres.database,
		DB_POSTGRESDB_USER: opts.postgres.user,
		DB_POSTGRESDB_PASSWORD: opts.postgres.password,
		// The URL n8n shows for production webhooks: the webhook process, not main.
		WEBHOOK_URL: `${opts.webhookBaseUrl}/`,
		// Main neither serves nor answers production webhooks, so a delivery can only reach a workflow through
		// the webhook process and the queue.
		N8N_DISABLE_PRODUCTION_MAIN_PROCESS: 'true',
		// Manual runs (`n8n execute`, the editor) go to workers too: n8n 2.41 deprecates running them on main.
		OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS: 'true',
		// Workers' health servers (the only HTTP they serve) stay on loopback too.
		N8N_WORKER_SERVER_ADDRESS: '127.0.0.1',
		QUEUE_HEALTH_CHECK_ACTIVE: 'true',
	};
}

const OWNER_KEYS = [
	'N8N_INSTANCE_OWNER_EMAIL',
	'N8N_INSTANCE_OWNER_FIRST_NAME',
	'N8N_INSTANCE_OWNER_LAST_NAME',
	'N8N_INSTANCE_OWNER_PASSWORD_HASH',
];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts `n8n webhook` or `n8n worker` with a user folder of its own holding the same installed package as
 * main (copied, its node_modules link kept), on its own ports, with the shared queue settings.
 */
async function startSatellite(
	role: 'webhook' | 'worker',
	mainFolder: string,
	shared: Record<string, string>,
	opts: { port?: number; concurrency?: number; sharedGitCache?: boolean },
): Promise<N8nProcess> {
	const tools = n8nToolchain();
	const userFolder = mkdtempSync(join(tmpdir(), `n8n-${role}-`));
	mkdirSync(join(userFolder, '.n8n'), { recursive: true });
	cpSync(join(mainFolder, '.n8n', 'nodes'), join(userFolder, '.n8n', 'nodes'), {
		recursive: true,
		verbatimSymlinks: true,
	});
	const port = opts.port ?? (await freePort());
	// Main's key, as main's own config file holds it (whether main took it from env or from a seeded folder).
	const { encryptionKey } = JSON.parse(
		readFileSync(join(mainFolder, '.n8n', 'config'), 'utf8'),
	) as { encryptionKey: string };
	const base = loopbackEnv({
		userFolder,
		port,
		brokerPort: await freePort(),
		encryptionKey,
		owner: { email: '', passwordHash: '' },
	});
	for (const key of OWNER_KEYS) delete base[key];
	const env: NodeJS.ProcessEnv = {
		...withNode24Path(process.env, tools),
		...base,
		// Only main sets the owner up from env.
		N8N_INSTANCE_OWNER_MANAGED_BY_ENV: 'false',
		...shared,
		...(role === 'worker' ? { QUEUE_HEALTH_CHECK_PORT: String(port) } : {}),
		...(opts.sharedGitCache ? {} : { N8N_BUILDKIT_GIT_CACHE_DIR: join(userFolder, 'git-cache') }),
	};
	delete env.NODE_OPTIONS;
	const args =
		role === 'worker' ? ['worker', `--concurrency=${opts.concurrency ?? 10}`] : ['webhook'];
	const logFile = join(userFolder, `n8n-${role}.log`);
	const log = openSync(logFile, 'a');
	const child = spawn(tools.nodeBin, [tools.n8nBin, ...args], {
		cwd: userFolder,
		env,
		detached: true,
		stdio: ['ignore', log, log],
	});
	closeSync(log);
	const url = `http://127.0.0.1:${port}`;
	const stop = async () => {
		await stopGroup(child);
		if (!process.env.N8N_STACK_KEEP) rmSync(userFolder, { recursive: true, force: true });
	};
	try {
		await waitForReadiness(url, child, logFile, 120_000);
	} catch (error) {
		await stop();
		throw error;
	}
	return { role, url, pid: child.pid!, userFolder, logFile, stop };
}

/** Waits until the webhook process answers a CORS preflight for `path` (204 once the webhook is registered). */
async function waitForWebhook(webhookBase: string, path: string, logFile: string): Promise<void> {
	const deadline = Date.now() + 30_000;
	while (Date.now() < deadline) {
		const res = await fetch(`${webhookBase}/webhook/${path}`, {
			method: 'OPTIONS',
			headers: { origin: webhookBase, 'access-control-request-method': 'POST' },
		});
		if (res.status === 204) return;
		await sleep(100);
	}
	throw new Error(
		`webhook ${path} was not served by the webhook process after 30 s:\n${readFileSync(logFile, 'utf8').slice(-3000)}`,
	);
}

/** Execution ids a worker's log says it started. */
export function startedExecutions(log: string): string[] {
	return [...log.matchAll(/Worker started execution (\d+)/g)].map((m) => m[1]);
}

/**
 * Starts Redis, PostgreSQL, main, the webhook process and the workers (in that order: main migrates the
 * database first), imports credentials and workflows through main, activates the named workflows and waits
 * until the webhook process serves their webhooks. `webhookUrl()` points at the webhook process;
 * `executions()` and `waitForExecutions()` read the shared database through main's public API.
 */
export async function startN8nQueueMode(
	opts: StartN8nQueueOptions = {},
): Promise<N8nQueueInstance> {
	const started: Array<{ stop(): Promise<void> }> = [];
	const stopAll = async () => {
		for (const part of started.splice(0).reverse()) await part.stop().catch(() => undefined);
	};
	try {
		const redis = await startRedis();
		started.push(redis);
		const postgres = await startPostgres();
		started.push(postgres);
		const webhookPort = await freePort();
		const webhookBase = `http://127.0.0.1:${webhookPort}`;
		const shared = queueModeEnv({ redis, postgres, webhookBaseUrl: webhookBase });
		const {
			workers: workerCount = 2,
			workerConcurrency,
			sharedGitCache,
			activate = [],
			...mainOpts
		} = opts;
		const main = await startN8n({ ...mainOpts, env: { ...shared, ...opts.env } });
		started.push(main);
		const settled = await Promise.allSettled([
			startSatellite('webhook', main.userFolder, shared, { port: webhookPort, sharedGitCache }),
			...Array.from({ length: workerCount }, () =>
				startSatellite('worker', main.userFolder, shared, {
					concurrency: workerConcurrency,
					sharedGitCache,
				}),
			),
		]);
		for (const result of settled) if (result.status === 'fulfilled') started.push(result.value);
		const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
		if (failed) throw failed.reason;
		const [webhookProcess, ...workers] = settled.map(
			(r) => (r as PromiseFulfilledResult<N8nProcess>).value,
		);

		const activateOnWebhookProcess = async (workflowId: string) => {
			await main.client.api('POST', `/workflows/${workflowId}/activate`);
			const workflow =
				(opts.workflows ?? []).find((w) => (w as { id?: string }).id === workflowId) ??
				(await main.client.api<object>('GET', `/workflows/${workflowId}`));
			for (const path of webhookPaths(workflow))
				await waitForWebhook(webhookBase, path, webhookProcess.logFile);
		};
		for (const id of activate) await activateOnWebhookProcess(id);

		return {
			...main,
			webhookUrl: (path: string) => `${webhookBase}/webhook/${path}`,
			activate: activateOnWebhookProcess,
			main,
			webhookProcess,
			workers,
			redis,
			postgres,
			executionsByWorker: () =>
				workers.map((w) => startedExecutions(readFileSync(w.logFile, 'utf8'))),
			stop: stopAll,
		};
	} catch (error) {
		await stopAll();
		throw error;
	}
}
