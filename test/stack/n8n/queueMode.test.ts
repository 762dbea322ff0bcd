import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { sendPush, WEBHOOK_PATH } from '../../../bench/queueMode/pipeline';
import { type KubeStandIn, startKubeStandIn } from '../k8s';
import { postgresBinDir, startPostgres } from '../postgres';
import { startRedis } from '../redis';
import { type N8nQueueInstance, startN8nQueueMode } from './queueMode';
import { groupPids, listeningAddresses } from './processProbe';

// Redis and PostgreSQL start in seconds and are always tested. The queue-mode n8n itself (main, webhook process,
// two workers) took 25-97 s to start on the shared 2-core box (load 7-15), so it runs only with N8N_QUEUE_MODE_TEST=1
// (bench/queueMode/run.sh exercises it under load either way).
jest.setTimeout(60_000);

function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

describe('Redis for queue mode', () => {
	it('listens on 127.0.0.1 only, keeps nothing on disk, and is gone after stop', async () => {
		const redis = await startRedis();
		try {
			expect(listeningAddresses([redis.pid])).toEqual([`127.0.0.1:${redis.port}`]);
			expect(await redis.command('CONFIG', 'GET', 'save')).toEqual(['save', '']);
			expect(await redis.command('CONFIG', 'GET', 'appendonly')).toEqual(['appendonly', 'no']);
			expect(await redis.command('SET', 'k', 'v')).toBe('OK');
			expect(await redis.command('GET', 'k')).toBe('v');
		} finally {
			await redis.stop();
		}
		expect(alive(redis.pid)).toBe(false);
		expect(existsSync(redis.dir)).toBe(false);
	});
});

describe('PostgreSQL for queue mode', () => {
	it('runs as a non-root user on 127.0.0.1, wants the password over TCP, and is gone after stop', async () => {
		const pg = await startPostgres();
		try {
			expect(listeningAddresses([pg.pid])).toEqual([`127.0.0.1:${pg.port}`]);
			const user = execFileSync('ps', ['-o', 'user=', '-p', String(pg.pid)], {
				encoding: 'utf8',
			}).trim();
			expect(user).not.toBe('root');
			expect(await pg.sql('SELECT current_database()')).toBe('n8n');
			const psql = (password: string) =>
				execFileSync(
					join(postgresBinDir(), 'psql'),
					[
						'-h',
						'127.0.0.1',
						'-p',
						String(pg.port),
						'-U',
						pg.user,
						'-d',
						pg.database,
						'-X',
						'-A',
						'-t',
						'-c',
						'SELECT 1',
					],
					{
						encoding: 'utf8',
						env: { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: '5' },
						stdio: ['ignore', 'pipe', 'pipe'],
					},
				).trim();
			expect(psql(pg.password)).toBe('1');
			expect(() => psql('wrong')).toThrow(/password authentication failed/);
		} finally {
			await pg.stop();
		}
		expect(alive(pg.pid)).toBe(false);
		expect(existsSync(pg.socketDir)).toBe(false);
	});
});

const describeQueueMode = process.env.N8N_QUEUE_MODE_TEST === '1' ? describe : describe.skip;

// A push → one deterministic, reusable BuildKit Job: the idempotency that holds across processes.
const WORKFLOW_ID = 'queueModeJob0001';
const workflow = {
	id: WORKFLOW_ID,
	name: 'queue mode: push to Job',
	nodes: [
		{
			id: 'q1',
			name: 'Push',
			type: 'n8n-nodes-buildkit.signedWebhookTrigger',
			typeVersion: 1,
			position: [0, 0],
			webhookId: '6a0d3f0e-7a43-4d5e-9d1b-5f1b2c3d4e01',
			parameters: {
				provider: 'github',
				path: WEBHOOK_PATH,
				events: ['push'],
				branches: 'main',
				options: {},
			},
			credentials: { webhookSigningSecretApi: { id: 'queueSecret', name: 'Signing secret' } },
		},
		{
			id: 'q2',
			name: 'Create BuildKit Job',
			type: 'n8n-nodes-buildkit.createBuildKitJob',
			typeVersion: 1,
			position: [220, 0],
			parameters: {
				namespace: 'build-system',
				appName: "={{ $json.repository.name.split('/').pop() }}",
				gitRepositoryUrl: 'https://git.example/homelab/webapp.git',
				gitRevision: '={{ $json.commit }}',
				image: "={{ 'registry.example/webapp:main-' + $json.commit.slice(0, 12) }}",
				options: { deterministicName: true, ifExists: 'reuse' },
			},
			credentials: { kubernetesApi: { id: 'queueCluster', name: 'Build cluster' } },
		},
	],
	connections: { Push: { main: [[{ node: 'Create BuildKit Job', type: 'main', index: 0 }]] } },
	settings: {
		executionOrder: 'v1',
		saveDataSuccessExecution: 'all',
		saveDataErrorExecution: 'all',
	},
};

describeQueueMode(
	'n8n queue mode (main + webhook process + 2 workers over Redis and PostgreSQL)',
	() => {
		jest.setTimeout(240_000);
		let kube: KubeStandIn;
		let n8n: N8nQueueInstance;
		const secret = randomBytes(24).toString('hex');
		const stack = () => ({
			n8n,
			secret,
			appUrls: { webapp: 'https://git.example/homelab/webapp.git' },
		});

		beforeAll(async () => {
			kube = await startKubeStandIn();
			n8n = await startN8nQueueMode({
				workflows: [workflow],
				activate: [WORKFLOW_ID],
				credentials: [
					{ name: 'Signing secret', type: 'webhookSigningSecretApi', data: { secret } },
					{
						name: 'Build cluster',
						type: 'kubernetesApi',
						data: kube.n8nCredential(),
					},
				],
			});
		});

		afterAll(async () => {
			const pids = n8n
				? [n8n.main.pid, n8n.webhookProcess.pid, ...n8n.workers.map((w) => w.pid)]
				: [];
			const pidsOutside = n8n ? [n8n.redis.pid, n8n.postgres.pid] : [];
			await n8n?.stop();
			await kube?.stop();
			// Every process was stopped by its PID (n8n by process group, task runners included).
			for (const pid of pids) expect(groupPids(pid)).toEqual([]);
			for (const pid of pidsOutside) expect(alive(pid)).toBe(false);
		});

		it('listens on 127.0.0.1 only: main, webhook process, workers, Redis and PostgreSQL', () => {
			const groups = [
				n8n.main.pid,
				n8n.webhookProcess.pid,
				...n8n.workers.map((w) => w.pid),
			].flatMap(groupPids);
			const addresses = listeningAddresses([...groups, n8n.redis.pid, n8n.postgres.pid]);
			expect(addresses.length).toBeGreaterThanOrEqual(6);
			for (const address of addresses) expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
			expect(addresses).toContain(new URL(n8n.webhookProcess.url).host);
			for (const worker of n8n.workers) expect(addresses).toContain(new URL(worker.url).host);
		});

		it('takes production webhooks on the webhook process only and runs them on workers via the Redis queue', async () => {
			const commit = randomBytes(20).toString('hex');
			const onMain = await fetch(`${n8n.main.url}/webhook/${WEBHOOK_PATH}`, {
				method: 'POST',
				body: '{}',
			});
			expect(onMain.status).toBe(404);
			const delivery = { app: 'webapp', commit, deliveryId: randomUUID() };
			expect((await sendPush(stack(), delivery)).status).toBe(200);
			// The same delivery id again reaches the same webhook process, whose trigger remembers it.
			expect(await sendPush(stack(), delivery)).toMatchObject({
				status: 200,
				body: expect.stringContaining('"duplicate"'),
			});
			const [execution] = await n8n.waitForExecutions(WORKFLOW_ID, 1);
			expect(execution).toMatchObject({ status: 'success', mode: 'webhook' });
			expect(n8n.executionsByWorker().flat()).toContain(execution.id);
			expect(await n8n.redis.command('GET', 'bull:jobs:id')).toBe('1');
		});

		it('makes one Job for two executions of the same app and commit, on whichever workers run them', async () => {
			const commit = randomBytes(20).toString('hex');
			await kube.clearRequests();
			// Two deliveries the trigger cannot tell apart (new ids): what a second webhook process or a restart sees.
			const sent = await Promise.all(
				[1, 2].map(() => sendPush(stack(), { app: 'webapp', commit, deliveryId: randomUUID() })),
			);
			expect(sent.map((s) => s.status)).toEqual([200, 200]);
			const runs = (await n8n.waitForExecutions(WORKFLOW_ID, 3)).slice(1);
			expect(runs.map((r) => r.status)).toEqual(['success', 'success']);
			const jobs = runs.map(
				(r) => r.data.resultData.runData['Create BuildKit Job'][0].data.main[0][0].json,
			);
			expect(jobs[0].jobName).toBe(jobs[1].jobName);
			expect(jobs[0].uid).toBe(jobs[1].uid);
			expect(jobs.map((j) => j.reused).sort()).toEqual([false, true]);
			const creates = (await kube.requests()).filter(
				(r) => r.method === 'POST' && r.path.endsWith('/jobs'),
			);
			expect(creates.map((r) => r.status).sort()).toEqual([201, 409]);
		});
	},
);
