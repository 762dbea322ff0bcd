import { randomBytes, randomUUID } from 'node:crypto';
import { nodeOutput } from '../../test/e2e/pipelineStack';
import { onlyFastForwards, readRemoteFile, remoteLog } from '../../test/stack/git';
import type { N8nExecution } from '../../test/stack/n8n';
import { percentile } from '../results';
import {
	type AppsStack,
	type Delivery,
	listJobs,
	manifestPath,
	MULTI_APP_WORKFLOW_ID,
	sendPush,
} from './pipeline';

/**
 * The load: `apps` apps, `commits` commits each, sent in rounds (every app pushes its next commit at once, and
 * the next round starts when every execution of this one has finished, as pushes to one app come one after
 * another). In each round one app's delivery is sent twice with the same delivery id (a sender's retry) and
 * another app's with a new delivery id (what a second webhook process, a restart, or a second hook on the
 * repository sees: the trigger cannot know it): both must end in one Job and one bump.
 */

export interface SentDelivery extends Delivery {
	round: number;
	kind: 'push' | 'retry-same-id' | 'repeat-new-id';
	sentAt: number;
	status: number;
	body: string;
}

export interface LoadPlan {
	apps: string[];
	commits: Record<string, string[]>;
}

export function makePlan(appCount: number, commitsPerApp: number): LoadPlan {
	const apps = Array.from({ length: appCount }, (_, i) => `app-${String(i + 1).padStart(2, '0')}`);
	const commits = Object.fromEntries(
		apps.map((app) => [
			app,
			Array.from({ length: commitsPerApp }, () => randomBytes(20).toString('hex')),
		]),
	);
	return { apps, commits };
}

const FINISHED = new Set(['success', 'error', 'crashed', 'canceled']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Finished executions of the workflow, counted from the public API without their data (cheap to poll). */
async function finishedCount(stack: AppsStack): Promise<number> {
	let count = 0;
	let cursor: string | undefined;
	do {
		const query = new URLSearchParams({
			workflowId: MULTI_APP_WORKFLOW_ID,
			includeData: 'false',
			limit: '250',
		});
		if (cursor) query.set('cursor', cursor);
		const page = await stack.n8n.client.api<{
			data: Array<{ status: string }>;
			nextCursor?: string | null;
		}>('GET', `/executions?${query}`);
		count += page.data.filter((e) => FINISHED.has(e.status)).length;
		cursor = page.nextCursor ?? undefined;
	} while (cursor);
	return count;
}

async function waitForFinished(
	stack: AppsStack,
	expected: number,
	timeoutMs: number,
): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const done = await finishedCount(stack);
		if (done >= expected) return;
		if (Date.now() > deadline)
			throw new Error(`${done} of ${expected} executions finished after ${timeoutMs} ms`);
		await sleep(250);
	}
}

/** Sends the plan round by round; returns every delivery sent (with its response) and the execution count expected. */
export async function sendLoad(
	stack: AppsStack,
	plan: LoadPlan,
): Promise<{ sent: SentDelivery[]; expectedExecutions: number }> {
	const sent: SentDelivery[] = [];
	const rounds = plan.commits[plan.apps[0]].length;
	let expectedExecutions = 0;
	for (let round = 0; round < rounds; round++) {
		const retried = plan.apps[(2 * round) % plan.apps.length];
		const repeated = plan.apps[(2 * round + 1) % plan.apps.length];
		await Promise.all(
			plan.apps.map(async (app) => {
				const delivery: Delivery = {
					app,
					commit: plan.commits[app][round],
					deliveryId: randomUUID(),
				};
				const send = async (d: Delivery, kind: SentDelivery['kind']) => {
					const sentAt = Date.now();
					const res = await sendPush(stack, d);
					sent.push({ ...d, round, kind, sentAt, ...res });
				};
				await send(delivery, 'push');
				if (app === retried) await send(delivery, 'retry-same-id');
				if (app === repeated)
					await send({ ...delivery, deliveryId: randomUUID() }, 'repeat-new-id');
			}),
		);
		// A retry with a seen id starts nothing; a repeat under a new id starts a second execution.
		expectedExecutions += plan.apps.length + 1;
		await waitForFinished(stack, expectedExecutions, 180_000);
	}
	return { sent, expectedExecutions };
}

export interface LoadReport {
	/** Push sent → the bump that deployed that commit pushed (ms), one per commit. */
	latencies: number[];
	p50: number;
	p95: number;
	/** Commits deployed per minute: commits / (last bump pushed − first push sent). */
	perMinute: number;
	wallMs: number;
	executions: number;
	failedExecutions: number;
	jobs: number;
	jobCreates: { created: number; conflict: number };
	bumpCommits: number;
	reusedOutcomes: number;
	/** Medians over the deploying executions: 'push sent → execution started', then each step's run time. */
	stepMedians: Record<string, number>;
	/** Every check that did not hold (empty = the run is valid). */
	violations: string[];
}

interface ExecutionFacts {
	id: string;
	status: string;
	commit?: string;
	app?: string;
	bumpChanged?: boolean;
	bumpEnd?: number;
	outcome?: string;
	/** Where and why a failed execution stopped. */
	error?: string;
	startedAt: number;
	/** Run time (ms) of each pipeline step in this execution. */
	stepMs: Record<string, number>;
}

/** The steps whose time the report breaks down (node names in build-on-push.json). */
export const STEPS = [
	'Create BuildKit Job',
	'Wait for Job',
	'Verify image',
	'Bump GitOps manifest',
];

function factsOf(execution: N8nExecution): ExecutionFacts {
	const [push] = nodeOutput(execution, 'Push to main') ?? [];
	const bumpRun = execution.data?.resultData?.runData?.['Bump GitOps manifest']?.[0];
	const [bump] = nodeOutput(execution, 'Bump GitOps manifest') ?? [];
	const [deployed] = nodeOutput(execution, 'Deployed') ?? [];
	const runData = execution.data?.resultData?.runData ?? {};
	const stepMs = Object.fromEntries(
		STEPS.filter((step) => runData[step]?.[0]).map((step) => [
			step,
			Number(runData[step][0].executionTime),
		]),
	);
	return {
		id: execution.id,
		status: execution.status,
		commit: push?.commit,
		app: push?.repository?.name,
		bumpChanged: bump?.changed,
		bumpEnd: bumpRun ? Number(bumpRun.startTime) + Number(bumpRun.executionTime) : undefined,
		outcome: deployed?.outcome,
		startedAt: Date.parse(execution.startedAt),
		stepMs,
		error: execution.data?.resultData?.error
			? `${execution.data.resultData.lastNodeExecuted}: ${execution.data.resultData.error.message} ${execution.data.resultData.error.description ?? ''}`
			: undefined,
	};
}

/** Checks the end state against the plan (Jobs, executions, GitOps history and files) and measures latencies. */
export async function checkAndMeasure(
	stack: AppsStack,
	plan: LoadPlan,
	sent: SentDelivery[],
	expectedExecutions: number,
): Promise<LoadReport> {
	const violations: string[] = [];
	const expect = (ok: boolean, message: string) => {
		if (!ok) violations.push(message);
	};
	const allCommits = plan.apps.flatMap((app) => plan.commits[app]);

	// Responses: every first delivery started a run; a retry with a seen id was recognised by the trigger.
	for (const d of sent) {
		if (d.kind === 'retry-same-id')
			expect(
				d.status === 200 && d.body.includes('"duplicate"'),
				`retry of ${d.deliveryId} answered ${d.status} ${d.body}`,
			);
		else
			expect(
				d.status === 200,
				`delivery ${d.deliveryId} (${d.kind}) answered ${d.status} ${d.body}`,
			);
	}

	const executions = (await stack.n8n.executions(MULTI_APP_WORKFLOW_ID)).map(factsOf);
	expect(
		executions.length === expectedExecutions,
		`${executions.length} executions, expected ${expectedExecutions}`,
	);
	const failed = executions.filter((e) => e.status !== 'success');
	expect(
		failed.length === 0,
		`failed executions: ${failed.map((e) => `${e.id} (${e.status}: ${e.error ?? 'no error recorded'})`).join(', ')}`,
	);

	// One Job per commit, and the duplicate executions reused it (409 + read) instead of creating another.
	const jobs = await listJobs(stack.kube);
	const revisions = jobs.map((j) => j.metadata.annotations?.['buildkit.n8n.io/git-revision'] ?? '');
	expect(jobs.length === allCommits.length, `${jobs.length} Jobs, expected ${allCommits.length}`);
	expect(
		new Set(revisions).size === jobs.length && allCommits.every((c) => revisions.includes(c)),
		'Jobs do not map one-to-one onto the pushed commits',
	);
	const creates = (await stack.kube.requests()).filter(
		(r) => r.method === 'POST' && /\/namespaces\/[^/]+\/jobs$/.test(r.path),
	);
	const jobCreates = {
		created: creates.filter((r) => r.status === 201).length,
		conflict: creates.filter((r) => r.status === 409).length,
	};

	// One bump commit per pushed commit, none lost or doubled, no force-push, each app at its last commit.
	const log = await remoteLog(stack.gitopsUrl);
	const bumps = log.filter((c) => c.message.startsWith('Deploy '));
	for (const commit of allCommits) {
		const n = bumps.filter((c) => c.message.includes(`(${commit.slice(0, 12)})`)).length;
		expect(n === 1, `commit ${commit.slice(0, 12)} has ${n} bump commits`);
	}
	expect(
		bumps.length === allCommits.length,
		`${bumps.length} bump commits, expected ${allCommits.length}`,
	);
	expect(
		await onlyFastForwards(stack.gitopsUrl),
		'the GitOps branch moved by something other than a fast-forward',
	);
	for (const app of plan.apps) {
		const last = plan.commits[app].at(-1)!;
		const file = await readRemoteFile(stack.gitopsUrl, 'main', manifestPath(app));
		expect(
			file.includes(`/${app}/app:main-${last.slice(0, 12)}@sha256:`),
			`${app} is not at its last commit's tag:\n${file}`,
		);
	}

	// Latency per commit: the first delivery sent → the end of the Bump node run that pushed its change.
	const latencies: number[] = [];
	const bumpEnds: number[] = [];
	const steps: Record<string, number[]> = {
		'push sent → execution started': [],
		...Object.fromEntries(STEPS.map((s) => [s, [] as number[]])),
	};
	for (const commit of allCommits) {
		const changed = executions.filter((e) => e.commit === commit && e.bumpChanged === true);
		expect(
			changed.length === 1,
			`commit ${commit.slice(0, 12)}: ${changed.length} executions pushed a bump`,
		);
		const first = sent.filter((d) => d.commit === commit).sort((a, b) => a.sentAt - b.sentAt)[0];
		if (changed[0]?.bumpEnd && first) {
			latencies.push(changed[0].bumpEnd - first.sentAt);
			bumpEnds.push(changed[0].bumpEnd);
			steps['push sent → execution started'].push(changed[0].startedAt - first.sentAt);
			for (const step of STEPS)
				if (changed[0].stepMs[step] !== undefined) steps[step].push(changed[0].stepMs[step]);
		}
	}
	const reusedOutcomes = executions.filter((e) => e.outcome === 'already deployed').length;
	const firstSent = Math.min(...sent.map((d) => d.sentAt));
	const wallMs = Math.max(...bumpEnds) - firstSent;
	return {
		latencies,
		p50: percentile(latencies, 50),
		p95: percentile(latencies, 95),
		perMinute: (bumpEnds.length / wallMs) * 60_000,
		wallMs,
		executions: executions.length,
		failedExecutions: failed.length,
		jobs: jobs.length,
		jobCreates,
		bumpCommits: bumps.length,
		reusedOutcomes,
		stepMedians: Object.fromEntries(
			Object.entries(steps).map(([step, values]) => [step, percentile(values, 50)]),
		),
		violations,
	};
}
