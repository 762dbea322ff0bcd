import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { percentile, writeResultsSection } from '../results';
import { freePort, stopGroup } from '../../test/stack/n8n';
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
 *    credential files, and all nine together. The peer, in the same run and alternating with it, is the same
 *    files with @kubernetes/client-node and undici required first: what loading the package cost before those
 *    two were deferred to first use.
 * 2. First use: the same process then runs Create BuildKit Job (dry run, loads the Kubernetes client) and Query
 *    Registry Tags (against a loopback registry, loads undici).
 * 3. Real n8n 2.41: start (spawn) to /healthz/readiness, and the RSS of the main process once ready, with and
 *    without the package installed in the user folder, alternating.
 */

const RUNS = Number(process.env.RUNS ?? 5);
const N8N_RUNS = Number(process.env.N8N_RUNS ?? 3);

interface Step {
	ms: number;
	cpuMs: number;
	rssMiB: number;
	totalRssMiB?: number;
}
interface ProbeResult {
	load: Step;
	run?: Step;
}

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { n8n: { nodes: string[]; credentials: string[] } };

function probe(files: string[], eager: boolean, run = false): ProbeResult {
	const env = { ...process.env, NODE_OPTIONS: '' };
	const out = execFileSync(process.execPath, [join(__dirname, 'probe.js'), JSON.stringify({ files, eager, run })], { cwd: REPO_ROOT, env, encoding: 'utf8' });
	return JSON.parse(out.trim().split('\n').pop()!) as ProbeResult;
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
		['the 4 credential files', pkg.n8n.credentials],
		['all 9 files (the package)', [...pkg.n8n.nodes, ...pkg.n8n.credentials]],
	];
	const rows = groups.map(([name]) => ({ name, lazy: [] as ProbeResult[], eager: [] as ProbeResult[] }));
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

interface N8nStart {
	readyMs: number;
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
		...loopbackEnv({ userFolder, port, brokerPort: await freePort(), encryptionKey: template.encryptionKey, owner: { email: 'owner@buildkit.test', passwordHash: '' } }),
		N8N_INSTANCE_OWNER_MANAGED_BY_ENV: 'false',
	};
	delete env.NODE_OPTIONS;
	const logFile = join(userFolder, 'n8n.log');
	const log = openSync(logFile, 'a');
	const started = performance.now();
	const child: ChildProcess = spawn(tools.nodeBin, [tools.n8nBin, 'start'], { cwd: userFolder, env, detached: true, stdio: ['ignore', log, log] });
	closeSync(log);
	try {
		const url = `http://127.0.0.1:${port}`;
		for (;;) {
			if (child.exitCode !== null) throw new Error(`n8n exited while starting:\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
			if (performance.now() - started > 180_000) throw new Error('n8n was not ready after 180 s');
			const ok = await fetch(`${url}/healthz/readiness`).then((r) => r.ok, () => false);
			if (ok) break;
			await sleep(25);
		}
		const readyMs = performance.now() - started;
		await sleep(1000); // let start-up work queued behind readiness settle before reading RSS
		const mainRssMiB = rssOf(child.pid!);
		const groupRssMiB = groupPids(child.pid!).reduce((sum, pid) => sum + (Number.isFinite(rssOf(pid)) ? rssOf(pid) : 0), 0);
		const types = await fetch(`${url}/types/nodes.json`).then((r) => (r.ok ? r.text() : ''), () => '');
		return { readyMs, mainRssMiB, groupRssMiB, packageLoaded: types.includes('n8n-nodes-buildkit.createBuildKitJob') };
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
	const load = loadavg()[0];
	const rows = loadRows();
	const starts = await n8nStarts();
	const all = rows[rows.length - 1];
	const m = (list: ProbeResult[], pick: (r: ProbeResult) => number) => median(list.map(pick));
	const lines = rows.map((row) => {
		const lazy = (pick: (r: ProbeResult) => number) => m(row.lazy, pick);
		const eager = (pick: (r: ProbeResult) => number) => m(row.eager, pick);
		return `| ${row.name} | ${fmt(lazy((r) => r.load.cpuMs))} ms / ${fmt(lazy((r) => r.load.ms))} ms | ${fmt(lazy((r) => r.load.rssMiB), 1)} MiB | ${fmt(eager((r) => r.load.cpuMs))} ms / ${fmt(eager((r) => r.load.ms))} ms | ${fmt(eager((r) => r.load.rssMiB), 1)} MiB | ${fmt(eager((r) => r.load.cpuMs) / lazy((r) => r.load.cpuMs), 1)}× less CPU, ${fmt(eager((r) => r.load.rssMiB) / Math.max(lazy((r) => r.load.rssMiB), 0.1), 0)}× less RSS |`;
	});
	const allLazyCpu = m(all.lazy, (r) => r.load.cpuMs);
	const allLazyRss = m(all.lazy, (r) => r.load.rssMiB);
	const runCpu = m(all.lazy, (r) => r.run!.cpuMs);
	const runRss = m(all.lazy, (r) => r.run!.rssMiB);
	const totalLazy = m(all.lazy, (r) => r.run!.totalRssMiB!);
	const totalEager = m(all.eager, (r) => r.run!.totalRssMiB!);
	const s = (list: N8nStart[], pick: (r: N8nStart) => number) => median(list.map(pick));
	const loadedEverywhere = starts.with.every((r) => r.packageLoaded) && starts.without.every((r) => !r.packageLoaded);
	const met = allLazyCpu <= 30 && allLazyRss <= 10;
	const markdown = `## Package load: what installing the package costs every n8n process

\`bash bench/load/run.sh\` (RUNS=${RUNS}, N8N_RUNS=${N8N_RUNS}), Node ${process.versions.node}, ${cpus().length} cores shared with other work (1-minute load average ${fmt(load, 1)} at the start: wall times are mostly waiting for a core, so CPU time is the cost to read). Medians of fresh processes; each runs \`require('n8n-workflow')\` first, as inside n8n, and the figures are what comes after it. The peer, in the same run and alternating with ours, is the same files with \`@kubernetes/client-node\` and \`undici\` required first, which is what every n8n process paid before both were loaded on first use (\`lib/k8s/kubernetesClient.ts\`, \`lib/registry/client.ts\`).

| required on top of n8n-workflow | ours: CPU / wall | ours: RSS | peer (eager): CPU / wall | peer: RSS | ratio |
| --- | --- | --- | --- | --- | --- |
${lines.join('\n')}

After the nine files, running Create BuildKit Job once (dry run: loads the Kubernetes client) and Query Registry Tags once (loopback registry: loads undici) costs ${fmt(runCpu)} ms CPU / ${fmt(m(all.lazy, (r) => r.run!.ms))} ms wall and ${fmt(runRss, 1)} MiB, ${fmt(totalLazy, 1)} MiB in all over n8n-workflow (peer: ${fmt(totalEager, 1)} MiB, everything paid at load). So only a process that runs a Kubernetes node pays for the client.

Real n8n 2.41 (\`n8n start\`, SQLite, fresh user folder from the migrated template), spawn to \`/healthz/readiness\` = 200, and RSS of the main process 1 s after ready (and of its process group: main + task runner), alternating without/with the package${loadedEverywhere ? ' (checked: the package\'s nodes are in `/types/nodes.json` exactly in the runs with it)' : ' (WARNING: the package-loaded check did not match)'}:

| | start to ready, p50 (min–max) | main RSS, p50 | group RSS, p50 |
| --- | --- | --- | --- |
| without the package | ${fmt(s(starts.without, (r) => r.readyMs))} ms (${fmt(Math.min(...starts.without.map((r) => r.readyMs)))}–${fmt(Math.max(...starts.without.map((r) => r.readyMs)))}) | ${fmt(s(starts.without, (r) => r.mainRssMiB), 1)} MiB | ${fmt(s(starts.without, (r) => r.groupRssMiB), 1)} MiB |
| with the package | ${fmt(s(starts.with, (r) => r.readyMs))} ms (${fmt(Math.min(...starts.with.map((r) => r.readyMs)))}–${fmt(Math.max(...starts.with.map((r) => r.readyMs)))}) | ${fmt(s(starts.with, (r) => r.mainRssMiB), 1)} MiB | ${fmt(s(starts.with, (r) => r.groupRssMiB), 1)} MiB |
| difference | ${fmt(s(starts.with, (r) => r.readyMs) - s(starts.without, (r) => r.readyMs))} ms (×${fmt(s(starts.with, (r) => r.readyMs) / s(starts.without, (r) => r.readyMs), 2)}) | ${fmt(s(starts.with, (r) => r.mainRssMiB) - s(starts.without, (r) => r.mainRssMiB), 1)} MiB | ${fmt(s(starts.with, (r) => r.groupRssMiB) - s(starts.without, (r) => r.groupRssMiB), 1)} MiB |

Target (issue 21): loading the package adds ≤ 30 ms and ≤ 10 MiB until a Kubernetes node runs: ${fmt(allLazyCpu)} ms CPU and ${fmt(allLazyRss, 1)} MiB, ${met ? 'met' : 'NOT met'} (wall time ${fmt(m(all.lazy, (r) => r.load.ms))} ms on this loaded machine).`;
	writeResultsSection('load', markdown);
	process.stdout.write(`${markdown}\n`);
}

main().catch((error) => {
	process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
	process.exit(1);
});
