import { cpus, loadavg } from 'node:os';
import { startN8n } from '../../test/stack/n8n';
import { startN8nQueueMode } from '../../test/stack/n8n/queueMode';
import { writeResultsSection } from '../results';
import { checkAndMeasure, type LoadReport, makePlan, sendLoad } from './load';
import { startAppsStack } from './pipeline';

/**
 * Queue-mode load test: the same pushes (10 apps x 5 commits, some deliveries twice) against n8n in queue mode
 * (main + webhook process + 2 workers, Redis, PostgreSQL) and against one n8n process (regular mode, SQLite),
 * one after the other on fresh stacks. Writes the queueMode section of bench/RESULTS.md; exits 1 when any
 * correctness check fails (a run that loses or doubles a bump is not a measurement).
 * Usage: bash bench/queueMode/run.sh [--apps 10] [--commits 5] [--only queue|single] [--shared-git-cache]
 * (--shared-git-cache: the workers share one clone cache dir, as on one host by default; see docs/development/queue-mode.md)
 */

type Mode = 'queue' | 'single';

interface ModeResult {
	mode: Mode;
	startMs: number;
	report: LoadReport;
	perWorker?: number[];
	load: number[];
}

function arg(name: string, fallback: string): string {
	const i = process.argv.indexOf(`--${name}`);
	return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const log = (line: string) => process.stderr.write(`[queueMode bench] ${line}\n`);

async function runMode(mode: Mode, apps: number, commits: number): Promise<ModeResult> {
	const plan = makePlan(apps, commits);
	const began = Date.now();
	log(`${mode}: starting the stack…`);
	const sharedGitCache = process.argv.includes('--shared-git-cache');
	const start =
		mode === 'queue'
			? (opts: Parameters<typeof startN8n>[0]) =>
					startN8nQueueMode({ ...opts, workers: 2, sharedGitCache })
			: startN8n;
	const stack = await startAppsStack(plan.apps, start, { buildMs: 100 });
	const startMs = Date.now() - began;
	log(`${mode}: stack up in ${(startMs / 1000).toFixed(1)} s; sending ${apps * commits} pushes…`);
	try {
		const load = loadavg();
		const { sent, expectedExecutions } = await sendLoad(stack, plan);
		const report = await checkAndMeasure(stack, plan, sent, expectedExecutions);
		const perWorker =
			'executionsByWorker' in stack.n8n
				? (stack.n8n as { executionsByWorker(): string[][] })
						.executionsByWorker()
						.map((ids) => ids.length)
				: undefined;
		log(
			`${mode}: p50 ${report.p50} ms, p95 ${report.p95} ms, ${report.perMinute.toFixed(1)} commits/min, ${report.violations.length} violations`,
		);
		for (const v of report.violations) log(`  VIOLATION ${v}`);
		return { mode, startMs, report, perWorker, load };
	} finally {
		await stack.stop();
	}
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function row(r: ModeResult): string {
	const x = r.report;
	const topology =
		r.mode === 'queue'
			? `queue mode: main + webhook + 2 workers (${r.perWorker?.join(' / ') ?? '?'} executions), Redis, PostgreSQL`
			: 'one n8n process (regular mode, SQLite)';
	return `| ${topology} | ${seconds(x.p50)} | ${seconds(x.p95)} | ${x.perMinute.toFixed(1)} | ${seconds(x.wallMs)} | ${x.executions} (${x.failedExecutions} failed, ${x.reusedOutcomes} "already deployed") | ${x.jobs} (POST 201×${x.jobCreates.created}, 409×${x.jobCreates.conflict}) | ${x.bumpCommits} | ${x.violations.length === 0 ? 'all hold' : `${x.violations.length} FAILED`} |`;
}

async function main(): Promise<void> {
	const apps = Number(arg('apps', '10'));
	const commits = Number(arg('commits', '5'));
	const only = arg('only', '');
	const modes: Mode[] = only === 'queue' || only === 'single' ? [only] : ['queue', 'single'];
	const results: ModeResult[] = [];
	for (const mode of modes) results.push(await runMode(mode, apps, commits));
	const queue = results.find((r) => r.mode === 'queue');
	const single = results.find((r) => r.mode === 'single');
	const ratio =
		queue && single
			? `Queue mode ÷ one process: p50 ×${(queue.report.p50 / single.report.p50).toFixed(2)}, p95 ×${(queue.report.p95 / single.report.p95).toFixed(2)}, throughput ×${(queue.report.perMinute / single.report.perMinute).toFixed(2)}.`
			: '';
	const markdown = [
		'## Queue mode: 50 signed pushes for 10 apps, nothing duplicated or lost',
		'',
		`${apps} apps × ${commits} commits = ${apps * commits} signed GitHub pushes to the build-on-push workflow (a multi-app variant: the app is the pushed repository, Create BuildKit Job with a deterministic name and If Exists: Reuse, Bump Git Manifest with Max Attempts 10, all as shipped), sent in ${commits} rounds of ${apps} concurrent pushes (the next round when every execution of the last has finished). In each round one delivery is retried with the same delivery id and another repeated under a new id, so ${commits * 2} deliveries arrive twice. Builds on the Kubernetes stand-in succeed after ~100 ms and push to the real registry; bumps go to one GitOps repository over HTTP. Latency: push sent → the Bump node that deployed that commit finished (its push done), per commit. Throughput: commits deployed per minute over the whole run.`,
		'',
		'| topology | p50 | p95 | commits/min | wall | executions | Jobs | bump commits | checks |',
		'| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
		...results.map(row),
		'',
		ratio,
		'',
		'Where a deploying execution spends its time (medians, ms):',
		'',
		`| topology | ${Object.keys(results[0].report.stepMedians).join(' | ')} |`,
		`| --- |${Object.keys(results[0].report.stepMedians)
			.map(() => ' --- |')
			.join('')}`,
		...results.map(
			(r) =>
				`| ${r.mode === 'queue' ? 'queue mode' : 'one process'} | ${Object.values(
					r.report.stepMedians,
				)
					.map((v) => Math.round(v))
					.join(' | ')} |`,
		),
		'',
		"Checks, per run: every execution succeeded; exactly one Job per commit (the repeats got 409 and reused it); exactly one bump commit per commit, only fast-forwards; every app's manifest at its last commit's tag; retries with a seen id answered `duplicate`.",
		`Stack start (not in the figures): ${results.map((r) => `${r.mode} ${seconds(r.startMs)}`).join(', ')}. Machine: ${cpus().length} cores shared with other jobs, load average at load start ${results.map((r) => `${r.mode} ${r.load[0].toFixed(1)}`).join(', ')}.`,
		'',
		'Reproduce: `bash bench/queueMode/run.sh` (about 5 minutes; `--only queue` or `--only single` runs one side).',
	].join('\n');
	if (results.some((r) => r.report.violations.length > 0)) {
		process.stdout.write(`${markdown}\n`);
		throw new Error('correctness checks failed; RESULTS.md not written');
	}
	if (modes.length === 2) writeResultsSection('queueMode', markdown);
	process.stdout.write(`${markdown}\n`);
}

main().then(
	() => process.exit(0),
	(error) => {
		process.stderr.write(
			`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
		);
		process.exit(1);
	},
);
