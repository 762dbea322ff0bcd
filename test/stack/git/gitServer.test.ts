import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ensureBigRepo, bigRepoFile } from './bigRepo';
import {
	createFileRepo,
	git,
	GitServer,
	onlyFastForwards,
	readRemoteFile,
	remoteLog,
	startGitServer,
} from './index';

const files = {
	'apps/web.yaml': 'image: web:1.0.0\n',
	'apps/api.yaml': 'image: api:1.0.0\n',
	'README.md': '# fleet\n',
};

async function missingObjects(clone: string): Promise<number> {
	const out = await git(['rev-list', '--objects', '--all', '--missing=print'], clone);
	return out.split('\n').filter((line) => line.startsWith('?')).length;
}

describe('stack git server (git http-backend over loopback HTTP)', () => {
	let server: GitServer;
	let work: string;
	beforeAll(async () => {
		server = await startGitServer();
		work = await mkdtemp(join(tmpdir(), 'stack-git-test-'));
	});
	afterAll(async () => {
		await server.stop();
		await rm(work, { recursive: true, force: true });
		await rm(server.root, { recursive: true, force: true });
	});

	it('serves on 127.0.0.1 from its own process', () => {
		expect(server.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
		expect(server.pid).not.toBe(process.pid);
	});

	it('clones and pushes over HTTP, and the helpers see the pushed commit', async () => {
		const url = await server.createBareRepo('fleet', files);
		const clone = join(work, 'full');
		await git(['clone', '-q', url, clone]);
		expect(await readFile(join(clone, 'apps/web.yaml'), 'utf8')).toBe('image: web:1.0.0\n');
		expect(await missingObjects(clone)).toBe(0);
		await writeFile(join(clone, 'apps/web.yaml'), 'image: web:1.1.0\n');
		await git(['commit', '-qam', 'bump web'], clone);
		await git(['push', '-q', 'origin', 'main'], clone);
		expect(await readRemoteFile(url, 'main', 'apps/web.yaml')).toBe('image: web:1.1.0\n');
		const log = await remoteLog(url, 'main');
		expect(log.map((c) => c.message)).toEqual(['bump web', 'initial']);
		expect(await onlyFastForwards(url, 'main')).toBe(true);
	});

	it('makes a partial clone when asked for a filter (blobs fetched lazily), and pushes from it', async () => {
		const url = await server.createBareRepo('partial', files);
		const clone = join(work, 'partial');
		await git(['clone', '-q', '--filter=blob:none', '--no-checkout', url, clone]);
		expect(await missingObjects(clone)).toBe(3);
		expect((await git(['config', 'remote.origin.partialclonefilter'], clone)).trim()).toBe(
			'blob:none',
		);
		await git(['checkout', '-q', 'main'], clone);
		await writeFile(join(clone, 'apps/api.yaml'), 'image: api:2.0.0\n');
		await git(['commit', '-qam', 'bump api'], clone);
		await git(['push', '-q', 'origin', 'main'], clone);
		expect(await readRemoteFile(url, 'main', 'apps/api.yaml')).toBe('image: api:2.0.0\n');
	});

	it('ignores the filter when the repo does not allow filters (a full clone)', async () => {
		const url = await server.createBareRepo('nofilter', files, { allowFilter: false });
		const clone = join(work, 'nofilter');
		await git(['clone', '-q', '--filter=blob:none', url, clone]);
		expect(await missingObjects(clone)).toBe(0);
	});

	it('records a force-push so tests can detect one', async () => {
		const url = await server.createBareRepo('forced', files);
		const clone = join(work, 'forced');
		await git(['clone', '-q', url, clone]);
		await writeFile(join(clone, 'README.md'), 'one\n');
		await git(['commit', '-qam', 'one'], clone);
		await git(['push', '-q', 'origin', 'main'], clone);
		expect(await onlyFastForwards(url)).toBe(true);
		await git(['reset', '-q', '--hard', 'HEAD~1'], clone);
		await writeFile(join(clone, 'README.md'), 'two\n');
		await git(['commit', '-qam', 'two'], clone);
		await git(['push', '-q', '--force', 'origin', 'main'], clone);
		expect(await onlyFastForwards(url)).toBe(false);
	});

	it('serves file:// repos without the server', async () => {
		const repo = await createFileRepo(files);
		const clone = join(work, 'file');
		await git(['clone', '-q', '--filter=blob:none', repo.url, clone]);
		expect(await readFile(join(clone, 'README.md'), 'utf8')).toBe('# fleet\n');
		expect(await readRemoteFile(repo.url, 'main', 'apps/web.yaml')).toBe('image: web:1.0.0\n');
		await rm(dirname(repo.dir), { recursive: true, force: true });
	});

	it('generates a fast-import fixture repo of the requested shape, once', async () => {
		const shape = { commits: 40, clusters: 2, teams: 2, apps: 3 };
		const dir = await ensureBigRepo(shape);
		expect(await ensureBigRepo(shape)).toBe(dir);
		expect((await git(['rev-list', '--count', 'main'], dir)).trim()).toBe('40');
		expect(
			(await git(['ls-tree', '-r', '--name-only', 'main'], dir)).trim().split('\n'),
		).toHaveLength(12);
		const url = await server.importBareRepo('small-big', dir);
		expect(await readRemoteFile(url, 'main', bigRepoFile(1, 1, 2))).toMatch(
			/image: registry\.local\/team-1\/app-2:1\.0\.\d+ # \{"\$imagepolicy"/,
		);
	});
});

describe('stack git server with basic auth', () => {
	let server: GitServer;
	let work: string;
	beforeAll(async () => {
		server = await startGitServer({ username: 'flux', password: 's3cret-token' });
		work = await mkdtemp(join(tmpdir(), 'stack-git-auth-'));
		await server.createBareRepo('private', files);
	});
	afterAll(async () => {
		await server.stop();
		await rm(work, { recursive: true, force: true });
		await rm(server.root, { recursive: true, force: true });
	});

	it('refuses a clone without credentials', async () => {
		await expect(
			git(['clone', '-q', server.repoUrl('private'), join(work, 'anon')]),
		).rejects.toThrow(/Authentication failed|could not read Username|401/);
	});

	it('refuses wrong credentials', async () => {
		const wrong = server.repoUrl('private').replace('http://', 'http://flux:wrong@');
		await expect(git(['clone', '-q', wrong, join(work, 'wrong')])).rejects.toThrow(
			/Authentication failed|401/,
		);
	});

	it('clones and pushes with the right credentials', async () => {
		const clone = join(work, 'ok');
		await git(['clone', '-q', server.authedRepoUrl('private'), clone]);
		await writeFile(join(clone, 'apps/web.yaml'), 'image: web:9.9.9\n');
		await git(['commit', '-qam', 'bump'], clone);
		await git(['push', '-q', 'origin', 'main'], clone);
		expect(await readRemoteFile(server.repoUrl('private'), 'main', 'apps/web.yaml')).toBe(
			'image: web:9.9.9\n',
		);
	});
});
