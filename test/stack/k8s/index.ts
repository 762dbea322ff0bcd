import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { realBuilder, realBuilderAvailability, reportBuilds } from '../buildkit';
import { makeCertificates } from './tls';
import { ADMIN_IDENTITY, serviceAccountIdentity, signToken } from './tokens';
import type {
	JobScenario,
	RealBuilder,
	RegistryTarget,
	RequestRecord,
	ScenarioMatch,
	ServerConfig,
} from './types';
import type { GitOpsSourceConfig } from './server/gitops/controllers';
import type { RolloutMatch, RolloutScenario } from './server/gitops/workloads';

export type { JobOutcome, JobScenario, ScenarioMatch } from './types';
export { JOB_OUTCOMES } from './types';
export type { GitOpsSourceConfig } from './server/gitops/controllers';
export type { RolloutMatch, RolloutOutcome, RolloutScenario } from './server/gitops/workloads';

/**
 * The Kubernetes API stand-in, started from a test: its own Node process speaking the apiserver's REST wire
 * format over TLS (see docs/development/kubernetes-stand-in.md). It is controlled over admin-only `/_standin/*` endpoints, and
 * `faults.restart()` really restarts the process on the same port with the same state.
 */
export interface KubeStandInOptions {
	/** Kustomization dir whose Namespace/ServiceAccount/Role/RoleBinding objects are loaded (default <repo>/deploy). */
	rbacDir?: string;
	/** Where a succeeding Job pushes (plain HTTP). Without it Jobs succeed with a digest derived from their uid. */
	registry?: RegistryTarget;
	/** Module exporting `pushTestImage` (default test/stack/registry). */
	pushModule?: string;
	/** BOOKMARK interval on watches that allow them (default 5000 ms; the real apiserver uses about a minute). */
	bookmarkIntervalMs?: number;
	/** Events kept for watches before older resourceVersions expire with 410 (default 1000). */
	historyCapacity?: number;
	/** Fixed port (default: a free one). */
	port?: number;
	/**
	 * Enforce deploy/'s ResourceQuota (count/jobs.batch, pods, limits/requests.memory) as a real cluster would
	 * (default false, so suites that create many Jobs without TTL are not throttled).
	 */
	enforceQuota?: boolean;
	/** Extra environment for the server process (e.g. for a `pushModule`). */
	env?: Record<string, string>;
	/**
	 * Run succeeding Jobs' pods for real with real BuildKit when it is available here (default true; needs
	 * `registry`, the pods push to it). false keeps every build simulated (timing-driven tests).
	 */
	realBuilds?: boolean;
}

export interface KubeStandIn {
	url: string;
	caPem: string;
	/** File holding caPem, for `kubectl --certificate-authority`. */
	caFile: string;
	adminToken: string;
	tokenFor(namespace: string, serviceAccount: string): string;
	kubeconfig(token: string): string;
	/** Writes kubeconfig(token) to a file in the stand-in's temp dir and returns its path. */
	kubeconfigFile(token: string, name?: string): string;
	setScenario(match: ScenarioMatch, scenario: JobScenario): Promise<void>;
	/** The simulated Flux / Argo CD controllers and what the pods of rolled-out Deployments do. */
	gitops: {
		/** Creates the Kustomization / Application and starts polling its repository. */
		configure(config: GitOpsSourceConfig): Promise<void>;
		setRolloutScenario(match: RolloutMatch, scenario: RolloutScenario): Promise<void>;
	};
	faults: {
		dropWatches(opts?: { abrupt?: boolean }): Promise<void>;
		forgetHistory(): Promise<void>;
		restart(): Promise<void>;
		/** 0 stops it. */
		dropWatchesEvery(ms: number, opts?: { abrupt?: boolean }): Promise<void>;
	};
	requests(): Promise<RequestRecord[]>;
	clearRequests(): Promise<void>;
	/** Number of watch streams currently open. */
	openWatches(): Promise<number>;
	readonly pid: number;
	/** Temp dir with certs, config, state and the server log. */
	dir: string;
	/** The Kubernetes API credential data of n8n's identity (automation/n8n, RBAC from deploy/) for this stand-in. */
	n8nCredential(namespace?: string): {
		authentication: 'token';
		server: string;
		token: string;
		caCertificate: string;
		namespace: string;
	};
	/** Creates a Secret as a cluster admin would (`kubectl create secret generic`), e.g. the build's git credentials. */
	createSecret(namespace: string, name: string, stringData: Record<string, string>): Promise<void>;
	/** How many pods ran with real BuildKit and how many were simulated (with the reasons). */
	builds(): Promise<{ real: number; simulated: number; reasons: Record<string, number> }>;
	/** The real BuildKit its Jobs run with (undefined: builds are simulated, see simulatedBecause). */
	realBuilder?: RealBuilder;
	/** Why this stand-in simulates builds (undefined: real BuildKit runs them). */
	simulatedBecause?: string;
	stop(): Promise<void>;
}

const REPO_ROOT = resolve(__dirname, '../../..');

/** The stand-in needs Node >= 22.19 (undici 8 in the registry push); otherwise use the repo's Node 24. */
export function nodeBinary(): string {
	const [major, minor] = process.versions.node.split('.').map(Number);
	if (major > 22 || (major === 22 && minor >= 19)) return process.execPath;
	const dir = execFileSync('bash', [join(REPO_ROOT, 'scripts/ensure-node24.sh')], {
		encoding: 'utf8',
	}).trim();
	return join(dir, 'node');
}

interface Running {
	child: ChildProcess;
	port: number;
}

function launch(
	node: string,
	configFile: string,
	logFile: string,
	env: Record<string, string>,
): Promise<Running> {
	const log = openSync(logFile, 'a');
	const child = spawn(
		node,
		[join(__dirname, 'run-ts.cjs'), join(__dirname, 'server/main.ts'), configFile],
		{
			stdio: ['pipe', 'pipe', log],
			cwd: REPO_ROOT,
			env: { ...process.env, ...env },
		},
	);
	closeSync(log);
	return new Promise((resolvePromise, reject) => {
		const lines = createInterface({ input: child.stdout! });
		const fail = (why: string) =>
			reject(new Error(`kube stand-in did not start (${why}); see ${logFile}`));
		child.once('exit', (code) => fail(`exit code ${code}`));
		child.once('error', (err) => fail(err.message));
		lines.once('line', (line) => {
			try {
				const msg = JSON.parse(line);
				if (msg.ready) resolvePromise({ child, port: msg.port });
				else fail(line);
			} catch {
				fail(line);
			}
		});
	});
}

function waitForExit(child: ChildProcess, ms: number): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
	return new Promise((done) => {
		const t = setTimeout(() => {
			child.kill('SIGKILL');
		}, ms);
		child.once('exit', () => {
			clearTimeout(t);
			done();
		});
	});
}

export async function startKubeStandIn(opts: KubeStandInOptions = {}): Promise<KubeStandIn> {
	const dir = mkdtempSync(join(tmpdir(), 'kube-standin-'));
	const certs = await makeCertificates(dir);
	const tokenSecret = randomBytes(32).toString('hex');
	const config: ServerConfig = {
		port: opts.port ?? 0,
		certFile: certs.certFile,
		keyFile: certs.keyFile,
		tokenSecret,
		rbacDir: resolve(opts.rbacDir ?? join(REPO_ROOT, 'deploy')),
		stateFile: join(dir, 'state.json'),
		registry: opts.registry,
		pushModule: opts.pushModule,
		bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 5000,
		historyCapacity: opts.historyCapacity ?? 1000,
		enforceQuota: opts.enforceQuota ?? false,
	};
	const availability = !opts.registry
		? { reason: 'the stand-in has no registry to push to' }
		: opts.pushModule
			? { reason: 'the test pushes through its own module' }
			: opts.realBuilds === false
				? { reason: 'the test asked for simulated builds' }
				: realBuilderAvailability();
	if ('binDir' in availability)
		config.realBuilder = realBuilder(availability.binDir, join(dir, 'builds'));
	else config.simulatedBecause = availability.reason;
	const configFile = join(dir, 'config.json');
	writeFileSync(configFile, JSON.stringify(config), { mode: 0o600 });
	const logFile = join(dir, 'server.log');
	const node = nodeBinary();
	let running = await launch(node, configFile, logFile, opts.env ?? {});
	// Restarts reuse the port, so clients keep their URL.
	config.port = running.port;
	writeFileSync(configFile, JSON.stringify(config), { mode: 0o600 });
	const url = `https://127.0.0.1:${running.port}`;
	const adminToken = signToken(tokenSecret, ADMIN_IDENTITY);
	let stopped = false;

	const call = (method: string, path: string, body?: unknown): Promise<any> =>
		new Promise((resolvePromise, reject) => {
			const payload = body === undefined ? undefined : JSON.stringify(body);
			const req = request(
				`${url}${path}`,
				{
					method,
					ca: certs.caPem,
					agent: false,
					headers: {
						Authorization: `Bearer ${adminToken}`,
						...(payload ? { 'Content-Type': 'application/json' } : {}),
					},
				},
				(res) => {
					const chunks: Buffer[] = [];
					res.on('data', (c) => chunks.push(c));
					res.on('end', () => {
						const text = Buffer.concat(chunks).toString('utf8');
						if ((res.statusCode ?? 500) >= 300)
							reject(new Error(`stand-in ${method} ${path}: ${res.statusCode} ${text}`));
						else resolvePromise(text ? JSON.parse(text) : undefined);
					});
				},
			);
			req.on('error', reject);
			req.end(payload);
		});

	const kubeconfig = (token: string) =>
		[
			'apiVersion: v1',
			'kind: Config',
			'clusters:',
			'- name: standin',
			'  cluster:',
			`    server: ${url}`,
			`    certificate-authority-data: ${Buffer.from(certs.caPem).toString('base64')}`,
			'users:',
			'- name: standin-user',
			'  user:',
			`    token: ${token}`,
			'contexts:',
			'- name: standin',
			'  context:',
			'    cluster: standin',
			'    user: standin-user',
			'    namespace: build-system',
			'current-context: standin',
			'',
		].join('\n');

	let kubeconfigCount = 0;
	return {
		url,
		caPem: certs.caPem,
		caFile: certs.caFile,
		adminToken,
		dir,
		tokenFor: (namespace, serviceAccount) =>
			signToken(tokenSecret, serviceAccountIdentity(namespace, serviceAccount)),
		kubeconfig,
		kubeconfigFile(token, name) {
			const file = join(dir, name ?? `kubeconfig-${++kubeconfigCount}.yaml`);
			writeFileSync(file, kubeconfig(token), { mode: 0o600 });
			return file;
		},
		setScenario: async (match, scenario) => {
			await call('POST', '/_standin/scenario', { match, scenario });
		},
		gitops: {
			configure: async (config) => {
				await call('POST', '/_standin/gitops', config);
			},
			setRolloutScenario: async (match, scenario) => {
				await call('POST', '/_standin/rollout-scenario', { match, scenario });
			},
		},
		faults: {
			dropWatches: async (o) => {
				await call('POST', '/_standin/faults/drop-watches', { abrupt: !!o?.abrupt });
			},
			forgetHistory: async () => {
				await call('POST', '/_standin/faults/forget-history', {});
			},
			dropWatchesEvery: async (ms, o) => {
				await call('POST', '/_standin/faults/drop-watches-every', { ms, abrupt: !!o?.abrupt });
			},
			restart: async () => {
				running.child.kill('SIGTERM');
				await waitForExit(running.child, 5000);
				running = await launch(node, configFile, logFile, opts.env ?? {});
			},
		},
		requests: () => call('GET', '/_standin/requests'),
		clearRequests: async () => {
			await call('DELETE', '/_standin/requests');
		},
		openWatches: async () => (await call('GET', '/_standin/watches')).open,
		n8nCredential: (namespace = 'build-system') => ({
			authentication: 'token',
			server: url,
			token: signToken(tokenSecret, serviceAccountIdentity('automation', 'n8n')),
			caCertificate: certs.caPem,
			namespace,
		}),
		createSecret: async (namespace, name, stringData) => {
			await call('POST', `/api/v1/namespaces/${namespace}/secrets`, {
				apiVersion: 'v1',
				kind: 'Secret',
				metadata: { name },
				type: 'Opaque',
				stringData,
			});
		},
		builds: () => call('GET', '/_standin/builds'),
		realBuilder: config.realBuilder,
		simulatedBecause: config.simulatedBecause,
		get pid() {
			return running.child.pid!;
		},
		stop: async () => {
			if (stopped) return;
			stopped = true;
			reportBuilds(
				await call('GET', '/_standin/builds').catch(() => ({ real: 0, simulated: 0, reasons: {} })),
			);
			running.child.kill('SIGTERM');
			await waitForExit(running.child, 5000);
			rmSync(dir, { recursive: true, force: true });
		},
	};
}
