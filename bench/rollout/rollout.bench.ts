/**
 * Wait for Rollout: how soon after a Deployment finishes rolling out does each waiter know, how many API
 * requests and TLS connections does one wait cost? Waiters watch the very same rollouts side by side on the
 * Kubernetes stand-in:
 *   - waitForRollout (ours, in-process): a Flux Kustomization that must have applied the commit, and the
 *     Deployment that must run the image; once with the credential's KubeConfig as the nodes build it
 *     (kubeConfigFromCredential: shared keep-alive connections) and once with a bare client-node KubeConfig
 *     (one new connection per request), each under its own service account;
 *   - `kubectl rollout status deployment/<name>` (its own process, watches the Deployment only);
 *   - flux-style polling: GET the Kustomization and the Deployment every 2 s (the flux CLI's default
 *     --poll-interval for its waits), with the same readiness rules.
 *
 * The bench plays Flux and the Deployment controller's last step: the Kustomization's status says it applied the
 * commit before the waiters start; the stand-in's Deployment controller rolls out pods that never get ready
 * (scenario by image tag), and once every waiter is in place the bench PATCHes the Deployment's status to
 * rolled out (updated = ready = available, Progressing NewReplicaSetAvailable) and takes the moment it sent that
 * request as t0, so every figure includes the PATCH round trip.
 *
 * Run: bash bench/rollout/run.sh   (ROLLOUT_BENCH_N=40 waits, ROLLOUT_BENCH_BATCH=8 at a time,
 *   ROLLOUT_BENCH_DIAGNOSIS_N=10 crash-looping rollouts)
 */
import { kubectlDoneAt } from '../kubectl';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { closeKubernetesConnections } from '../../lib/k8s/connections';
import { kubeConfigFromCredential } from '../../lib/k8s/kubeConfig';
import { waitForRollout, type WaitForRolloutStats } from '../../lib/k8s/rollout/waitForRollout';
import { startKubeStandIn, type KubeStandIn } from '../../test/stack/k8s';
import { grantRolloutRead } from '../../test/stack/k8s/rolloutRbac';
import type { RequestRecord } from '../../test/stack/k8s/types';
import { percentile, writeResultsSection } from '../results';

const N = Number(process.env.ROLLOUT_BENCH_N ?? 40);
const BATCH = Number(process.env.ROLLOUT_BENCH_BATCH ?? 8);
const POLL_MS = 2000;
const NAMESPACE = 'bench-rollout';
const FLUX_NS = 'flux-system';
const IMAGE = 'registry.local:5000/bench/app:hold';
const KS = { group: 'kustomize.toolkit.fluxcd.io', version: 'v1', plural: 'kustomizations' };
/** Who made a request, by the stand-in's request log. */
const USERS = {
	shared: 'system:serviceaccount:automation:n8n',
	plain: 'system:serviceaccount:automation:n8n-plain',
	kubectl: 'kubernetes-admin',
	poller: 'flux-style-poller',
} as const;
type Waiter = keyof typeof USERS;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
	for (let i = 0; i < 1200; i++) {
		if (await check()) return;
		await sleep(50);
	}
	throw new Error(`timed out waiting for ${what}`);
}

/** The bench's own API calls (as Flux, the controller and the poller), impersonating `user` with admin rights. */
function api(
	standIn: KubeStandIn,
	agent: Agent,
	user: string,
	method: string,
	path: string,
	body?: unknown,
	contentType = 'application/json',
): Promise<any> {
	return new Promise((resolve, reject) => {
		const req = request(
			`${standIn.url}${path}`,
			{
				method,
				agent,
				ca: standIn.caPem,
				headers: {
					Authorization: `Bearer ${standIn.adminToken}`,
					'Impersonate-User': user,
					'Impersonate-Group': 'system:masters',
					...(body ? { 'Content-Type': contentType } : {}),
				},
			},
			(res) => {
				let text = '';
				res.setEncoding('utf8');
				res.on('data', (d) => (text += d));
				res.on('end', () =>
					(res.statusCode ?? 500) < 300
						? resolve(text ? JSON.parse(text) : undefined)
						: reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`)),
				);
			},
		);
		req.on('error', reject);
		req.end(body ? JSON.stringify(body) : undefined);
	});
}

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const condition = (type: string, reason: string, message: string) => ({
	type,
	status: 'True',
	reason,
	message,
	lastTransitionTime: now(),
	lastUpdateTime: now(),
});

function deployment(name: string, image = IMAGE): any {
	return {
		apiVersion: 'apps/v1',
		kind: 'Deployment',
		metadata: { name, namespace: NAMESPACE },
		spec: {
			replicas: 2,
			selector: { matchLabels: { app: name } },
			template: {
				metadata: { labels: { app: name } },
				spec: { containers: [{ name: 'app', image }] },
			},
		},
	};
}

const rolledOut = (d: any): boolean =>
	(d?.status?.observedGeneration ?? 0) >= (d?.metadata?.generation ?? 1) &&
	d.status.updatedReplicas === d.spec.replicas &&
	d.status.availableReplicas === d.spec.replicas &&
	d.status.replicas === d.spec.replicas &&
	d.status.conditions?.some(
		(c: any) => c.type === 'Progressing' && c.reason === 'NewReplicaSetAvailable',
	);

function runKubectl(kubeconfig: string, cacheDir: string, name: string): Promise<number> {
	return kubectlDoneAt(kubeconfig, cacheDir, [
		'-n',
		NAMESPACE,
		'rollout',
		'status',
		`deployment/${name}`,
		'--timeout=120s',
	]);
}

/** Flux CLI style: poll both objects every 2 s until the Kustomization applied the commit and the Deployment is rolled out. */
async function poll(
	standIn: KubeStandIn,
	agent: Agent,
	ks: string,
	name: string,
	commit: string,
	started: () => void,
): Promise<number> {
	for (let first = true; ; first = false) {
		const [k, d] = await Promise.all([
			api(
				standIn,
				agent,
				USERS.poller,
				'GET',
				`/apis/${KS.group}/${KS.version}/namespaces/${FLUX_NS}/${KS.plural}/${ks}`,
			),
			api(
				standIn,
				agent,
				USERS.poller,
				'GET',
				`/apis/apps/v1/namespaces/${NAMESPACE}/deployments/${name}`,
			),
		]);
		if (first) started();
		const ready =
			k?.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True') &&
			k.status.lastAppliedRevision === `main@sha1:${commit}`;
		if (ready && rolledOut(d)) return Date.now();
		await sleep(POLL_MS);
	}
}

interface Trial {
	name: string;
	ks: string;
	patchMs: number;
	noticed: Record<'shared' | 'plain', number>;
	result: Record<'shared' | 'plain', number>;
	/** Call → its last WATCH reached the stand-in. */
	watching: Record<'shared' | 'plain', number>;
	kubectl: number;
	polling: number;
	statuses: string[];
}

async function trial(
	standIn: KubeStandIn,
	agent: Agent,
	kcs: Record<'shared' | 'plain', k8s.KubeConfig>,
	kubeconfig: string,
	cacheDir: string,
	index: number,
): Promise<Trial> {
	const name = `web-${index}`;
	const ks = `bench-${index}`;
	const commit = randomBytes(20).toString('hex');
	// As Flux: the Kustomization has applied the commit.
	await api(
		standIn,
		agent,
		'bench',
		'POST',
		`/apis/${KS.group}/${KS.version}/namespaces/${FLUX_NS}/${KS.plural}`,
		{
			apiVersion: `${KS.group}/${KS.version}`,
			kind: 'Kustomization',
			metadata: { name: ks, namespace: FLUX_NS },
			spec: {
				interval: '1m',
				path: './deploy',
				prune: true,
				sourceRef: { kind: 'GitRepository', name: ks },
				targetNamespace: NAMESPACE,
			},
		},
	);
	await api(
		standIn,
		agent,
		'bench',
		'PATCH',
		`/apis/${KS.group}/${KS.version}/namespaces/${FLUX_NS}/${KS.plural}/${ks}/status`,
		{
			status: {
				observedGeneration: 1,
				lastAppliedRevision: `main@sha1:${commit}`,
				lastAttemptedRevision: `main@sha1:${commit}`,
				conditions: [
					condition('Ready', 'ReconciliationSucceeded', `Applied revision: main@sha1:${commit}`),
				],
			},
		},
		'application/merge-patch+json',
	);
	// The stand-in's Deployment controller creates the ReplicaSet and pods, which never become ready.
	await api(
		standIn,
		agent,
		'bench',
		'POST',
		`/apis/apps/v1/namespaces/${NAMESPACE}/deployments`,
		deployment(name),
	);
	await until(async () => {
		const d = await api(
			standIn,
			agent,
			'bench',
			'GET',
			`/apis/apps/v1/namespaces/${NAMESPACE}/deployments/${name}`,
		);
		return (
			d.status?.updatedReplicas === 2 && d.status?.observedGeneration === d.metadata.generation
		);
	}, `${name} to progress`);

	const options = (): Parameters<typeof waitForRollout>[1] => ({
		commit,
		source: 'fluxKustomization',
		sourceNamespace: FLUX_NS,
		sourceName: ks,
		workloads: [{ kind: 'Deployment', namespace: NAMESPACE, name, image: IMAGE }],
		timeoutSeconds: 120,
	});
	const ours = (which: 'shared' | 'plain') => {
		const stats: WaitForRolloutStats = {
			lists: 0,
			watches: 0,
			relists: 0,
			retries: 0,
			logReads: 0,
		};
		const calledAt = Date.now();
		return {
			calledAt,
			stats,
			done: waitForRollout(kcs[which], options(), stats).then((r) => ({
				at: Date.now(),
				status: r.status,
			})),
		};
	};
	// Ours first (in random order, as both share this process), then the peers: so the time to open the
	// watches is ours alone.
	const first = Math.random() < 0.5 ? 'shared' : 'plain';
	const started = { [first]: ours(first) } as Record<'shared' | 'plain', ReturnType<typeof ours>>;
	const second = first === 'shared' ? 'plain' : 'shared';
	started[second] = ours(second);
	const { shared, plain } = started;
	await until(
		async () => shared.stats.watches >= 3 && plain.stats.watches >= 3,
		`our watches of ${name}`,
	);
	const kubectl = runKubectl(kubeconfig, cacheDir, name);
	let polling = false;
	const polled = poll(standIn, agent, ks, name, commit, () => (polling = true));
	const watchesOf = (records: RequestRecord[], user: string) =>
		records.filter((r) => r.watch && r.user === user && selectsTrial(r, name, ks));
	await until(
		async () => polling && watchesOf(await standIn.requests(), USERS.kubectl).length >= 1,
		`kubectl rollout status of ${name}`,
	);
	const records = await standIn.requests();
	const lastWatch = (user: string, from: number) =>
		Math.max(...watchesOf(records, user).map((r) => r.at)) - from;
	// A uniformly random moment within the poller's cycle, which also spreads the batch's completions apart.
	await sleep(100 + Math.random() * POLL_MS);

	const d = await api(
		standIn,
		agent,
		'bench',
		'GET',
		`/apis/apps/v1/namespaces/${NAMESPACE}/deployments/${name}`,
	);
	const t0 = Date.now();
	await api(
		standIn,
		agent,
		'bench',
		'PATCH',
		`/apis/apps/v1/namespaces/${NAMESPACE}/deployments/${name}/status`,
		{
			status: {
				observedGeneration: d.metadata.generation,
				replicas: 2,
				updatedReplicas: 2,
				readyReplicas: 2,
				availableReplicas: 2,
				unavailableReplicas: null,
				conditions: [
					condition(
						'Available',
						'MinimumReplicasAvailable',
						'Deployment has minimum availability.',
					),
					condition(
						'Progressing',
						'NewReplicaSetAvailable',
						`ReplicaSet "${name}" has successfully progressed.`,
					),
				],
			},
		},
		'application/merge-patch+json',
	);
	const patchMs = Date.now() - t0;
	const [s, p, k, pl] = await Promise.all([shared.done, plain.done, kubectl, polled]);
	return {
		name,
		ks,
		patchMs,
		noticed: {
			shared: (shared.stats.noticedAt ?? NaN) - t0,
			plain: (plain.stats.noticedAt ?? NaN) - t0,
		},
		result: { shared: s.at - t0, plain: p.at - t0 },
		watching: {
			shared: lastWatch(USERS.shared, shared.calledAt),
			plain: lastWatch(USERS.plain, plain.calledAt),
		},
		kubectl: k - t0,
		polling: pl - t0,
		statuses: [s.status, p.status],
	};
}

const DIAGNOSIS_N = Number(process.env.ROLLOUT_BENCH_DIAGNOSIS_N ?? 10);
const CRASH_IMAGE = 'registry.local:5000/bench/app:crash';

/**
 * A crash-looping rollout, both our variants at once: from the outcome noticed (watches closed) to the result
 * returned, which reads the failing container's log (the current run, else the previous one) after the watches
 * ended: the requests where a kept-alive connection can save a TLS handshake.
 */
async function diagnosisTrial(
	standIn: KubeStandIn,
	agent: Agent,
	kcs: Record<'shared' | 'plain', k8s.KubeConfig>,
	index: number,
): Promise<Record<'shared' | 'plain', { ms: number; reason: string; logTail: boolean }>> {
	const name = `crash-${index}`;
	await api(
		standIn,
		agent,
		'bench',
		'POST',
		`/apis/apps/v1/namespaces/${NAMESPACE}/deployments`,
		deployment(name, CRASH_IMAGE),
	);
	const run = async (which: 'shared' | 'plain') => {
		const stats: WaitForRolloutStats = {
			lists: 0,
			watches: 0,
			relists: 0,
			retries: 0,
			logReads: 0,
		};
		const result = await waitForRollout(
			kcs[which],
			{
				source: 'none',
				workloads: [{ kind: 'Deployment', namespace: NAMESPACE, name, image: CRASH_IMAGE }],
				timeoutSeconds: 60,
				stuckAfterSeconds: 1,
			},
			stats,
		);
		return {
			ms: Date.now() - stats.noticedAt!,
			reason: result.reason,
			logTail: result.logTail.length > 0,
		};
	};
	const [shared, plain] =
		Math.random() < 0.5
			? await Promise.all([run('shared'), run('plain')])
			: (await Promise.all([run('plain'), run('shared')])).reverse();
	return { shared, plain };
}

interface Counts {
	lists: number;
	watches: number;
	gets: number;
}

/** A LIST or WATCH of one trial's Deployment, Kustomization or pods. */
function selectsTrial(r: RequestRecord, name: string, ks: string): boolean {
	const q = new URLSearchParams(r.query);
	return (
		[`metadata.name=${name}`, `metadata.name=${ks}`].includes(q.get('fieldSelector') ?? '') ||
		q.get('labelSelector') === `app=${name}`
	);
}

/** Requests one waiter made for one trial's objects. */
function count(records: RequestRecord[], t: Trial, user: string): Counts {
	const c: Counts = { lists: 0, watches: 0, gets: 0 };
	for (const r of records) {
		if (r.user !== user || r.method !== 'GET') continue;
		if (selectsTrial(r, t.name, t.ks)) {
			if (r.watch) c.watches++;
			else c.lists++;
		} else if (
			r.path.endsWith(`/deployments/${t.name}`) ||
			r.path.endsWith(`/kustomizations/${t.ks}`)
		)
			c.gets++;
	}
	return c;
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
const p50 = (v: number[]) => percentile(v, 50);

async function main(): Promise<void> {
	const loadBefore = loadavg()[0];
	const standIn = await startKubeStandIn({ realBuilds: false });
	const dir = mkdtempSync(join(tmpdir(), 'rollout-bench-'));
	const agent = new Agent({ keepAlive: true });
	try {
		await grantRolloutRead(standIn, [NAMESPACE, FLUX_NS]);
		for (const ns of [NAMESPACE, FLUX_NS]) {
			await api(
				standIn,
				agent,
				'bench',
				'POST',
				`/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`,
				{
					apiVersion: 'rbac.authorization.k8s.io/v1',
					kind: 'RoleBinding',
					metadata: { name: 'n8n-plain-rollout-reader', namespace: ns },
					roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'rollout-reader' },
					subjects: [{ kind: 'ServiceAccount', name: 'n8n-plain', namespace: 'automation' }],
				},
			);
		}
		await standIn.gitops.setRolloutScenario({ tag: 'hold' }, { outcome: 'unready' });
		const kcs = {
			shared: kubeConfigFromCredential({
				authentication: 'kubeconfig',
				kubeconfig: standIn.kubeconfig(standIn.tokenFor('automation', 'n8n')),
			}),
			plain: new k8s.KubeConfig(),
		};
		kcs.plain.loadFromString(standIn.kubeconfig(standIn.tokenFor('automation', 'n8n-plain')));
		const kubeconfig = standIn.kubeconfigFile(standIn.adminToken, 'kubectl.yaml');
		const cacheDir = join(dir, 'kube-cache');
		const trials: Trial[] = [];
		for (let start = 0; start < N; start += BATCH) {
			trials.push(
				...(await Promise.all(
					Array.from({ length: Math.min(BATCH, N - start) }, (_, i) =>
						trial(standIn, agent, kcs, kubeconfig, cacheDir, start + i),
					),
				)),
			);
			process.stderr.write(`${trials.length}/${N} waits\n`);
		}
		const records = await standIn.requests();
		await standIn.gitops.setRolloutScenario({ tag: 'crash' }, { outcome: 'crashloop' });
		const diagnoses = [];
		for (let i = 0; i < DIAGNOSIS_N; i++)
			diagnoses.push(await diagnosisTrial(standIn, agent, kcs, i));
		process.stderr.write(`${DIAGNOSIS_N} diagnoses\n`);
		const loadAfter = loadavg()[0];
		const countsOf = (w: Waiter) => trials.map((t) => count(records, t, USERS[w]));
		const connections = (w: Waiter) =>
			new Set(records.filter((r) => r.user === USERS[w]).map((r) => r.connection)).size;
		const requestsOf = (w: Waiter) => records.filter((r) => r.user === USERS[w]).length;
		const kubectlDiscovery = records.filter(
			(r) =>
				r.user === USERS.kubectl &&
				r.method === 'GET' &&
				(r.path === '/api' || r.path === '/apis' || /^\/apis?\/[^/]+(\/[^/]+)?$/.test(r.path)),
		).length;
		const statuses = [...new Set(trials.flatMap((t) => t.statuses))].join(', ');

		const rows: Array<[string, number[]]> = [
			['waitForRollout (ours), shared connections: noticed', trials.map((t) => t.noticed.shared)],
			[
				'waitForRollout (ours), shared connections: result returned',
				trials.map((t) => t.result.shared),
			],
			['waitForRollout, a new connection per request: noticed', trials.map((t) => t.noticed.plain)],
			['kubectl rollout status (Deployment only)', trials.map((t) => t.kubectl)],
			['flux-style polling, 2 s (Kustomization + Deployment)', trials.map((t) => t.polling)],
		];
		const ours = p50(rows[0][1]);
		const avg = (cs: Counts[], k: keyof Counts) => mean(cs.map((c) => c[k])).toFixed(2);
		const max = (cs: Counts[], k: keyof Counts) => Math.max(...cs.map((c) => c[k]));
		const shared = countsOf('shared');
		const md = [
			'## Wait for Rollout: rollout finished → noticed, and API requests and connections per wait',
			'',
			`${N} rollouts on the Kubernetes stand-in, ${BATCH} at a time; each watched by every waiter at once. Ours waits for a Flux Kustomization to have applied the commit and for the Deployment (2 replicas) to run the image: three objects (Kustomization, Deployment, its pods). The bench plays Flux (the Kustomization's status says it applied the commit before the waiters start) and the Deployment controller's last step: t0 = when it sent the PATCH that set the Deployment's status to rolled out (the PATCH round trip, p50 ${p50(trials.map((t) => t.patchMs)).toFixed(1)} ms, is in every figure). "Noticed" is when our watches ended with the outcome; kubectl's figure is its process exit; the poller GETs both objects every 2 s, the flux CLI's default \`--poll-interval\` for its waits. "Shared connections" is the KubeConfig the nodes use (\`kubeConfigFromCredential\`: one undici Agent per TLS identity, \`lib/k8s/connections.ts\`); "a new connection per request" is a bare @kubernetes/client-node 2.x KubeConfig, which builds a new Agent for every request. Node ${process.version}, ${new Date().toISOString().slice(0, 10)}, 2 cores shared with other work (load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after). Our status on every wait: ${statuses}.`,
			'',
			'| waiter | p50 | p95 | max | p50 vs ours |',
			'| --- | --- | --- | --- | --- |',
			...rows.map(
				([label, v]) =>
					`| ${label} | ${fmt(p50(v))} | ${fmt(percentile(v, 95))} | ${fmt(Math.max(...v))} | ${(p50(v) / ours).toFixed(1)}× |`,
			),
			'',
			`From the call to the last of its three watches open (p50 / p95): shared connections ${fmt(p50(trials.map((t) => t.watching.shared)))} / ${fmt(
				percentile(
					trials.map((t) => t.watching.shared),
					95,
				),
			)}, a new connection per request ${fmt(p50(trials.map((t) => t.watching.plain)))} / ${fmt(
				percentile(
					trials.map((t) => t.watching.plain),
					95,
				),
			)}.`,
			'',
			`A crash-looping rollout (${DIAGNOSIS_N} Deployments one after another, both variants at once, stuckAfterSeconds 1): from the outcome noticed to the result returned with the pods and the log tail read after the watches closed, p50 / max: shared connections ${fmt(p50(diagnoses.map((d) => d.shared.ms)))} / ${fmt(Math.max(...diagnoses.map((d) => d.shared.ms)))}, a new connection per request ${fmt(p50(diagnoses.map((d) => d.plain.ms)))} / ${fmt(Math.max(...diagnoses.map((d) => d.plain.ms)))} (reasons: ${[...new Set(diagnoses.flatMap((d) => [d.shared.reason, d.plain.reason]))].join(', ')}; log tail in ${diagnoses.filter((d) => d.shared.logTail && d.plain.logTail).length}/${DIAGNOSIS_N}).`,
			'',
			"Requests per wait (mean; max in brackets) and TLS connections, from the stand-in's request log (each request records the connection that carried it):",
			'',
			'| waiter | LIST | WATCH | GET | requests in all | TLS connections in all (per wait) |',
			'| --- | --- | --- | --- | --- | --- |',
			...(['shared', 'plain', 'kubectl', 'poller'] as const).map((w) => {
				const cs = countsOf(w);
				const label = {
					shared: 'waitForRollout (ours), shared connections',
					plain: 'waitForRollout, a new connection per request',
					kubectl: 'kubectl rollout status',
					poller: 'flux-style polling, 2 s',
				}[w];
				return `| ${label} | ${avg(cs, 'lists')} (${max(cs, 'lists')}) | ${avg(cs, 'watches')} (${max(cs, 'watches')}) | ${avg(cs, 'gets')} (${max(cs, 'gets')}) | ${requestsOf(w)} | ${connections(w)} (${(connections(w) / N).toFixed(2)}) |`;
			}),
			'',
			`kubectl's requests in all include ${kubectlDiscovery} discovery requests (${(kubectlDiscovery / N).toFixed(2)} per wait, warm shared cache dir); each kubectl process opens its own connection. The poller's GETs grow with the rollout's length (two per 2 s); the watchers' do not (one re-watch per 25 s quiet stream). Targets (issue 18): one LIST + one WATCH per watched object: ${max(shared, 'lists') <= 3 && max(shared, 'watches') <= 3 ? 'met' : 'NOT met'} (3 objects: max ${max(shared, 'lists')} LIST, ${max(shared, 'watches')} WATCH); connections reused per credential: ${connections('shared') < connections('plain') ? 'met' : 'NOT met'} (${connections('shared')} vs ${connections('plain')} for the same ${N} waits).`,
			'',
			'Reproduce: `bash bench/rollout/run.sh` (env `ROLLOUT_BENCH_N`, `ROLLOUT_BENCH_BATCH`, `ROLLOUT_BENCH_DIAGNOSIS_N`).',
		].join('\n');
		writeResultsSection('rollout', md);
		process.stdout.write(`${md}\n`);
	} finally {
		agent.destroy();
		await closeKubernetesConnections();
		await standIn.stop();
		rmSync(dir, { recursive: true, force: true });
	}
}

main().catch((error) => {
	console.error(error);
	process.exitCode = 1;
});
