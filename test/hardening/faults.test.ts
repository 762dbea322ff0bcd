import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile, chmod } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import * as k8s from '@kubernetes/client-node';
import { bumpGitManifest, type BumpRequest } from '../../lib/gitops';
import { closeRegistryConnections, queryRegistryTags } from '../../lib/registry';
import { CreateBuildKitJob } from '../../nodes/CreateBuildKitJob/CreateBuildKitJob.node';
import { QueryRegistryTags } from '../../nodes/QueryRegistryTags/QueryRegistryTags.node';
import { WaitForJob } from '../../nodes/WaitForJob/WaitForJob.node';
import { createBareRepoAt, git, readRemoteFile, remoteLog, onlyFastForwards } from '../stack/git';
import { startKubeStandIn, type KubeStandIn } from '../stack/k8s';
import { startRegistryDouble, type RegistryDouble } from '../stack/registry';
import {
	capture,
	executeContext,
	exposeAll,
	outputItems,
	REPO_ROOT,
	writeCounts,
	type Params,
} from './harness';

/**
 * Faults: the registry double's 429/5xx/broken Link, a registry that stops answering, the stand-in's watch
 * drops / 410 / restart, the git server killed in the middle of a push, and executions cancelled mid-node.
 * After each, a re-run converges to the right end state: no lost change, no duplicate or partial commit, no
 * duplicate Job, no watch left open.
 */

jest.setTimeout(180_000);

const counts = {
	faultsInjected: 0,
	reRunsConverged: 0,
	lostChanges: 0,
	duplicateCommits: 0,
	partialCommits: 0,
	duplicateJobs: 0,
	watchesLeftOpen: 0,
};
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

afterAll(async () => {
	writeCounts('faults', counts);
	await closeRegistryConnections();
});

// ---- registry ----

describe('registry faults (registry double, through Query Registry Tags)', () => {
	const TAGS = Array.from({ length: 10 }, (_, i) => `1.${i}.0`);
	const USER = 'ci';
	const PASSWORD = 'fault-suite-password';
	let double: RegistryDouble;
	beforeAll(async () => {
		double = await startRegistryDouble({
			tags: TAGS,
			pageLimit: 3,
			auth: { scheme: 'basic', username: USER, password: PASSWORD },
		});
	});
	afterAll(async () => {
		await double?.stop();
	});

	const query = (options: Params = {}) =>
		capture(() =>
			new QueryRegistryTags().execute.call(
				executeContext({
					params: {
						repository: `http://${double.host}/webapp/app`,
						policy: 'semver',
						semverRange: '*',
						filterPattern: '',
						filterExtract: '',
						exclude: '',
						options: { pageSize: 3, ...options },
					},
					credentials: {
						containerRegistryApi: {
							registry: double.host,
							plainHttp: true,
							username: USER,
							password: PASSWORD,
						},
					},
				}),
			),
		);
	const latest = (c: { value?: unknown }) => outputItems(c.value)[0]?.json.latestTag;

	async function faultThenConverge(
		faults: Parameters<RegistryDouble['setFaults']>[0],
		expectFirst: 'recovers' | RegExp,
	) {
		counts.faultsInjected++;
		double.requests.length = 0;
		double.setFaults(faults);
		const first = await query();
		const injected = faults.rateLimit ? 429 : faults.serverError?.status;
		if (injected)
			expect(double.requests.filter((r) => r.status === injected).length).toBeGreaterThan(0);
		if (expectFirst === 'recovers') {
			expect(first.error).toBeUndefined();
			expect(latest(first)).toBe('1.9.0');
		} else if (first.error === undefined) {
			// Answering from part of the listing is only acceptable when the output says so; a silent "latest"
			// picked from the first page(s) is a wrong deploy decision.
			const item = outputItems(first.value)[0]?.json ?? {};
			if (item.latestTag !== '1.9.0') expect(item).toHaveProperty('stoppedEarly');
		} else {
			expect(exposeAll(first.error)).toMatch(expectFirst);
			// Bounded: the client gave up instead of looping.
			expect(double.requests.length).toBeLessThan(40);
		}
		double.setFaults({});
		const again = await query();
		expect(again.error).toBeUndefined();
		expect(latest(again)).toBe('1.9.0');
		expect(outputItems(again.value)[0].json.totalTags).toBe(TAGS.length);
		counts.reRunsConverged++;
	}

	test('429 twice (Retry-After: 0): retried, the answer is complete', async () => {
		await faultThenConverge({ rateLimit: { times: 2, retryAfter: '0' } }, 'recovers');
	});
	test('503 twice: backed off and retried', () =>
		faultThenConverge({ serverError: { times: 2, status: 503 } }, 'recovers'));
	test('a 502 storm: gives up with the status and the attempt count, then converges when it ends', () =>
		faultThenConverge({ serverError: { times: Infinity, status: 502 } }, /502/));
	test('broken Link: a loop to the same page', () =>
		faultThenConverge({ link: 'loop' }, /link|loop|page|progress/i));
	test('broken Link: a new URL every time, same page (no progress)', () =>
		faultThenConverge({ link: 'no-progress' }, /link|loop|page|progress|repeat/i));
	test('broken Link to another origin: credentials are never sent there', async () => {
		counts.faultsInjected++;
		double.requests.length = 0;
		double.setFaults({ link: 'other-origin' });
		await query();
		const elsewhere = double.requests.filter((r) => !r.host.startsWith('127.0.0.1'));
		expect(elsewhere.filter((r) => r.authorized !== 'none')).toEqual([]);
		double.setFaults({});
		expect(latest(await query())).toBe('1.9.0');
		counts.reRunsConverged++;
	});

	test('a registry that stops answering (timeout): the request is abandoned and retried', async () => {
		counts.faultsInjected++;
		let calls = 0;
		const held: ServerResponse[] = [];
		const server: Server = createServer((req, res) => {
			if (req.url?.startsWith('/v2/webapp/app/tags/list') && calls++ === 0) {
				held.push(res); // never answered
				return;
			}
			res.writeHead(200, { 'content-type': 'application/json' });
			res.end(req.url === '/v2/' ? '{}' : JSON.stringify({ name: 'webapp/app', tags: TAGS }));
		});
		await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
		const host = `127.0.0.1:${(server.address() as { port: number }).port}`;
		try {
			const result = await queryRegistryTags(
				{ repository: `http://${host}/webapp/app`, policy: 'semver', semverRange: '*' },
				undefined,
				{ timeoutMs: 300, retryBaseMs: 20 },
			);
			expect(result.latestTag).toBe('1.9.0');
			expect(calls).toBe(2);
			counts.reRunsConverged++;
		} finally {
			for (const res of held) res.destroy();
			server.closeAllConnections();
			await new Promise((done) => server.close(done));
		}
	});
});

// ---- Kubernetes API server ----

describe('API server faults (stand-in) and cancelled executions', () => {
	let standIn: KubeStandIn;
	let credential: object;
	const SHA = '0123456789abcdef0123456789abcdef01234567';

	beforeAll(async () => {
		standIn = await startKubeStandIn({ bookmarkIntervalMs: 500 });
		credential = {
			authentication: 'token',
			server: standIn.url,
			token: standIn.tokenFor('automation', 'n8n'),
			caCertificate: standIn.caPem,
			namespace: 'build-system',
		};
		await standIn.setScenario('default', { outcome: 'succeed', runMs: 1500 });
	});
	afterAll(async () => {
		await standIn?.stop();
	});

	const buildParams = (appName: string, options: Params = {}): Params => ({
		namespace: 'build-system',
		appName,
		gitRepositoryUrl: 'https://git.example.test/org/webapp.git',
		gitRevision: SHA,
		contextPath: '',
		dockerfile: 'Dockerfile',
		image: `127.0.0.1:5000/${appName}/app:1.0.0`,
		options: { deterministicName: true, ifExists: 'reuse', ...options },
	});
	const create = async (appName: string) => {
		const out = await new CreateBuildKitJob().execute.call(
			executeContext({ params: buildParams(appName), credentials: { kubernetesApi: credential } }),
		);
		return outputItems(out)[0].json as { jobName: string; uid: string; reused: boolean };
	};
	const wait = (jobName: string, signal?: AbortSignal) =>
		capture(() =>
			new WaitForJob().execute.call(
				executeContext({
					params: {
						namespace: 'build-system',
						jobName,
						timeoutSeconds: 60,
						stuckAfterSeconds: 0,
						logTailLines: 5,
						failOnJobFailure: true,
						deleteWhenDone: false,
					},
					credentials: { kubernetesApi: credential },
					signal,
				}),
			),
		);
	async function noWatchLeft(): Promise<void> {
		for (let i = 0; i < 40 && (await standIn.openWatches()) > 0; i++) await sleep(50);
		const open = await standIn.openWatches();
		counts.watchesLeftOpen += open;
		expect(open).toBe(0);
	}
	async function jobsOf(appName: string): Promise<number> {
		const kc = new k8s.KubeConfig();
		kc.loadFromString(standIn.kubeconfig(standIn.adminToken));
		const list = await kc
			.makeApiClient(k8s.BatchV1Api)
			.listNamespacedJob({ namespace: 'build-system', labelSelector: `webapp=${appName}` });
		return list.items.length;
	}

	const faults: Array<[string, (s: KubeStandIn) => Promise<void>]> = [
		['watch streams dropped (clean end)', (s) => s.faults.dropWatches()],
		['watch streams cut abruptly (reset)', (s) => s.faults.dropWatches({ abrupt: true })],
		[
			'history forgotten, then watches dropped (re-watch gets 410 Gone)',
			async (s) => {
				await s.faults.forgetHistory();
				await s.faults.dropWatches();
			},
		],
		['API server process restarted', (s) => s.faults.restart()],
		[
			'watches dropped every 200 ms',
			async (s) => {
				await s.faults.dropWatchesEvery(200);
				await sleep(700);
				await s.faults.dropWatchesEvery(0);
			},
		],
	];
	test.each(faults)('Wait for Job survives: %s', async (_name, inject) => {
		const app = `fault-${counts.faultsInjected}`;
		const job = await create(app);
		const waiting = wait(job.jobName);
		await sleep(400);
		counts.faultsInjected++;
		await inject(standIn);
		const result = await waiting;
		expect(result.error).toBeUndefined();
		expect(outputItems(result.value)[0].json).toMatchObject({
			jobName: job.jobName,
			status: 'succeeded',
		});
		expect(outputItems(result.value)[0].json.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
		counts.reRunsConverged++;
		await noWatchLeft();
	});

	test('an execution lost after the Job was created: the re-run reuses the same Job (deterministic name + If Exists: Reuse)', async () => {
		counts.faultsInjected++;
		const first = await create('cancel-app'); // its output never reached the workflow
		const again = await create('cancel-app');
		expect(again).toMatchObject({ jobName: first.jobName, uid: first.uid, reused: true });
		const duplicates = (await jobsOf('cancel-app')) - 1;
		counts.duplicateJobs += Math.max(0, duplicates);
		expect(duplicates).toBe(0);
		// An orphan is bounded anyway: the Job removes itself after the TTL and cannot run past its deadline.
		const dry = await new CreateBuildKitJob().execute.call(
			executeContext({
				params: buildParams('cancel-app', { dryRun: true }),
				credentials: { kubernetesApi: credential },
			}),
		);
		const spec = (
			outputItems(dry)[0].json.manifest as {
				spec: { ttlSecondsAfterFinished: number; activeDeadlineSeconds: number };
			}
		).spec;
		expect(spec.ttlSecondsAfterFinished).toBeGreaterThan(0);
		expect(spec.activeDeadlineSeconds).toBeGreaterThan(0);
		counts.reRunsConverged++;
	});

	test('a wait cancelled mid-node stops at once, closes its watch, and the re-run gets the result', async () => {
		counts.faultsInjected++;
		const job = await create('cancel-wait');
		const abort = new AbortController();
		const waiting = wait(job.jobName, abort.signal);
		await sleep(300);
		abort.abort();
		const cancelled = await waiting;
		expect(exposeAll(cancelled.error)).toMatch(/cancel/i);
		await noWatchLeft();
		const again = await wait(job.jobName);
		expect(outputItems(again.value)[0].json.status).toBe('succeeded');
		expect(await jobsOf('cancel-wait')).toBe(1);
		counts.reRunsConverged++;
	});
});

// ---- git server ----

describe('git faults: server killed mid-push, bump process killed mid-push', () => {
	const FILE = 'apps/webapp.yaml';
	const content = (tag: string) =>
		`image: reg.local/webapp:${tag} # {"$imagepolicy": "flux-system:webapp"}\n`;
	let root: string;
	let scratch: string;
	let server: { child: ChildProcess; port: number; url: string } | undefined;

	async function serveGit(port = 0) {
		const child = spawn(
			process.execPath,
			[join(REPO_ROOT, 'test/stack/git/http-server.js'), '--root', root, '--port', String(port)],
			{
				stdio: ['ignore', 'pipe', 'ignore'],
				env: { PATH: process.env.PATH, HOME: process.env.HOME },
			},
		);
		const line = await new Promise<string>((resolve, reject) => {
			createInterface({ input: child.stdout! }).once('line', resolve);
			child.once('exit', (code) => reject(new Error(`git server exited ${code}`)));
		});
		const { url, port: bound } = JSON.parse(line) as { url: string; port: number };
		return { child, port: bound, url };
	}
	const kill = async (child: ChildProcess) => {
		if (child.exitCode !== null || child.signalCode !== null) return;
		const exited = new Promise((done) => child.once('exit', done));
		process.kill(child.pid!, 'SIGKILL');
		await exited;
	};
	/** A pre-receive hook that marks "push in progress" and holds the push long enough to kill someone. */
	async function holdPushes(repo: string, mark: string | undefined) {
		const hook = join(root, `${repo}.git`, 'hooks', 'pre-receive');
		await writeFile(
			hook,
			mark
				? `#!/bin/sh\ncat >/dev/null\ntouch '${mark}'\nsleep 1\nexit 0\n`
				: '#!/bin/sh\nexit 0\n',
		);
		await chmod(hook, 0o755);
	}
	async function untilExists(file: string) {
		for (let i = 0; i < 600 && !existsSync(file); i++) await sleep(25);
		expect(existsSync(file)).toBe(true);
	}
	/** Exactly one bump commit on top of the seed, whole (fsck clean, file fully new), fast-forwards only. */
	async function expectExactlyOneBump(repo: string, tag: string) {
		const log = await remoteLog(join(root, `${repo}.git`));
		const bumps = log.filter((c) => c.message.startsWith('bump'));
		counts.duplicateCommits += Math.max(0, bumps.length - 1);
		counts.lostChanges += bumps.length === 0 ? 1 : 0;
		expect(bumps).toHaveLength(1);
		expect(log).toHaveLength(2);
		const text = await readRemoteFile(join(root, `${repo}.git`), 'main', FILE);
		if (text !== content(tag)) counts.partialCommits++;
		expect(text).toBe(content(tag));
		await git(['fsck', '--strict', '--no-progress'], join(root, `${repo}.git`));
		expect(await onlyFastForwards(join(root, `${repo}.git`))).toBe(true);
	}
	const request = (repo: string, tag: string): BumpRequest => ({
		repositoryUrl: `${server!.url}/${repo}.git`,
		branch: 'main',
		edit: {
			mode: 'imagePolicyMarkers',
			path: 'apps',
			policies: { 'flux-system:webapp': `reg.local/webapp:${tag}` },
		},
		commitMessage: `bump webapp to ${tag}`,
		maxAttempts: 3,
		allowPlainHttp: true,
	});

	beforeAll(async () => {
		root = await mkdtemp(join(tmpdir(), 'hardening-git-faults-'));
		scratch = await mkdtemp(join(tmpdir(), 'hardening-git-faults-cache-'));
		for (const repo of ['server-killed', 'client-killed'])
			await createBareRepoAt(root, repo, { [FILE]: content('1.0.0') });
		server = await serveGit();
	});
	afterAll(async () => {
		if (server) await kill(server.child);
		await rm(root, { recursive: true, force: true });
		await rm(scratch, { recursive: true, force: true });
	});

	test('the git server is killed during the push; after a restart the re-run converges to one whole commit', async () => {
		counts.faultsInjected++;
		const mark = join(scratch, 'server-killed.mark');
		const cacheDir = join(scratch, 'cache-a');
		await holdPushes('server-killed', mark);
		const first = bumpGitManifest(request('server-killed', '2.0.0'), undefined, { cacheDir }).then(
			() => 'pushed',
			(error: Error) => `failed: ${error.message}`,
		);
		await untilExists(mark);
		await kill(server!.child);
		expect(await first).toMatch(/^failed/);
		await sleep(1500); // the orphaned receive-pack (if any) finishes or dies
		server = await serveGit(server!.port);
		await holdPushes('server-killed', undefined);
		const again = await bumpGitManifest(request('server-killed', '2.0.0'), undefined, { cacheDir });
		expect(again.branch).toBe('main');
		await expectExactlyOneBump('server-killed', '2.0.0');
		counts.reRunsConverged++;
	});

	test('the bump process is killed during the push (a cancelled worker); the re-run from the same cache converges', async () => {
		counts.faultsInjected++;
		const mark = join(scratch, 'client-killed.mark');
		const cacheDir = join(scratch, 'cache-b');
		await holdPushes('client-killed', mark);
		const child = spawn(
			process.execPath,
			[
				join(REPO_ROOT, 'test/stack/k8s/run-ts.cjs'),
				join(__dirname, 'bumpOnce.ts'),
				JSON.stringify({ request: request('client-killed', '3.0.0'), cacheDir }),
			],
			{
				stdio: ['ignore', 'pipe', 'pipe'],
				cwd: REPO_ROOT,
			},
		);
		await untilExists(mark);
		await kill(child);
		await sleep(1500);
		await holdPushes('client-killed', undefined);
		await bumpGitManifest(request('client-killed', '3.0.0'), undefined, { cacheDir });
		await expectExactlyOneBump('client-killed', '3.0.0');
		counts.reRunsConverged++;
	});
});
