import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startRegistry } from '../../test/stack/registry';
import {
	buildkitBinDir,
	jobContainers,
	launcherDir,
	runBuildStep,
	runGitClone,
} from '../../test/integration/jobPodSteps';
import { writeResultsSection } from '../results';

/**
 * Issue 16 item 5. The Job's two containers (git-clone, then the privileged build step) run for real on this
 * machine with BuildKit v0.24, each build with a fresh buildkitd state dir, as every build pod starts: the only
 * cache a build can hit is the registry cache (`type=registry`) the previous build exported. The app is the
 * demo's kind: a multi-stage Dockerfile on a busybox base image in the local registry, a build arg and a RUN step.
 * Run: bash bench/buildkit/run.sh   (env RUNS=3)
 */

const RUNS = Number(process.env.RUNS ?? 3);
const binDir = buildkitBinDir();
if (!binDir || process.getuid?.() !== 0)
	throw new Error(
		'bench/buildkit needs root and BuildKit v0.24 (BUILDKIT_BIN_DIR or scripts/ensure-buildkit.sh)',
	);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (s: number) => `${s.toFixed(2)} s`;

function git(args: string[], cwd: string, env: Record<string, string> = {}): string {
	return execFileSync('git', args, {
		cwd,
		encoding: 'utf8',
		env: {
			...process.env,
			GIT_CONFIG_GLOBAL: '/dev/null',
			GIT_AUTHOR_NAME: 'b',
			GIT_AUTHOR_EMAIL: 'b@127.0.0.1',
			GIT_COMMITTER_NAME: 'b',
			GIT_COMMITTER_EMAIL: 'b@127.0.0.1',
			...env,
		},
	}).trim();
}

async function main(): Promise<void> {
	const root = mkdtempSync(join(tmpdir(), 'bench-buildkit-'));
	const registry = await startRegistry();
	const launcher = launcherDir();
	try {
		// The base image (static busybox FROM scratch), built and pushed by the same BuildKit.
		const base = join(root, 'base');
		mkdirSync(base);
		writeFileSync(
			join(base, 'Dockerfile'),
			'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n',
		);
		copyFileSync('/bin/busybox', join(base, 'busybox'));
		const baseRef = `${registry.host}/base/busybox:1`;
		execFileSync(
			join(launcher, 'buildctl-daemonless.sh'),
			[
				'build',
				'--frontend=dockerfile.v0',
				'--local',
				`context=${base}`,
				'--local',
				`dockerfile=${base}`,
				'--output',
				`type=image,name=${baseRef},push=true,registry.insecure=true`,
			],
			{
				env: { ...process.env, PATH: `${binDir}:${process.env.PATH}` },
				stdio: 'ignore',
			},
		);

		// The app repository, one commit at a fixed time.
		const work = join(root, 'app');
		mkdirSync(join(work, 'app'), { recursive: true });
		writeFileSync(
			join(work, 'Dockerfile'),
			`ARG BASE_IMAGE=${baseRef}\nFROM \${BASE_IMAGE} AS build\nARG GREETING="hello from webapp"\nWORKDIR /src\nCOPY app/ ./\n` +
				'RUN mkdir -p /out && sed "s/@GREETING@/${GREETING}/" main.sh > /out/app && chmod 755 /out/app && /out/app > /out/selftest.txt\n\n' +
				'FROM ${BASE_IMAGE} AS app\nCOPY --from=build /out/app /usr/local/bin/app\nCOPY --from=build /out/selftest.txt /usr/share/webapp/selftest.txt\nCMD ["/usr/local/bin/app"]\n',
		);
		writeFileSync(join(work, 'app/main.sh'), '#!/bin/sh\necho "@GREETING@"\n');
		git(['init', '-q', '-b', 'main'], work);
		git(['add', '-A'], work);
		git(['commit', '-q', '-m', 'app'], work, {
			GIT_AUTHOR_DATE: '2025-11-20T10:00:00Z',
			GIT_COMMITTER_DATE: '2025-11-20T10:00:00Z',
		});
		const commit = git(['rev-parse', 'HEAD'], work);
		const commitTime = git(['show', '-s', '--format=%ct', 'HEAD'], work);
		const bare = join(root, 'app.git');
		git(['clone', '-q', '--bare', work, bare], root);

		const input = (tag: string, extra: object = {}) => ({
			appName: 'webapp',
			gitRepositoryUrl: 'https://git.example.com/org/webapp.git',
			gitRevision: commit,
			image: `${registry.host}/webapp/app:${tag}`,
			insecureRegistry: true,
			attestations: ['provenance' as const],
			buildArgs: [{ name: 'GREETING', value: 'hi' }],
			...extra,
		});
		async function job(tag: string, extra: object = {}) {
			const { gitClone, buildkit } = jobContainers(input(tag, extra));
			const cloned = await runGitClone(gitClone, { GIT_URL: `file://${bare}` });
			if (cloned.code !== 0) throw new Error(`git-clone failed: ${cloned.log}`);
			const built = await runBuildStep(buildkit, {
				workspace: cloned.workspace,
				binDir: binDir!,
				launcher,
			});
			rmSync(cloned.root, { recursive: true, force: true });
			if (built.code !== 0)
				throw new Error(`build failed: ${built.message}\n${built.log.slice(-2000)}`);
			const steps = built.log.split('\n').filter((l) => /^#\d+ \[/.test(l));
			const cached = new Set(
				built.log
					.split('\n')
					.filter((l) => /^#\d+ CACHED$/.test(l))
					.map((l) => l.split(' ')[0]),
			);
			const stepIds = new Set(steps.map((l) => l.split(' ')[0]));
			return {
				total: cloned.seconds + built.seconds,
				clone: cloned.seconds,
				build: built.seconds,
				result: JSON.parse(built.message),
				cachedSteps: [...stepIds].filter((id) => cached.has(id)).length,
				steps: stepIds.size,
			};
		}
		async function imageDigest(indexDigest: string): Promise<string> {
			const res = await request(`${registry.url}/v2/webapp/app/manifests/${indexDigest}`, {
				headers: { accept: 'application/vnd.oci.image.index.v1+json' },
			});
			const index = (await res.body.json()) as {
				manifests: Array<{ digest: string; annotations?: Record<string, string> }>;
			};
			return index.manifests.find(
				(m) => m.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest',
			)!.digest;
		}

		const cold: number[] = [];
		const warm: number[] = [];
		let cache = { cold: '', warm: '' };
		for (let i = 0; i < RUNS; i++) {
			// A cache ref of its own per round: the cold build finds none, the warm rebuild of the same commit finds the cold one's.
			const cacheRef = `${registry.host}/webapp/app:buildcache-${i}`;
			const c = await job(`cold-${i}`, { cacheRef });
			const w = await job(`warm-${i}`, { cacheRef });
			cold.push(c.total);
			warm.push(w.total);
			cache = { cold: `${c.cachedSteps}/${c.steps}`, warm: `${w.cachedSteps}/${w.steps}` };
			process.stdout.write(
				`round ${i + 1}: cold ${fmt(c.total)} (build ${fmt(c.build)}, cache ${c.result.cache}), warm ${fmt(w.total)} (build ${fmt(w.build)}, ${w.cachedSteps}/${w.steps} steps CACHED)\n`,
			);
		}

		// Reproducibility: two builds of one commit, fresh state, no cache, with and without SOURCE_DATE_EPOCH.
		const repro: string[] = [];
		for (const [label, reproducible] of [
			['default', false],
			[
				`Reproducible Image on: SOURCE_DATE_EPOCH=${commitTime} (commit time) + rewrite-timestamp=true`,
				true,
			],
		] as const) {
			const a = await job('repro-a', { cacheMode: 'disabled', reproducible });
			const b = await job('repro-b', { cacheMode: 'disabled', reproducible });
			const [ia, ib] = [await imageDigest(a.result.digest), await imageDigest(b.result.digest)];
			repro.push(
				`| ${label} | ${ia === ib ? 'same' : 'different'} (${ia.slice(7, 19)} / ${ib.slice(7, 19)}) | ${a.result.digest === b.result.digest ? 'same' : 'different'} (${a.result.digest.slice(7, 19)} / ${b.result.digest.slice(7, 19)}) |`,
			);
			process.stdout.write(`${repro[repro.length - 1]}\n`);
		}

		writeResultsSection(
			'buildkit',
			[
				'## Real BuildKit build of the demo app (issue 16 item 5)',
				'',
				`\`bash bench/buildkit/run.sh\` (RUNS=${RUNS}), BuildKit ${execFileSync(join(binDir!, 'buildctl'), ['--version'], { encoding: 'utf8' }).trim().split(' ').pop()}, ${cpus().length} cores shared with other work (load ${loadavg()[0].toFixed(1)} at the end). Each build is the Job's own git-clone and build containers (exact command, args, env; privileged, as root), each with a fresh buildkitd state dir as a new build pod has, pushing to the stack's docker-registry on 127.0.0.1. The app: a multi-stage Dockerfile on a busybox base image from the local registry, a build arg, a RUN step, SLSA v1 provenance, registry cache mode=max.`,
				'',
				'| build of one commit | median (s) | runs | steps CACHED |',
				'| --- | --- | --- | --- |',
				`| cold (no registry cache) | ${median(cold).toFixed(2)} | ${cold.map((s) => s.toFixed(2)).join(', ')} | ${cache.cold} |`,
				`| warm rebuild, same commit (cache from the registry) | ${median(warm).toFixed(2)} | ${warm.map((s) => s.toFixed(2)).join(', ')} | ${cache.warm} |`,
				'',
				`Warm / cold: ${(median(warm) / median(cold)).toFixed(2)}. Both include starting buildkitd (a Job pays that every time) and git-clone.`,
				'',
				'Two builds of one commit (fresh state, no cache), digests of the image manifest and of the pushed index (image + provenance):',
				'',
				'| settings | image manifest | index |',
				'| --- | --- | --- |',
				...repro,
			].join('\n'),
		);
	} finally {
		await registry.stop();
		rmSync(root, { recursive: true, force: true });
		rmSync(launcher, { recursive: true, force: true });
	}
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
