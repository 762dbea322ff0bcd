import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { git } from './index';

export interface BigRepoShape {
	commits: number;
	clusters: number;
	teams: number;
	apps: number;
}

/** The Bump Git Manifest benchmark repo: 20,000 commits, 5,000 Deployment files. */
export const BENCH_REPO: BigRepoShape = { commits: 20_000, clusters: 10, teams: 20, apps: 25 };

export function bigRepoFile(cluster: number, team: number, app: number): string {
	return `clusters/c${cluster}/team-${team}/app-${app}.yaml`;
}

function deployment(team: number, app: number, version: string): string {
	return [
		'apiVersion: apps/v1',
		'kind: Deployment',
		'metadata:',
		`  name: app-${app}`,
		`  namespace: team-${team}`,
		'spec:',
		'  replicas: 2',
		'  template:',
		'    spec:',
		'      containers:',
		'        - name: app',
		`          image: registry.local/team-${team}/app-${app}:${version} # {"$imagepolicy": "flux-system:team-${team}-app-${app}"}`,
		'',
	].join('\n');
}

/** A `git fast-import` stream: commit 1 adds every file, each later commit bumps one file's tag. */
function fastImportStream(shape: BigRepoShape): string {
	const files: Array<[number, number, number]> = [];
	for (let c = 0; c < shape.clusters; c++)
		for (let t = 0; t < shape.teams; t++)
			for (let a = 0; a < shape.apps; a++) files.push([c, t, a]);
	const parts: string[] = [];
	const blob = (path: string, content: string) =>
		`M 100644 inline ${path}\ndata ${Buffer.byteLength(content)}\n${content}\n`;
	const commit = (n: number, message: string, body: string) => {
		const when = 1_700_000_000 + n * 60;
		parts.push(
			`commit refs/heads/main\nmark :${n}\ncommitter fixture <fixture@127.0.0.1> ${when} +0000\ndata ${Buffer.byteLength(message)}\n${message}\n` +
				(n > 1 ? `from :${n - 1}\n` : '') +
				body,
		);
	};
	commit(
		1,
		'initial: all apps',
		files.map(([c, t, a]) => blob(bigRepoFile(c, t, a), deployment(t, a, '1.0.0'))).join(''),
	);
	for (let n = 2; n <= shape.commits; n++) {
		const [c, t, a] = files[(n * 7919) % files.length];
		commit(
			n,
			`bump app-${a} in c${c}/team-${t} to 1.0.${n}`,
			blob(bigRepoFile(c, t, a), deployment(t, a, `1.0.${n}`)),
		);
	}
	return parts.join('') + 'done\n';
}

export function fixtureCacheDir(): string {
	return join(homedir(), '.cache', 'n8n-nodes-buildkit', 'git-fixtures');
}

/**
 * Returns the bare repo for `shape`, generating it once per machine (cached under ~/.cache/n8n-nodes-buildkit)
 * with `git fast-import`. Treat the result as read-only: serve a copy (GitServer.importBareRepo).
 */
export async function ensureBigRepo(shape: BigRepoShape = BENCH_REPO): Promise<string> {
	const name = `big-${shape.commits}c-${shape.clusters * shape.teams * shape.apps}f.git`;
	const dir = join(fixtureCacheDir(), name);
	if (existsSync(join(dir, 'fixture-complete'))) return dir;
	await mkdir(fixtureCacheDir(), { recursive: true });
	const building = `${dir}.building-${process.pid}`;
	await rm(building, { recursive: true, force: true });
	await git(['init', '-q', '--bare', '-b', 'main', building]);
	await git(['fast-import', '--quiet', '--done'], building, fastImportStream(shape));
	await git(['repack', '-a', '-d', '-q'], building);
	await git(['gc', '--prune=now', '-q'], building);
	await writeFile(join(building, 'fixture-complete'), JSON.stringify(shape));
	await rm(dir, { recursive: true, force: true });
	await rename(building, dir);
	return dir;
}
