import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { percentile, writeResultsSection } from '../results';
import { freePort, OWNER_EMAIL, ownerPasswordHash, stopGroup } from '../../test/stack/n8n';
import { N8nClient } from '../../test/stack/n8n/client';
import { databaseTemplate, seedUserFolder } from '../../test/stack/n8n/databaseTemplate';
import { loopbackEnv } from '../../test/stack/n8n/env';
import { ensureBuilt, installPackage, packPackage } from '../../test/stack/n8n/packageInstall';
import { groupPids } from '../../test/stack/n8n/processProbe';
import { n8nToolchain, REPO_ROOT, withNode24Path } from '../../test/stack/n8n/toolchain';

/**
 * What this package costs every n8n process (main, webhook processes, each queue worker) that loads it.
 *
 * 1. Load: a fresh Node 24 process loads n8n-workflow (as inside n8n), then requires the compiled node and
 *    credential files (bench/load/probe.js): wall time, CPU time and RSS increase, per node file, the four
 *    credential files, and all of them together. The peer, in the same run and alternating with it, is the same
 *    files with @kubernetes/client-node and undici required first: what loading the package cost before those
 *    two were deferred to first use.
 * 2. First use: the same process then runs Create BuildKit Job (dry run, loads the Kubernetes client) and Query
 *    Registry Tags (against a loopback registry, loads undici).
 * 3. Instructions (valgrind --tool=callgrind, whole process, V8 single-threaded with fixed seeds: the count
 *    repeats to a few thousand in 1.8 billion whatever else the machine runs): the bare process, + n8n-workflow,
 *    + all the files, + the eager peer. Differences give what each step costs; converted to time at the rate this
 *    machine loads n8n-workflow (its instructions ÷ its least CPU time in step 1), so a loaded machine cannot
 *    decide the result.
 * 4. Real n8n 2.41: start (spawn) to /healthz/readiness, the CPU time of the process group until then, and the
 *    RSS of the main process once ready, with and without the package installed in the user folder,
 *    alternating; whether the package's nodes were loaded is read from /types/nodes.json (as the owner).
 */

const RUNS = Number(process.env.RUNS ?? 7);
const N8N_RUNS = Number(process.env.N8N_RUNS ?? 3);
const INSTR_RUNS = Number(process.env.INSTR_RUNS ?? 2);
const N8N_PASSWORD = 'load-bench-owner';

interface Step {
	ms: number;
	cpuMs: number;
	rssMiB: number;
	totalRssMiB?: number;
}
interface ProbeResult {
	/** Loading n8n-workflow itself, before the measured files. */
	workflow: Step;
	load: Step;
	run?: Step;
}

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
	n8n: { nodes: string[]; credentials: string[] };
};
/** Every node and credential file: what n8n requires of the package. */
const ALL_FILES = [...pkg.n8n.nodes, ...pkg.n8n.credentials];

function probe(files: string[], eager: boolean, run = false): ProbeResult {
	const env = { ...process.env, NODE_OPTIONS: '' };
	const out = execFileSync(
		process.execPath,
		[join(__dirname, 'probe.js'), JSON.stringify({ files, eager, run })],
		{ cwd: REPO_ROOT, env, encoding: 'utf8' },
	);
	return JSON.parse(out.trim().split('\n').pop()!) as ProbeResult;
}

/** Instructions of one probe process, counted by callgrind (undefined without valgrind). */
function instructions(options: object): number {
	const env = { ...process.env, NODE_OPTIONS: '' };
	const args = [
		'--tool=callgrind',
		'--callgrind-out-file=/dev/null',
		'--smc-check=all-non-file',
		process.execPath,
		'--single-threaded',
		'--hash-seed=1',
		'--random-seed=1',
		join(__dirname, 'probe.js'),
		JSON.stringify(options),
	];
	const run = spawnSync('valgrind', args, {
		cwd: REPO_ROOT,
		env,
		encoding: 'utf8',
		maxBuffer: 64 * 2 ** 20,
	});
	const collected = /Collected : (\d+)/.exec(run.stderr ?? '');
	if (run.status !== 0 || !collected)
		throw new Error(
			`valgrind probe ${JSON.stringify(options)} failed (${run.status}): ${(run.stderr ?? String(run.error)).slice(-1000)}`,
		);
	return Number(collected[1]);
}

const INSTRUCTION_VARIANTS = {
	bare: { files: [], workflow: false },
	workflow: { files: [] },
	ours: { files: ALL_FILES },
	eager: { files: ALL_FILES, eager: true },
};
type InstructionCounts = Record<keyof typeof INSTRUCTION_VARIANTS, number[]>;

function instructionCounts(): InstructionCounts | undefined {
	if (INSTR_RUNS === 0 || spawnSync('valgrind', ['--version']).status !== 0) return undefined;
	const counts: InstructionCounts = { bare: [], workflow: [], ours: [], eager: [] };
	for (let i = 0; i < INSTR_RUNS; i++) {
		for (const [name, options] of Object.entries(INSTRUCTION_VARIANTS))
			counts[name as keyof InstructionCounts].push(instructions(options));
		process.stderr.write(`instructions: run ${i + 1}/${INSTR_RUNS}\n`);
	}
	return counts;
}

const median = (values: number[]) => percentile(values, 50);
const fmt = (v: number, digits = 0) => v.toFixed(digits);

interface Row {
	name: string;
	lazy: ProbeResult[];
	eager: ProbeResult[];
}

function loadRows(): Row[] {
	const groups: Array<[string, string[]]> = [
		...pkg.n8n.nodes.map((file): [string, string[]] => [basename(file, '.node.js'), [file]]),
		[`the ${pkg.n8n.credentials.length} credential files`, pkg.n8n.credentials],
		[`all ${ALL_FILES.length} files (the package)`, ALL_FILES],
	];
	const rows = groups.map(([name]) => ({
		name,
		lazy: [] as ProbeResult[],
		eager: [] as ProbeResult[],
	}));
	for (let i = 0; i < RUNS; i++) {
		groups.forEach(([, files], g) => {
			const all = g === groups.length - 1;
			rows[g].lazy.push(probe(files, false, all));
			rows[g].eager.push(probe(files, true, all));
		});
		process.stderr.write(`load: run ${i + 1}/${RUNS}\n`);
	}
	return rows;
}

function rssOf(pid: number): number {
	const status = readFileSync(`/proc/${pid}/status`, 'utf8');
	return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU time (user + system) a process has used so far, from /proc (0 once it is gone). */
function cpuMsOf(pid: number): number {
	try {
		const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
		// utime and stime are fields 14 and 15 of stat, in clock ticks (USER_HZ, 100 on Linux).
		return (Number(fields[11]) + Number(fields[12])) * 10;
	} catch {
		return 0;
	}
}

interface N8nStart {
	readyMs: number;
	/** CPU time of the process group (main + task runner) from spawn to ready. */
	readyCpuMs: number;
	mainRssMiB: number;
	groupRssMiB: number;
	packageLoaded: boolean;
}

/** One real n8n start in a fresh user folder, with or without the packed package installed. */
async function startN8nOnce(tarball: string | undefined): Promise<N8nStart> {
	const tools = n8nToolchain();
	const template = databaseTemplate(tools);
	const userFolder = mkdtempSync(join(tmpdir(), 'n8n-load-bench-'));
	seedUserFolder(template, userFolder);
	if (tarball) installPackage(userFolder, tarball);
	const port = await freePort();
	const env: NodeJS.ProcessEnv = {
		...withNode24Path(process.env, tools),
		...loopbackEnv({
			userFolder,
			port,
			brokerPort: await freePort(),
			encryptionKey: template.encryptionKey,
			owner: { email: OWNER_EMAIL, passwordHash: ownerPasswordHash(tools, N8N_PASSWORD) },
		}),
	};
	delete env.NODE_OPTIONS;
	const logFile = join(userFolder, 'n8n.log');
	const log = openSync(logFile, 'a');
	const started = performance.now();
	const child: ChildProcess = spawn(tools.nodeBin, [tools.n8nBin, 'start'], {
		cwd: userFolder,
		env,
		detached: true,
		stdio: ['ignore', log, log],
	});
	closeSync(log);
	try {
		const url = `http://127.0.0.1:${port}`;
		for (;;) {
			if (child.exitCode !== null)
				throw new Error(
					`n8n exited while starting:\n${readFileSync(logFile, 'utf8').slice(-2000)}`,
				);
			if (performance.now() - started > 180_000) throw new Error('n8n was not ready after 180 s');
			const ok = await fetch(`${url}/healthz/readiness`).then(
				(r) => r.ok,
				() => false,
			);
			if (ok) break;
			await sleep(25);
		}
		const readyMs = performance.now() - started;
		const readyCpuMs = groupPids(child.pid!).reduce((sum, pid) => sum + cpuMsOf(pid), 0);
		await sleep(1000); // let start-up work queued behind readiness settle before reading RSS
		const mainRssMiB = rssOf(child.pid!);
		const groupRssMiB = groupPids(child.pid!).reduce(
			(sum, pid) => sum + (Number.isFinite(rssOf(pid)) ? rssOf(pid) : 0),
			0,
		);
		// The editor's node list needs a session: log in as the owner the environment created.
		const client = new N8nClient(url);
		await client.login(OWNER_EMAIL, N8N_PASSWORD);
		const types = await client.getJson<Array<{ name: string }>>('/types/nodes.json');
		return {
			readyMs,
			readyCpuMs,
			mainRssMiB,
			groupRssMiB,
			packageLoaded: types.some((t) => t.name === 'n8n-nodes-buildkit.createBuildKitJob'),
		};
	} finally {
		await stopGroup(child);
		rmSync(userFolder, { recursive: true, force: true });
	}
}

async function n8nStarts(): Promise<{ with: N8nStart[]; without: N8nStart[] }> {
	const result = { with: [] as N8nStart[], without: [] as N8nStart[] };
	if (N8N_RUNS === 0) return result;
	const tarball = packPackage();
	try {
		for (let i = 0; i < N8N_RUNS; i++) {
			result.without.push(await startN8nOnce(undefined));
			result.with.push(await startN8nOnce(tarball));
			process.stderr.write(`n8n: run ${i + 1}/${N8N_RUNS}\n`);
		}
	} finally {
		rmSync(dirname(tarball), { recursive: true, force: true });
	}
	return result;
}

async function main(): Promise<void> {
	ensureBuilt();
	const loadStart = loadavg()[0];
	const rows = loadRows();
	const loadAfterRows = loadavg()[0];
	const counts = instructionCounts();
	const loadAfterCounts = loadavg()[0];
	const starts = await n8nStarts();
	const loadEnd = loadavg()[0];
	const all = rows[rows.length - 1];
	const m = (list: ProbeResult[], pick: (r: ProbeResult) => number) => median(list.map(pick));
	const least = (list: ProbeResult[], pick: (r: ProbeResult) => number) =>
		Math.min(...list.map(pick));
	const lines = rows.map((row) => {
		const lazy = (pick: (r: ProbeResult) => number) => m(row.lazy, pick);
		const eager = (pick: (r: ProbeResult) => number) => m(row.eager, pick);
		return `| ${row.name} | ${fmt(lazy((r) => r.load.cpuMs))} ms (${fmt(least(row.lazy, (r) => r.load.cpuMs))}) / ${fmt(lazy((r) => r.load.ms))} ms | ${fmt(
			lazy((r) => r.load.rssMiB),
			1,
		)} MiB | ${fmt(eager((r) => r.load.cpuMs))} ms (${fmt(least(row.eager, (r) => r.load.cpuMs))}) / ${fmt(eager((r) => r.load.ms))} ms | ${fmt(
			eager((r) => r.load.rssMiB),
			1,
		)} MiB | ${fmt(eager((r) => r.load.cpuMs) / lazy((r) => r.load.cpuMs), 1)}× less CPU, ${fmt(
			eager((r) => r.load.rssMiB) /
				Math.max(
					lazy((r) => r.load.rssMiB),
					0.1,
				),
			0,
		)}× less RSS |`;
	});
	const allLazyCpu = m(all.lazy, (r) => r.load.cpuMs);
	const allLazyRss = m(all.lazy, (r) => r.load.rssMiB);
	const runCpu = m(all.lazy, (r) => r.run!.cpuMs);
	const runRss = m(all.lazy, (r) => r.run!.rssMiB);
	const totalLazy = m(all.lazy, (r) => r.run!.totalRssMiB!);
	const totalEager = m(all.eager, (r) => r.run!.totalRssMiB!);

	// Instructions → time at this machine's rate for loading n8n-workflow (its least CPU time of every probe).
	const workflowCpuMs = Math.min(
		...rows.flatMap((row) => [...row.lazy, ...row.eager].map((r) => r.workflow.cpuMs)),
	);
	let instructionSection = 'Instruction counts: skipped (valgrind not found, or INSTR_RUNS=0).';
	let estimateMs: number | undefined;
	if (counts) {
		const mi = (v: number) => `${(v / 1e6).toFixed(1)} M`;
		const spread = (v: number[]) =>
			v.length > 1 ? ` (runs within ${fmt(Math.max(...v) - Math.min(...v))} instructions)` : '';
		const med = (k: keyof InstructionCounts) => median(counts[k]);
		const workflow = med('workflow') - med('bare');
		const ours = med('ours') - med('workflow');
		const eager = med('eager') - med('workflow');
		const perMs = workflow / workflowCpuMs;
		estimateMs = ours / perMs;
		instructionSection = `Instructions (\`valgrind --tool=callgrind\`, whole probe process, Node with \`--single-threaded --hash-seed=1 --random-seed=1\` so the count repeats: load does not change it), medians of ${INSTR_RUNS} runs each:

| process | instructions | step adds | as time at this machine's rate |
| --- | --- | --- | --- |
| bare Node 24 (probe without n8n-workflow) | ${mi(med('bare'))}${spread(counts.bare)} | – | – |
| + n8n-workflow | ${mi(med('workflow'))}${spread(counts.workflow)} | ${mi(workflow)} | ${fmt(workflowCpuMs)} ms (its least CPU time in the runs above: the rate, ${(perMs / 1e6).toFixed(2)} M instructions/ms) |
| + the ${ALL_FILES.length} files (**ours**) | ${mi(med('ours'))}${spread(counts.ours)} | **${mi(ours)}** | **${fmt(estimateMs, 1)} ms** |
| + the ${ALL_FILES.length} files, client-node and undici required first (peer) | ${mi(med('eager'))}${spread(counts.eager)} | ${mi(eager)} | ${fmt(eager / perMs)} ms |

Ours / peer in instructions: ${fmt(eager / ours, 1)}× fewer; ours / n8n-workflow: ${fmt((100 * ours) / workflow, 1)} %. The rate comes from the least CPU time, which the load can only raise, so the time column errs high.`;
	}

	const s = (list: N8nStart[], pick: (r: N8nStart) => number) => median(list.map(pick));
	const loadedEverywhere =
		starts.with.every((r) => r.packageLoaded) && starts.without.every((r) => !r.packageLoaded);
	const rssMet = allLazyRss <= 10;
	const timeMet = (estimateMs ?? allLazyCpu) <= 30;
	const n8nRow = (label: string, list: N8nStart[]) =>
		`| ${label} | ${fmt(s(list, (r) => r.readyMs))} ms (${fmt(Math.min(...list.map((r) => r.readyMs)))}–${fmt(Math.max(...list.map((r) => r.readyMs)))}) | ${fmt(s(list, (r) => r.readyCpuMs))} ms (${fmt(Math.min(...list.map((r) => r.readyCpuMs)))}–${fmt(Math.max(...list.map((r) => r.readyCpuMs)))}) | ${fmt(
			s(list, (r) => r.mainRssMiB),
			1,
		)} MiB | ${fmt(
			s(list, (r) => r.groupRssMiB),
			1,
		)} MiB |`;
	const diff = (pick: (r: N8nStart) => number, digits = 0) =>
		fmt(s(starts.with, pick) - s(starts.without, pick), digits);
	const markdown = `## Package load: what installing the package costs every n8n process

\`bash bench/load/run.sh\` (RUNS=${RUNS}, INSTR_RUNS=${INSTR_RUNS}, N8N_RUNS=${N8N_RUNS}), Node ${process.versions.node}, ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores shared with other work: 1-minute load average ${fmt(loadStart, 1)} at the start, ${fmt(loadAfterRows, 1)} after the CPU-time runs, ${fmt(loadAfterCounts, 1)} after the instruction counts, ${fmt(loadEnd, 1)} at the end. Wall times mostly measure the wait for a core; CPU time less so; instruction counts not at all, which is why the target is judged by them.

**CPU time, wall time and RSS.** Medians of fresh processes (least CPU time in brackets); each runs \`require('n8n-workflow')\` first, as inside n8n, and the figures are what comes after it. The peer, in the same run and alternating with ours, is the same files with \`@kubernetes/client-node\` and \`undici\` required first, which is what every n8n process paid before both were loaded on first use (\`lib/k8s/kubernetesClient.ts\`, \`lib/registry/client.ts\`).

| required on top of n8n-workflow | ours: CPU (least) / wall | ours: RSS | peer (eager): CPU (least) / wall | peer: RSS | ratio |
| --- | --- | --- | --- | --- | --- |
${lines.join('\n')}

After the ${ALL_FILES.length} files, running Create BuildKit Job once (dry run: loads the Kubernetes client) and Query Registry Tags once (loopback registry: loads undici) costs ${fmt(runCpu)} ms CPU / ${fmt(m(all.lazy, (r) => r.run!.ms))} ms wall and ${fmt(runRss, 1)} MiB, ${fmt(totalLazy, 1)} MiB in all over n8n-workflow (peer: ${fmt(totalEager, 1)} MiB, everything paid at load). So only a process that runs a Kubernetes node pays for the client.

${instructionSection}

**Real n8n 2.41** (\`n8n start\`, SQLite, fresh user folder from the migrated template), spawn to \`/healthz/readiness\` = 200, CPU time of its process group (main + task runner) until then, and RSS 1 s after ready, alternating without/with the package; ${loadedEverywhere ? "checked: the package's nodes are in `/types/nodes.json` (read as the owner) exactly in the runs with it" : 'WARNING: the package-loaded check (`/types/nodes.json`, read as the owner) did not match'}:

| | start to ready, p50 (min–max) | CPU until ready, p50 (min–max) | main RSS, p50 | group RSS, p50 |
| --- | --- | --- | --- | --- |
${n8nRow('without the package', starts.without)}
${n8nRow('with the package', starts.with)}
| difference | ${diff((r) => r.readyMs)} ms | ${diff((r) => r.readyCpuMs)} ms | ${diff((r) => r.mainRssMiB, 1)} MiB | ${diff((r) => r.groupRssMiB, 1)} MiB |

Target (issue 21): loading the package adds ≤ 30 ms and ≤ 10 MiB until a Kubernetes node runs: ${estimateMs === undefined ? `${fmt(allLazyCpu)} ms CPU (median; no instruction count)` : `${fmt(estimateMs, 1)} ms by instructions (CPU time median ${fmt(allLazyCpu)} ms, least ${fmt(least(all.lazy, (r) => r.load.cpuMs))} ms, at this load)`} and ${fmt(allLazyRss, 1)} MiB: time ${timeMet ? 'met' : 'NOT met'}, memory ${rssMet ? 'met' : 'NOT met'}.`;
	writeResultsSection('load', markdown);
	process.stdout.write(`${markdown}\n`);
}

main().catch((error) => {
	process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
	process.exit(1);
});
