import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bumpGitManifest, type GitCredential } from '../../../lib/gitops';
import { InputError } from '../../../lib/errors';
import { revertGitManifest } from '../../../lib/gitops/revert';
import { pushFiles } from '../../stack/k8s/gitopsRepo';
import {
	onlyFastForwards,
	readRemoteFile,
	remoteLog,
	startGitServer,
	type GitServer,
} from '../../stack/git';

// Bump Git Manifest's revert operation over the stack's git HTTP server: only its own bumps, exactly one revert
// commit, a no-op the second time, never a force-push, and a concurrent push answered by the retry loop.
jest.setTimeout(120_000);

const TOKEN = 'tok-revert-5b4a';
const credential: GitCredential = {
	authentication: 'https',
	username: 'flux',
	token: TOKEN,
	authorName: 'Bump Bot',
	authorEmail: 'bump@127.0.0.1',
};
const FILE = 'apps/web.yaml';
const manifest = (tag: string) =>
	`apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: reg.local/web:${tag} # {"$imagepolicy": "flux-system:web"}\n`;

let server: GitServer;
let scratch: string;
let n = 0;
const cache = () => join(scratch, `cache-${n++}`);

beforeAll(async () => {
	server = await startGitServer({ username: 'flux', password: TOKEN });
	scratch = await mkdtemp(join(tmpdir(), 'gitops-revert-'));
});
afterAll(async () => {
	await server.stop();
	await rm(scratch, { recursive: true, force: true });
});

async function bumped(name: string, cacheDir: string) {
	const url = await server.createBareRepo(name, {
		[FILE]: manifest('1.0.0'),
		'README.md': '# gitops\n',
	});
	const bump = await bumpGitManifest(
		{
			repositoryUrl: url,
			branch: 'main',
			allowPlainHttp: true,
			edit: {
				mode: 'imagePolicyMarkers',
				path: 'apps',
				policies: { 'flux-system:web': 'reg.local/web:2.0.0' },
			},
			commitMessage: 'Deploy web 2.0.0',
		},
		credential,
		{ cacheDir },
	);
	return { url, bump };
}

test('reverts its own bump with one commit that says why, then is a no-op', async () => {
	const cacheDir = cache();
	const { url, bump } = await bumped('own', cacheDir);
	expect((await remoteLog(url))[0].message).toContain('Bumped-by: n8n-nodes-buildkit');
	const result = await revertGitManifest(
		{
			repositoryUrl: url,
			branch: 'main',
			allowPlainHttp: true,
			commit: bump.commit!,
			reason: 'Rollout failed: CrashLoopBackOff',
		},
		credential,
		{ cacheDir },
	);
	expect(result).toMatchObject({
		operation: 'revert',
		changed: true,
		reverted: bump.commit,
		alreadyReverted: false,
		files: [FILE],
		attempts: 1,
	});
	expect(await readRemoteFile(url, 'main', FILE)).toBe(manifest('1.0.0'));
	const log = await remoteLog(url);
	expect(log.length).toBe(3);
	expect(log[0]).toMatchObject({ sha: result.commit, parents: [bump.commit] });
	expect(log[0].message).toBe(
		`Revert "Deploy web 2.0.0"\n\nRollout failed: CrashLoopBackOff\n\nThis reverts commit ${bump.commit}.\n\nBumped-by: n8n-nodes-buildkit`,
	);

	// Again, and from a cold cache: nothing to do, and it names the revert that did it.
	const again = await revertGitManifest(
		{ repositoryUrl: url, branch: 'main', allowPlainHttp: true, commit: bump.commit! },
		credential,
		{ cacheDir: cache() },
	);
	expect(again).toMatchObject({ changed: false, alreadyReverted: true, commit: result.commit });
	expect((await remoteLog(url)).length).toBe(3);
	expect(await onlyFastForwards(url)).toBe(true);
});

test('refuses a commit it did not make, and one not on the branch', async () => {
	const { url } = await bumped('foreign', cache());
	const human = await pushFiles(
		server,
		'foreign',
		{ 'README.md': '# changed by a human\n' },
		'docs',
	);
	const refused = await revertGitManifest(
		{ repositoryUrl: url, branch: 'main', allowPlainHttp: true, commit: human },
		credential,
		{ cacheDir: cache() },
	).catch((e) => e);
	expect(refused).toBeInstanceOf(InputError);
	expect(refused).toMatchObject({ field: 'revertCommit' });
	expect(refused.message).toMatch(
		/was not made by Bump Git Manifest \(no "Bumped-by: n8n-nodes-buildkit" trailer\)/,
	);
	const missing = await revertGitManifest(
		{
			repositoryUrl: url,
			branch: 'main',
			allowPlainHttp: true,
			commit: 'deadbeefdeadbeefdeadbeefdeadbeefdeadbeef',
		},
		credential,
		{ cacheDir: cache() },
	).catch((e) => e);
	expect(missing.message).toMatch(/is not on branch "main"/);
	const bad = await revertGitManifest(
		{ repositoryUrl: url, branch: 'main', allowPlainHttp: true, commit: 'main; rm -rf /' },
		credential,
		{ cacheDir: cache() },
	).catch((e) => e);
	expect(bad).toMatchObject({ field: 'revertCommit' });
	expect((await remoteLog(url)).length).toBe(3);
});

test('refuses a bump that a newer bump changed again, pushing nothing', async () => {
	const cacheDir = cache();
	const { url, bump } = await bumped('superseded', cacheDir);
	await bumpGitManifest(
		{
			repositoryUrl: url,
			branch: 'main',
			allowPlainHttp: true,
			edit: {
				mode: 'imagePolicyMarkers',
				path: 'apps',
				policies: { 'flux-system:web': 'reg.local/web:3.0.0' },
			},
			commitMessage: 'Deploy web 3.0.0',
		},
		credential,
		{ cacheDir },
	);
	const before = await remoteLog(url);
	const refused = await revertGitManifest(
		{ repositoryUrl: url, branch: 'main', allowPlainHttp: true, commit: bump.commit! },
		credential,
		{ cacheDir },
	).catch((e) => e);
	expect(refused.message).toMatch(
		/cannot be reverted cleanly: later commits changed apps\/web.yaml again/,
	);
	expect(await remoteLog(url)).toEqual(before);
	// The cache is left clean: the next operation works.
	const next = await bumpGitManifest(
		{
			repositoryUrl: url,
			branch: 'main',
			allowPlainHttp: true,
			edit: {
				mode: 'imagePolicyMarkers',
				path: 'apps',
				policies: { 'flux-system:web': 'reg.local/web:4.0.0' },
			},
			commitMessage: 'Deploy web 4.0.0',
		},
		credential,
		{ cacheDir },
	);
	expect(next.changed).toBe(true);
});

test('a commit another writer pushed after the bump is kept: the revert is made on the current tip, never forced', async () => {
	const cacheDir = cache();
	const { url, bump } = await bumped('race', cacheDir);
	// Another writer pushes an unrelated commit the cached clone has not seen.
	await pushFiles(server, 'race', { 'README.md': '# someone else\n' }, 'unrelated');
	const result = await revertGitManifest(
		{
			repositoryUrl: url,
			branch: 'main',
			allowPlainHttp: true,
			commit: bump.commit!,
			reason: 'failed',
		},
		credential,
		{ cacheDir },
	);
	expect(result.changed).toBe(true);
	expect(await readRemoteFile(url, 'main', FILE)).toBe(manifest('1.0.0'));
	expect(await readRemoteFile(url, 'main', 'README.md')).toBe('# someone else\n');
	expect(await onlyFastForwards(url)).toBe(true);
});
