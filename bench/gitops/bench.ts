import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
	bumpGitManifest,
	type BumpRequest,
	type BumpResult,
	type GitCredential,
} from '../../lib/gitops';
import { checkEdit, planEdit } from '../../lib/gitops/edits';
import { GitRunner } from '../../lib/gitops/gitRunner';
import { BENCH_REPO, bigRepoFile, ensureBigRepo } from '../../test/stack/git/bigRepo';
import {
	onlyFastForwards,
	readRemoteFile,
	remoteLog,
	startGitServer,
	stackGitEnv,
} from '../../test/stack/git';
import { percentile, writeResultsSection } from '../results';

const run = promisify(execFile);
const TOKEN = 'bench-token-1234';
const credential: GitCredential = {
	authentication: 'https',
	username: 'bench',
	token: TOKEN,
	authorName: 'bench',
	authorEmail: 'bench@127.0.0.1',
};
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 7);
const WARM_RUNS = Number(process.env.BENCH_WARM_RUNS ?? 21);
const PEER_RUNS = Number(process.env.BENCH_PEER_RUNS ?? 5);

let counter = 0;
/** A bump of one Deployment's image in the 20k/5k repo, a different file and value each time. */
function imageBump(url: string): BumpRequest {
	const n = counter++;
	const [c, t, a] = [n % 10, (n * 7) % 20, (n * 3) % 25];
	return {
		repositoryUrl: url,
		branch: 'main',
		edit: {
			mode: 'yamlPath',
			file: bigRepoFile(c, t, a),
			yamlPath: 'spec.template.spec.containers[0].image',
			value: `registry.local/team-${t}/app-${a}:9.${n}.0`,
		},
		commitMessage: `bench bump ${n}`,
		maxAttempts: 50,
		allowPlainHttp: true,
	};
}

/** Every git process a bump runs, with its wall time: recorded around GitRunner.run while `recording` is set. */
let recording: Array<{ command: string; ms: number }> | undefined;
const runGit = GitRunner.prototype.run;
GitRunner.prototype.run = async function (this: GitRunner, args: string[]) {
	const start = performance.now();
	try {
		return await runGit.call(this, args);
	} finally {
		recording?.push({
			command: args.find((a, i) => !a.startsWith('-') && args[i - 1] !== '-c') ?? 'git',
			ms: performance.now() - start,
		});
	}
};

/** A timed bump with its git processes. */
async function recordedBump(
	request: BumpRequest,
	cacheDir: string,
): Promise<{ ms: number; result: BumpResult; git: Array<{ command: string; ms: number }> }> {
	const git: Array<{ command: string; ms: number }> = [];
	recording = git;
	try {
		const [ms, result] = await timed(() => bumpGitManifest(request, credential, { cacheDir }));
		return { ms, result, git };
	} finally {
		recording = undefined;
	}
}

/** Median ms per git command over runs (0 for a run that did not use it), in order of first use, and the rest. */
function breakdown(
	runs: Array<{ ms: number; git: Array<{ command: string; ms: number }> }>,
): string {
	const commands = [...new Set(runs.flatMap((r) => r.git.map((g) => g.command)))];
	const per = (command: string) =>
		percentile(
			runs.map((r) => r.git.filter((g) => g.command === command).reduce((a, g) => a + g.ms, 0)),
			50,
		);
	const used = (command: string) =>
		runs.filter((r) => r.git.some((g) => g.command === command)).length;
	const parts = commands.map(
		(c) =>
			`${c} ${per(c).toFixed(0)}${used(c) < runs.length ? ` (in ${used(c)}/${runs.length})` : ''}`,
	);
	const rest = percentile(
		runs.map((r) => r.ms - r.git.reduce((a, g) => a + g.ms, 0)),
		50,
	);
	const processes = percentile(
		runs.map((r) => r.git.length),
		50,
	);
	return `${parts.join(', ')}; outside git (YAML edit, diff, cache state, lock) ${rest.toFixed(0)}; git processes per bump p50 ${processes}`;
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
	const start = performance.now();
	const value = await fn();
	return [performance.now() - start, value];
}

/** The peer: what a workflow without a cache does, a full clone per bump (then the same edit, commit, push). */
async function fullCloneBump(
	authedUrl: string,
	request: BumpRequest,
	scratch: string,
): Promise<void> {
	const dir = await mkdtemp(join(scratch, 'peer-'));
	const git = (args: string[]) =>
		run('git', args, { cwd: dir, env: stackGitEnv, maxBuffer: 64 << 20 });
	await git([
		'clone',
		'--quiet',
		'--single-branch',
		'--no-tags',
		'--branch',
		'main',
		authedUrl,
		'.',
	]);
	const edit = await planEdit(dir, checkEdit(request.edit));
	for (const file of edit.files) await writeFile(join(dir, file.file), file.after);
	await git(['commit', '--quiet', '-am', request.commitMessage]);
	await git(['push', '--quiet', 'origin', 'HEAD:refs/heads/main']);
	await rm(dir, { recursive: true, force: true });
}

function stats(values: number[]): string {
	const f = (v: number) => v.toFixed(0);
	return `${f(percentile(values, 50))} | ${f(percentile(values, 90))} | ${f(Math.min(...values))} | ${values.length}`;
}

async function main(): Promise<void> {
	const fixtureStart = performance.now();
	const fixture = await ensureBigRepo(BENCH_REPO);
	const fixtureMs = performance.now() - fixtureStart;
	const server = await startGitServer({ username: 'bench', password: TOKEN });
	const scratch = await mkdtemp(join(tmpdir(), 'bench-gitops-'));
	const loadBefore = loadavg()[0];
	// What one trivial git process costs on this machine right now: the scale every figure below is made of.
	const spawn: number[] = [];
	for (let i = 0; i < 20; i++) spawn.push((await timed(() => run('git', ['--version'])))[0]);
	try {
		const url = await server.importBareRepo('fleet', fixture);
		const commitsBefore = Number(
			(
				await run('git', ['rev-list', '--count', 'main'], {
					cwd: server.repoDir('fleet'),
					env: stackGitEnv,
				})
			).stdout.trim(),
		);

		const cold: number[] = [];
		const coldModes = new Set<string>();
		for (let i = 0; i < COLD_RUNS; i++) {
			const [ms, result] = await timed(() =>
				bumpGitManifest(imageBump(url), credential, { cacheDir: join(scratch, `cold-${i}`) }),
			);
			cold.push(ms);
			coldModes.add(result.workspace);
			await rm(join(scratch, `cold-${i}`), { recursive: true, force: true });
		}

		const warmCache = join(scratch, 'warm');
		await bumpGitManifest(imageBump(url), credential, { cacheDir: warmCache });
		const warmRuns: Array<Awaited<ReturnType<typeof recordedBump>>> = [];
		for (let i = 0; i < WARM_RUNS; i++) {
			const run = await recordedBump(imageBump(url), warmCache);
			if (run.result.workspace !== 'warm' || !run.result.changed)
				throw new Error('warm bench run did not use the cache');
			warmRuns.push(run);
		}
		const warm = warmRuns.map((r) => r.ms);

		// The same, but another writer (another cache, untimed) pushes to the branch before each timed bump, as
		// in a fleet repository several pipelines write to: the fetch brings a commit, the tree is reset.
		const otherCache = join(scratch, 'other-writer');
		const movedRuns: Array<Awaited<ReturnType<typeof recordedBump>>> = [];
		for (let i = 0; i < WARM_RUNS; i++) {
			await bumpGitManifest(imageBump(url), credential, { cacheDir: otherCache });
			const run = await recordedBump(imageBump(url), warmCache);
			if (run.result.workspace !== 'warm' || !run.result.changed || run.result.attempts !== 1)
				throw new Error('moved-branch bench run did not use the cache in one attempt');
			movedRuns.push(run);
		}
		const moved = movedRuns.map((r) => r.ms);

		const peer: number[] = [];
		for (let i = 0; i < PEER_RUNS; i++)
			peer.push(
				(
					await timed(() => fullCloneBump(server.authedRepoUrl('fleet'), imageBump(url), scratch))
				)[0],
			);

		// 10 workers (10 caches, warmed first), one branch, all at once.
		const workers = Array.from({ length: 10 }, (_, i) => join(scratch, `worker-${i}`));
		await Promise.all(
			workers.map((cacheDir) => bumpGitManifest(imageBump(url), credential, { cacheDir })),
		);
		const requests = workers.map(() => imageBump(url));
		const [burstMs, burst] = await timed(() =>
			Promise.all(
				workers.map((cacheDir, i) => bumpGitManifest(requests[i], credential, { cacheDir })),
			),
		);
		let landed = 0;
		for (const [i, request] of requests.entries()) {
			const edit = request.edit as Extract<BumpRequest['edit'], { mode: 'yamlPath' }>;
			if ((await readRemoteFile(url, 'main', edit.file)).includes(`image: ${edit.value} `))
				landed++;
			if (!burst[i].commit) throw new Error(`burst bump ${i} made no commit`);
		}
		const log = await remoteLog(url);
		const fastForwardOnly = await onlyFastForwards(url);
		const attempts = burst.map((r: BumpResult) => r.attempts);
		const loadAfter = loadavg()[0];
		const sizeMiB =
			Number(
				(
					await run('du', [
						'-sk',
						join(workers[0], (await run('ls', [workers[0]])).stdout.trim(), '.git'),
					])
				).stdout.split('\t')[0],
			) / 1024;

		const p50 = (v: number[]) => percentile(v, 50);
		const markdown = [
			'## Bump Git Manifest (gitops)',
			'',
			`Repository: generated with \`git fast-import\` (test/stack/git/bigRepo.ts), ${commitsBefore.toLocaleString('en')} commits, ${(BENCH_REPO.clusters * BENCH_REPO.teams * BENCH_REPO.apps).toLocaleString('en')} files; served by \`git http-backend\` over loopback HTTP with basic auth (\`uploadpack.allowFilter=true\`). Each bump edits one Deployment's image (yamlPath mode) in a different file and pushes one commit. Times are whole \`bumpGitManifest()\` calls, in-process, ms.`,
			'',
			'| case | p50 | p90 | min | runs |',
			'| --- | --- | --- | --- | --- |',
			`| cold: shallow partial sparse clone (\`--depth 1 --filter=blob:limit=1m --sparse\`, cone of the edited folder) + edit + commit + push (${[...coldModes].join(', ')}) | ${stats(cold)} |`,
			`| warm: cached clone, fetch + edit + commit + push (a new sparse-checkout folder almost every time) | ${stats(warm)} |`,
			`| warm, branch moved by another writer since the last bump: fetch brings a commit, then reset + clean | ${stats(moved)} |`,
			`| peer: full clone per bump (\`git clone --single-branch\`) + same edit + commit + push | ${stats(peer)} |`,
			'',
			`Ratios (p50): warm is **${(p50(peer) / p50(warm)).toFixed(1)}x** faster than a full clone per bump (branch moved: ${(p50(peer) / p50(moved)).toFixed(1)}x), cold **${(p50(peer) / p50(cold)).toFixed(1)}x**. Targets: warm <= 300 ms p50 (${p50(warm) <= 300 ? 'met' : 'NOT met'}; branch moved ${p50(moved) <= 300 ? 'met' : 'NOT met'}), cold <= 1 s p50 (${p50(cold) <= 1000 ? 'met' : 'NOT met'}). Cached clone size: ${sizeMiB.toFixed(2)} MiB \`.git\`.`,
			'',
			`Where a warm bump's time goes (p50 ms per git process, wall time seen from Node): ${breakdown(warmRuns)}.`,
			`Branch moved: ${breakdown(movedRuns)}.`,
			'Server side: a fetch (protocol v2) is capabilities + ls-refs, plus a fetch request only when the branch moved; a push is ref advertisement + receive-pack. So a warm bump is 4 `git http-backend` runs, 5 when the branch moved.',
			'',
			`10 concurrent bumps of \`main\` from 10 separate caches (10 workers): **${landed}/10 landed**, ${burstMs.toFixed(0)} ms wall for all, push attempts per bump ${attempts.join(', ')} (total ${attempts.reduce((a, b) => a + b, 0)}); remote history only fast-forwards: ${fastForwardOnly ? 'yes' : 'NO'} (every ref update checked with \`merge-base --is-ancestor\` on the server reflog); ${log.length - commitsBefore} commits added in the whole run, ${log.length - commitsBefore - (COLD_RUNS + 1 + 3 * WARM_RUNS + PEER_RUNS + 20)} unaccounted.`,
			'',
			`Machine: ${process.platform} ${process.arch}, Node ${process.version}, load average ${loadBefore.toFixed(1)} before / ${loadAfter.toFixed(1)} after (2 cores shared with other jobs); one \`git --version\` process took ${percentile(spawn, 50).toFixed(1)} ms p50 in this run (every figure above is made of such processes: a fetch or a push is 3-4 of them on our side and 3 or more per request on the server). Fixture ${fixtureMs > 2000 ? `generated in ${(fixtureMs / 1000).toFixed(1)} s` : 'taken from the cache'} (~/.cache/n8n-nodes-buildkit/git-fixtures).`,
			'',
			'Reproduce: `node bench/gitops/run.js` (env BENCH_COLD_RUNS, BENCH_WARM_RUNS, BENCH_PEER_RUNS).',
		].join('\n');
		writeResultsSection('gitops', markdown);
		process.stdout.write(`${markdown}\n`);
	} finally {
		await server.stop();
		await rm(scratch, { recursive: true, force: true });
		await rm(server.root, { recursive: true, force: true });
	}
}

main().catch((error) => {
	process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
	process.exit(1);
});
