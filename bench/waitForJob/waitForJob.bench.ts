/**
 * Wait for Job: how soon after a Job's Complete condition is set does each waiter have its result, and how many
 * API requests does one wait cost? Four waiters watch the very same Jobs side by side on the Kubernetes
 * stand-in: our waitForJob (in-process, full result incl. pods and log tail) with the KubeConfig the nodes build
 * (kubeConfigFromCredential: kept-alive connections shared per TLS identity), the same with a bare client-node
 * KubeConfig (a new connection per request), real `kubectl wait --for=condition=complete` (its own process, as
 * a script would run it), and a 5-second polling loop (GET the Job every 5 s, the design this node replaced).
 *
 * The bench itself plays the Job controller: the stand-in's simulator runs each Job as `hang` (the build never
 * ends on its own), and once all three waiters are in place the bench PATCHes status (Complete=True) and takes
 * the moment it sent that request as t0. The stand-in stamps conditions with whole seconds like the apiserver,
 * so its own timestamps cannot serve; t0 at send time makes every latency include the PATCH round trip
 * (conservative for all three alike).
 *
 * Run: bash bench/waitForJob/run.sh   (WAIT_BENCH_N=60 waits, WAIT_BENCH_BATCH=10 at a time)
 */
import { kubectlDoneAt } from '../kubectl';
import { request } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { createBuildKitJob } from '../../lib/k8s/build/createJob';
import { closeKubernetesConnections } from '../../lib/k8s/connections';
import { kubeConfigFromCredential } from '../../lib/k8s/kubeConfig';
import { waitForJob, type WaitForJobStats } from '../../lib/k8s/wait/waitForJob';
import { startKubeStandIn, type KubeStandIn } from '../../test/stack/k8s';
import { percentile, writeResultsSection } from '../results';

const N = Number(process.env.WAIT_BENCH_N ?? 60);
const BATCH = Number(process.env.WAIT_BENCH_BATCH ?? 10);
const POLL_MS = 5000;
/** The service account of the bare-KubeConfig waiter (its requests told apart from ours by name). */
const PLAIN_SA = 'automation:bench-plain';
const NAMESPACE = 'build-system';

interface Trial {
	jobName: string;
	uid: string;
	t0: number;
	patchMs: number;
	ours: number;
	oursNoticed: number;
	plain: number;
	plainNoticed: number;
	kubectl: number;
	polling: number;
	oursStatus: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
	for (let i = 0; i < 600; i++) {
		if (await check()) return;
		await sleep(20);
	}
	throw new Error(`timed out waiting for ${what}`);
}

/** The bench as Job controller: Complete=True (after SuccessCriteriaMet), as a real controller writes it. */
function completeJob(standIn: KubeStandIn, jobName: string): Promise<void> {
	const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
	const condition = (type: string) => ({
		type,
		status: 'True',
		reason: 'CompletionsReached',
		message: 'Reached expected number of succeeded pods',
		lastProbeTime: now,
		lastTransitionTime: now,
	});
	const body = JSON.stringify({
		status: {
			active: 0,
			ready: 0,
			succeeded: 1,
			completionTime: now,
			conditions: [condition('SuccessCriteriaMet'), condition('Complete')],
		},
	});
	return new Promise((resolve, reject) => {
		const req = request(
			`${standIn.url}/apis/batch/v1/namespaces/${NAMESPACE}/jobs/${jobName}/status`,
			{
				method: 'PATCH',
				ca: standIn.caPem,
				headers: {
					Authorization: `Bearer ${standIn.adminToken}`,
					'Content-Type': 'application/merge-patch+json',
				},
			},
			(res) => {
				res.resume();
				res.on('end', () =>
					(res.statusCode ?? 500) < 300
						? resolve()
						: reject(new Error(`PATCH status: ${res.statusCode}`)),
				);
			},
		);
		req.on('error', reject);
		req.end(body);
	});
}

function runKubectl(kubeconfig: string, cacheDir: string, jobName: string): Promise<number> {
	return kubectlDoneAt(kubeconfig, cacheDir, [
		'-n',
		NAMESPACE,
		'wait',
		'--for=condition=complete',
		`job/${jobName}`,
		'--timeout=120s',
	]);
}

/** The old design: GET the Job every 5 s until a terminal condition. */
async function poll(kc: k8s.KubeConfig, jobName: string, started: () => void): Promise<number> {
	const batch = kc.makeApiClient(k8s.BatchV1Api);
	for (let first = true; ; first = false) {
		const job = await batch.readNamespacedJob({ name: jobName, namespace: NAMESPACE });
		if (first) started();
		if (
			job.status?.conditions?.some(
				(c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
			)
		)
			return Date.now();
		await sleep(POLL_MS);
	}
}

async function trial(
	standIn: KubeStandIn,
	kc: k8s.KubeConfig,
	plainKc: k8s.KubeConfig,
	pollerKc: k8s.KubeConfig,
	kubeconfig: string,
	cacheDir: string,
	index: number,
): Promise<Trial> {
	const jobName = `bench-wait-${index}-${process.pid % 10000}`;
	const created = await createBuildKitJob(kc, {
		namespace: NAMESPACE,
		appName: 'bench',
		gitRepositoryUrl: 'http://127.0.0.1:9/bench.git',
		allowPlainHttpGit: true,
		image: '127.0.0.1:5000/bench/app:1',
		insecureRegistry: true,
		attestations: [],
		jobName,
	});
	const watching = async (user: (u: string) => boolean) =>
		(await standIn.requests()).some(
			(r) =>
				r.watch && user(r.user) && decodeURIComponent(r.query).includes(`metadata.name=${jobName}`),
		);

	const stats = {
		lists: 0,
		watches: 0,
		relists: 0,
		retries: 0,
		podLists: 0,
		logReads: 0,
	} as WaitForJobStats;
	const ours = waitForJob(kc, { namespace: NAMESPACE, jobName, timeoutSeconds: 120 }, stats).then(
		(result) => ({ at: Date.now(), status: result.status }),
	);
	const plainStats = {
		lists: 0,
		watches: 0,
		relists: 0,
		retries: 0,
		podLists: 0,
		logReads: 0,
	} as WaitForJobStats;
	const plain = waitForJob(
		plainKc,
		{ namespace: NAMESPACE, jobName, timeoutSeconds: 120 },
		plainStats,
	).then(() => Date.now());
	const kubectl = runKubectl(kubeconfig, cacheDir, jobName);
	let polling = false;
	const polled = poll(pollerKc, jobName, () => (polling = true));
	await until(
		async () =>
			polling &&
			(await watching((u) => u.includes('automation:n8n'))) &&
			(await watching((u) => u.includes(PLAIN_SA))) &&
			(await watching((u) => !u.includes('serviceaccount'))),
		`all waiters on ${jobName}`,
	);
	// A uniformly random moment within the poller's cycle, which also spreads the batch's completions apart.
	await sleep(100 + Math.random() * POLL_MS);
	const t0 = Date.now();
	await completeJob(standIn, jobName);
	const patchMs = Date.now() - t0;
	const [o, pl, k, p] = await Promise.all([ours, plain, kubectl, polled]);
	return {
		jobName,
		uid: created.uid,
		t0,
		patchMs,
		ours: o.at - t0,
		oursNoticed: (stats.noticedAt ?? NaN) - t0,
		plain: pl - t0,
		plainNoticed: (plainStats.noticedAt ?? NaN) - t0,
		kubectl: k - t0,
		polling: p - t0,
		oursStatus: o.status,
	};
}

interface Counts {
	lists: number;
	watches: number;
	gets: number;
	podLists: number;
	logs: number;
}

const zero = (): Counts => ({ lists: 0, watches: 0, gets: 0, podLists: 0, logs: 0 });

function count(
	records: Awaited<ReturnType<KubeStandIn['requests']>>,
	trialInfo: Trial,
	user: (u: string) => boolean,
): Counts {
	const c = zero();
	for (const r of records) {
		if (r.method !== 'GET' || !user(r.user)) continue;
		const query = decodeURIComponent(r.query);
		if (query.includes(`metadata.name=${trialInfo.jobName}`)) {
			if (r.watch) c.watches++;
			else c.lists++;
		} else if (r.path.endsWith(`/jobs/${trialInfo.jobName}`)) c.gets++;
		else if (r.path.endsWith('/pods') && query.includes(trialInfo.uid)) c.podLists++;
		else if (r.path.includes(`/pods/${trialInfo.jobName}-`) && r.path.endsWith('/log')) c.logs++;
	}
	return c;
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);

async function main(): Promise<void> {
	const standIn = await startKubeStandIn();
	const dir = mkdtempSync(join(tmpdir(), 'wait-bench-'));
	try {
		await standIn.setScenario('default', { outcome: 'hang', runMs: 100 });
		const kc = kubeConfigFromCredential({
			authentication: 'kubeconfig',
			kubeconfig: standIn.kubeconfig(standIn.tokenFor('automation', 'n8n')),
		});
		// The bare client and the poller each under their own service account with n8n's rights (the role of
		// deploy/rolebinding.yaml), so the request log tells every waiter apart.
		const admin = new k8s.KubeConfig();
		admin.loadFromString(standIn.kubeconfig(standIn.adminToken));
		for (const sa of ['bench-plain', 'bench-poller']) {
			await admin.makeApiClient(k8s.RbacAuthorizationV1Api).createNamespacedRoleBinding({
				namespace: NAMESPACE,
				body: {
					metadata: { name: `${sa}-build-manager` },
					roleRef: {
						apiGroup: 'rbac.authorization.k8s.io',
						kind: 'Role',
						name: 'build-job-manager',
					},
					subjects: [{ kind: 'ServiceAccount', name: sa, namespace: 'automation' }],
				},
			});
		}
		const plainKc = new k8s.KubeConfig();
		plainKc.loadFromString(standIn.kubeconfig(standIn.tokenFor('automation', 'bench-plain')));
		const pollerKc = kubeConfigFromCredential({
			authentication: 'kubeconfig',
			kubeconfig: standIn.kubeconfig(standIn.tokenFor('automation', 'bench-poller')),
		});
		// kubectl as a separate identity (admin), so its requests can be told from ours and the poller's.
		const kubeconfig = standIn.kubeconfigFile(standIn.adminToken, 'kubectl.yaml');
		const cacheDir = join(dir, 'kube-cache');
		const trials: Trial[] = [];
		for (let start = 0; start < N; start += BATCH) {
			const batch = await Promise.all(
				Array.from({ length: Math.min(BATCH, N - start) }, (_, i) =>
					trial(standIn, kc, plainKc, pollerKc, kubeconfig, cacheDir, start + i),
				),
			);
			trials.push(...batch);
			process.stderr.write(`${trials.length}/${N} waits\n`);
		}
		const records = await standIn.requests();
		const isOurs = (u: string) => u.includes('automation:n8n');
		const connections = (user: (u: string) => boolean) =>
			new Set(records.filter((r) => user(r.user)).map((r) => r.connection)).size;
		const isKubectl = (u: string) => !u.includes('serviceaccount');
		const oursCounts = trials.map((t) => count(records, t, isOurs));
		const kubectlCounts = trials.map((t) => count(records, t, isKubectl));
		const pollGets = trials.map(
			(t) => count(records, t, (u) => u.includes('automation:bench-poller')).gets,
		);
		const kubectlDiscovery = records.filter(
			(r) =>
				isKubectl(r.user) &&
				r.method === 'GET' &&
				(r.path === '/api' ||
					r.path === '/apis' ||
					r.path === '/api/v1' ||
					/^\/apis\/[^/]+\/[^/]+$/.test(r.path)),
		).length;

		const rows = [
			['waitForJob (ours): outcome noticed', trials.map((t) => t.oursNoticed)],
			['waitForJob (ours): full result (+ pods LIST, log read)', trials.map((t) => t.ours)],
			['waitForJob, a new connection per request: noticed', trials.map((t) => t.plainNoticed)],
			['waitForJob, a new connection per request: full result', trials.map((t) => t.plain)],
			['kubectl wait --for=condition=complete', trials.map((t) => t.kubectl)],
			['5 s polling loop', trials.map((t) => t.polling)],
		] as const;
		const p50 = (v: readonly number[]) => percentile([...v], 50);
		const oursP50 = p50(rows[0][1]);
		const avg = (cs: Counts[], k: keyof Counts) => mean(cs.map((c) => c[k])).toFixed(2);
		const maxOf = (cs: Counts[], k: keyof Counts) => Math.max(...cs.map((c) => c[k]));
		const statuses = [...new Set(trials.map((t) => t.oursStatus))].join(', ');

		const md = [
			'## Wait for Job: condition set → result, and API requests per wait',
			'',
			`${N} Jobs on the Kubernetes stand-in, ${BATCH} at a time; each Job watched by all four waiters at once (ours and the bare-client one in this process, ours started first). t0 = when the bench sent the PATCH that set Complete=True (the PATCH round trip, p50 ${p50(trials.map((t) => t.patchMs)).toFixed(1)} ms, is included in every figure). "Noticed" is when our watch loop ended with the outcome; "full result" adds the pods LIST and log-tail read. Ours uses the KubeConfig the nodes build (\`kubeConfigFromCredential\`: kept-alive connections shared per TLS identity, \`lib/k8s/connections.ts\`); "a new connection per request" is the same wait with a bare @kubernetes/client-node 2.x KubeConfig, which makes a new dispatcher (a new TLS connection) for every request. kubectl's figure is its process exit. Node ${process.version}, kubectl on PATH, ${new Date().toISOString().slice(0, 10)}. Our status on every wait: ${statuses}.`,
			'',
			'| waiter | p50 | p95 | max | p50 vs ours (noticed) |',
			'| --- | --- | --- | --- | --- |',
			...rows.map(
				([name, v]) =>
					`| ${name} | ${fmt(p50(v))} | ${fmt(percentile([...v], 95))} | ${fmt(Math.max(...v))} | ${(p50(v) / oursP50).toFixed(1)}× |`,
			),
			'',
			"Requests per wait (mean; max in brackets), from the stand-in's request log:",
			'',
			'| waiter | Job LIST | Job WATCH | Job GET | pods LIST | log GET |',
			'| --- | --- | --- | --- | --- | --- |',
			`| waitForJob (ours) | ${avg(oursCounts, 'lists')} (${maxOf(oursCounts, 'lists')}) | ${avg(oursCounts, 'watches')} (${maxOf(oursCounts, 'watches')}) | ${avg(oursCounts, 'gets')} | ${avg(oursCounts, 'podLists')} (${maxOf(oursCounts, 'podLists')}) | ${avg(oursCounts, 'logs')} (${maxOf(oursCounts, 'logs')}) |`,
			`| kubectl wait | ${avg(kubectlCounts, 'lists')} | ${avg(kubectlCounts, 'watches')} | ${avg(kubectlCounts, 'gets')} | – | – |`,
			`| 5 s polling | 0 | 0 | ${mean(pollGets).toFixed(2)} (${Math.max(...pollGets)}) | – | – |`,
			'',
			`TLS connections in all for the ${N} waits (from the stand-in's request log, which records the connection of each request): ours ${connections(isOurs)}, a new connection per request ${connections((u) => u.includes(PLAIN_SA))}, kubectl ${connections(isKubectl)}.`,
			'',
			`kubectl also made ${kubectlDiscovery} discovery requests in all (${(kubectlDiscovery / N).toFixed(2)} per wait) with a shared, warm cache dir. Polling's request count grows with the build's length (one per 5 s); ours and kubectl's do not (one re-watch per 25 s quiet stream, resp. 5–10 min for kubectl). Targets: noticed ≤ 50 ms p50 ${oursP50 <= 50 ? 'met' : 'NOT met'}; ≤ 1 LIST + 1 WATCH per wait ${maxOf(oursCounts, 'lists') <= 1 && maxOf(oursCounts, 'watches') <= 1 ? 'met' : 'NOT met'}.`,
			'',
			'Reproduce: `bash bench/waitForJob/run.sh` (env `WAIT_BENCH_N`, `WAIT_BENCH_BATCH`).',
		].join('\n');
		writeResultsSection('waitForJob', md);
		process.stdout.write(`${md}\n`);
	} finally {
		await closeKubernetesConnections();
		await standIn.stop();
		rmSync(dir, { recursive: true, force: true });
	}
}

main().catch((error) => {
	console.error(error);
	process.exitCode = 1;
});
