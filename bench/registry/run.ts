import { execFile } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import {
	closeRegistryConnections,
	listTags,
	queryRegistryTags,
	RegistryClient,
} from '../../lib/registry';
import {
	pushTags,
	pushTestImage,
	startRegistry,
	startRegistryDouble,
} from '../../test/stack/registry';
import { percentile, writeResultsSection } from '../results';

/**
 * Query Registry Tags benchmark: on the real registry (distribution 2.8) with 100 / 1,000 /
 * 10,000 tags, the node's list + semver selection in-process against `skopeo list-tags | jq | sort -V` as a
 * whole process, side by side in one run; and request counts on the paginating registry double.
 * Run: bash bench/registry/run.sh   (env RUNS=21 SKOPEO_RUNS=7 SIZES=100,1000,10000)
 */

const run = promisify(execFile);
const SIZES = (process.env.SIZES ?? '100,1000,10000').split(',').map(Number);
const RUNS = Number(process.env.RUNS ?? 21);
const SKOPEO_RUNS = Number(process.env.SKOPEO_RUNS ?? 7);
const RANGE = '>=1.0.0 <50.0.0';

/** Realistic tag soup: semver releases, prereleases, branch builds and signature tags. */
function tagSet(count: number): string[] {
	const tags: string[] = [];
	for (let i = 0; tags.length < count; i++) {
		const kind = i % 10;
		const version = `${i % 40}.${Math.floor(i / 40) % 50}.${Math.floor(i / 2000)}`;
		if (kind < 6) tags.push(version);
		else if (kind === 6) tags.push(`${version}-rc.${i % 7}`);
		else if (kind === 7)
			tags.push(`main-${((i * 2654435761) >>> 0).toString(16).padStart(8, '0')}-${1700000000 + i}`);
		else if (kind === 8) tags.push(`sha256-${((i * 40503) >>> 0).toString(16)}.sig`);
		else tags.push(`v${version}`);
	}
	return [...new Set(tags)].slice(0, count);
}

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
	const start = performance.now();
	await fn();
	return performance.now() - start;
}

const skopeoRuns = () => Math.ceil(RUNS / Math.ceil(RUNS / SKOPEO_RUNS));
const ms = (v: number) => (v < 10 ? v.toFixed(2) : v.toFixed(1));

async function main(): Promise<void> {
	const registry = await startRegistry();
	const rows: string[] = [];
	const doubleRows: string[] = [];
	const load: number[] = [];
	try {
		for (const size of SIZES) {
			const repo = `bench/app${size}`;
			const seedStart = performance.now();
			await pushTestImage({ registry: registry.host, repository: repo, tags: ['1.0.0'] });
			await pushTags({
				registry: registry.host,
				repository: repo,
				fromTag: '1.0.0',
				tags: tagSet(size - 1).filter((t) => t !== '1.0.0'),
			});
			const seedMs = performance.now() - seedStart;
			const repository = `http://${registry.host}/${repo}`;
			const query = () =>
				queryRegistryTags({
					repository,
					policy: 'semver',
					semverRange: RANGE,
					exclude: ['^.*\\.sig$'],
				});

			const first = await query();
			const cold = await timeIt(query);
			// Whole process, as a workflow step without this node would run it.
			const skopeoCmd = `skopeo list-tags --tls-verify=false docker://${registry.host}/${repo} | jq -r '.Tags[]' | grep -E '^v?[0-9]+\\.[0-9]+\\.[0-9]+$' | sort -V | tail -1`;
			let skopeoAnswer = '';
			const node: number[] = [];
			const listOnly: number[] = [];
			const skopeo: number[] = [];
			// Interleaved, so that load from other jobs on the shared machine falls on both sides alike.
			for (let i = 0; i < RUNS; i++) {
				node.push(await timeIt(query));
				listOnly.push(
					await timeIt(() =>
						listTags(new RegistryClient({ registry: registry.host, plainHttp: true }), repo),
					),
				);
				if (i % Math.ceil(RUNS / SKOPEO_RUNS) === 0) {
					skopeo.push(
						await timeIt(async () => {
							skopeoAnswer = (await run('sh', ['-c', skopeoCmd])).stdout.trim();
						}),
					);
				}
				load.push(loadavg()[0]);
			}
			const nodeP50 = percentile(node, 50);
			const skopeoP50 = percentile(skopeo, 50);
			rows.push(
				`| ${size.toLocaleString('en')} | ${first.latestTag} / ${skopeoAnswer} | ${first.requests} | ${ms(cold)} | **${ms(nodeP50)}** (p90 ${ms(percentile(node, 90))}) | ${ms(percentile(listOnly, 50))} | ${ms(skopeoP50)} | **${(skopeoP50 / nodeP50).toFixed(1)}×** | ${(seedMs / 1000).toFixed(1)} s |`,
			);
			process.stderr.write(
				`real ${size}: node p50 ${ms(nodeP50)} ms, skopeo p50 ${ms(skopeoP50)} ms\n`,
			);
		}

		for (const size of SIZES) {
			for (const pageLimit of [1000, 100]) {
				const tags = tagSet(size);
				const double = await startRegistryDouble({ tags, pageLimit, defaultPageSize: pageLimit });
				try {
					const result = await queryRegistryTags({
						repository: `http://${double.host}/app`,
						policy: 'semver',
						semverRange: RANGE,
						maxPages: 1000,
					});
					const nodeLists = double.requests.filter((r) => r.path.endsWith('/tags/list')).length;
					const before = double.requests.length;
					await run('skopeo', ['list-tags', '--tls-verify=false', `docker://${double.host}/app`], {
						maxBuffer: 64 << 20,
					});
					const skopeoRequests = double.requests.slice(before);
					const skopeoLists = skopeoRequests.filter((r) => r.path.endsWith('/tags/list')).length;
					const expected = Math.ceil(size / pageLimit);
					doubleRows.push(
						`| ${size.toLocaleString('en')} | ${pageLimit} | ${expected} | ${nodeLists}${nodeLists === expected ? ' ✓' : ' ✗'} | ${result.requests} | ${skopeoLists} (${skopeoRequests.length} in all) |`,
					);
				} finally {
					await double.stop();
				}
			}
		}
	} finally {
		await closeRegistryConnections();
		await registry.stop();
	}

	const { stdout: skopeoVersion } = await run('skopeo', ['--version']);
	const { stdout: registryVersion } = await run('dpkg-query', [
		'-W',
		'-f=${Version}',
		'docker-registry',
	]).catch(() => ({ stdout: '?' }));
	writeResultsSection(
		'registry',
		[
			'## Query Registry Tags',
			'',
			`Reproduce: \`bash bench/registry/run.sh\` (env \`SIZES\`, \`RUNS\`, \`SKOPEO_RUNS\`). Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} cores,`,
			`load average ${Math.min(...load).toFixed(1)}–${Math.max(...load).toFixed(1)} during the runs (the machine is shared with other jobs); Node ${process.version}, ${skopeoVersion.trim()},`,
			`docker-registry ${registryVersion} (distribution 2.8: one response holds every tag, unsorted).`,
			'',
			`**Real registry, list + semver selection** (range \`${RANGE}\`, \`.sig\` excluded; tags: 60 % releases, rc prereleases, \`v\`-prefixed,`,
			'branch builds, signature tags). Node: `queryRegistryTags` in-process with warm keep-alive connections, as inside an n8n worker,',
			`p50 of ${RUNS} runs. skopeo: \`skopeo list-tags | jq | grep | sort -V | tail -1\`, whole process, p50 of ${skopeoRuns()} runs interleaved with the node runs, same registry.`,
			'',
			'| tags | selected (node / skopeo) | node requests | node first call ms | node p50 ms | list only p50 ms | skopeo p50 ms | skopeo / node | seeding |',
			'| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
			...rows,
			'',
			'(skopeo + `sort -V` is not Flux semver: it cannot apply a range or exclude prereleases by rule, and it sorts `v1.2.3` apart from `1.2.3`;',
			"the column is there for time, the node's answer follows the Masterminds/Flux rules.)",
			'',
			'**Requests on the paginating registry double** (spec-style `Link` pagination, at most `page` tags per response; node sends `n=1000`,',
			'skopeo sends no `n`):',
			'',
			'| tags | page limit | ceil(N/1000) or ceil(N/page) | node tag-list requests | node requests in all | skopeo tag-list requests |',
			'| --- | --- | --- | --- | --- | --- |',
			...doubleRows,
		].join('\n'),
	);
	process.stderr.write('written to bench/RESULTS.md (section registry)\n');
}

main().catch((error) => {
	process.stderr.write(`${error.stack ?? error}\n`);
	process.exit(1);
});
