import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
	bumpGitManifest,
	checkGitAccess,
	type BumpRequest,
	type GitCredential,
} from '../../../lib/gitops';
import { EngineError, RemoteError } from '../../../lib/errors';
import {
	bareRepoDir,
	git,
	GitServer,
	onlyFastForwards,
	readRemoteFile,
	remoteLog,
	startGitServer,
	createFileRepo,
} from '../../stack/git';

const TOKEN = 'tok-9f8e7d6c5b4a';
const credential: GitCredential = {
	authentication: 'https',
	username: 'flux',
	token: TOKEN,
	authorName: 'Bump Bot',
	authorEmail: 'bump@127.0.0.1',
};

const deployment = (app: string, tag: string) =>
	`apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${app}\nspec:\n  template:\n    spec:\n      containers:\n        - name: ${app}\n          image: reg.local/${app}:${tag} # {"$imagepolicy": "flux-system:${app}"}\n`;

const APPS = Array.from({ length: 10 }, (_, i) => `app-${i}`);
const sharedFile = `# all tags in one file\n${APPS.map((app) => `${app}: "1.0.0"`).join('\n')}\n`;

const FLEET: Record<string, string> = {
	...Object.fromEntries(APPS.map((app) => [`apps/${app}.yaml`, deployment(app, '1.0.0')])),
	'apps/shared.yaml': sharedFile,
	'kpack/image.yaml':
		'apiVersion: kpack.io/v1alpha2\nkind: Image\nmetadata:\n  name: webapp\nspec:\n  source:\n    git:\n      url: https://git.local/webapp.git\n      revision: main\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n',
	'charts/webapp/Chart.yaml': 'apiVersion: v2\nname: webapp\nversion: 0.3.9\n',
	'charts/webapp/values.yaml': 'image:\n  repository: reg.local/webapp\n  tag: "1.9"\n',
	'crlf/cm.yaml':
		'\uFEFFapiVersion: v1\r\nkind: ConfigMap\r\ndata:\r\n  tag: v1 # {"$imagepolicy": "flux-system:crlf:tag"}\r\n  keep: "yes"\r\n',
};

// Real git over HTTP on a shared 2-core machine: generous per-test time, no timed assertions.
jest.setTimeout(120_000);

describe('Bump Git Manifest over the stack git HTTP server (basic auth)', () => {
	let server: GitServer;
	let scratch: string;
	let cacheCount = 0;
	const freshCache = () => join(scratch, `cache-${cacheCount++}`);

	beforeAll(async () => {
		server = await startGitServer({ username: 'flux', password: TOKEN });
		scratch = await mkdtemp(join(tmpdir(), 'gitops-int-'));
	});
	afterAll(async () => {
		await server.stop();
		await rm(scratch, { recursive: true, force: true });
		await rm(server.root, { recursive: true, force: true });
	});

	let repoCount = 0;
	async function fleet(opts?: { allowFilter?: boolean }): Promise<string> {
		return server.createBareRepo(`fleet-${repoCount++}`, FLEET, opts);
	}
	const request = (
		url: string,
		edit: BumpRequest['edit'],
		extra: Partial<BumpRequest> = {},
	): BumpRequest => ({
		repositoryUrl: url,
		branch: 'main',
		edit,
		commitMessage: 'bump',
		allowPlainHttp: true,
		...extra,
	});

	it('10 concurrent bumps of different files from 10 separate caches (10 workers) all land, no force-push', async () => {
		const url = await fleet();
		const results = await Promise.all(
			APPS.map((app, i) =>
				bumpGitManifest(
					request(
						url,
						{
							mode: 'imagePolicyMarkers',
							path: 'apps',
							policies: { [`flux-system:${app}`]: `reg.local/${app}:2.0.${i}` },
						},
						{ commitMessage: `bump ${app}`, maxAttempts: 30 },
					),
					credential,
					{
						cacheDir: freshCache(),
					},
				),
			),
		);
		for (const [i, app] of APPS.entries())
			expect(await readRemoteFile(url, 'main', `apps/${app}.yaml`)).toBe(
				deployment(app, `2.0.${i}`),
			);
		const log = await remoteLog(url);
		expect(log).toHaveLength(11);
		expect(new Set(results.map((r) => r.commit))).toEqual(
			new Set(log.slice(0, 10).map((c) => c.sha)),
		);
		expect(log.every((c) => c.parents.length <= 1)).toBe(true);
		expect(await onlyFastForwards(url)).toBe(true);
		expect(results.some((r) => r.attempts > 1)).toBe(true); // the retry loop really ran
	});

	it('10 concurrent bumps of adjacent lines of the same file all land (reset + re-apply, not rebase)', async () => {
		const url = await fleet();
		const results = await Promise.all(
			APPS.map((app, i) =>
				bumpGitManifest(
					request(
						url,
						{ mode: 'yamlPath', file: 'apps/shared.yaml', yamlPath: app, value: `3.0.${i}` },
						{ maxAttempts: 30 },
					),
					credential,
					{ cacheDir: freshCache() },
				),
			),
		);
		const expected = `# all tags in one file\n${APPS.map((app, i) => `${app}: "3.0.${i}"`).join('\n')}\n`;
		expect(await readRemoteFile(url, 'main', 'apps/shared.yaml')).toBe(expected);
		expect(await remoteLog(url)).toHaveLength(11);
		expect(await onlyFastForwards(url)).toBe(true);
		expect(results.every((r) => r.changed && r.commit)).toBe(true);
	});

	it('10 concurrent bumps sharing one cache take turns on the repository lock', async () => {
		const url = await fleet();
		const cacheDir = freshCache();
		const results = await Promise.all(
			APPS.map((app, i) =>
				bumpGitManifest(
					request(url, {
						mode: 'yamlPath',
						file: 'apps/shared.yaml',
						yamlPath: app,
						value: `4.0.${i}`,
					}),
					credential,
					{ cacheDir },
				),
			),
		);
		expect(results.map((r) => r.attempts)).toEqual(APPS.map(() => 1));
		expect(results.filter((r) => r.workspace === 'warm')).toHaveLength(9);
		expect(await remoteLog(url)).toHaveLength(11);
		expect(await onlyFastForwards(url)).toBe(true);
	});

	it('pins a kpack Image revision (multi-document file, quoted full SHA) and diffs one line', async () => {
		const url = await fleet();
		const sha = '1234567890123456789012345678901234567890';
		const result = await bumpGitManifest(
			request(
				url,
				{
					mode: 'yamlPath',
					file: 'kpack/image.yaml',
					yamlPath: 'spec.source.git.revision',
					value: sha,
					documentKind: 'Image',
				},
				{ skipCi: true, commitMessage: 'pin webapp' },
			),
			credential,
			{ cacheDir: freshCache() },
		);
		expect(await readRemoteFile(url, 'main', 'kpack/image.yaml')).toBe(
			FLEET['kpack/image.yaml'].replace('revision: main', `revision: "${sha}"`),
		);
		expect(result.diff).toBe(
			`--- a/kpack/image.yaml\n+++ b/kpack/image.yaml\n@@ -6,7 +6,7 @@\n   source:\n     git:\n       url: https://git.local/webapp.git\n-      revision: main\n+      revision: "${sha}"\n ---\n apiVersion: v1\n kind: ConfigMap\n`,
		);
		const [head] = await remoteLog(url);
		expect(head).toMatchObject({
			sha: result.commit,
			message: 'pin webapp [skip ci]\n\nBumped-by: n8n-nodes-buildkit',
		});
	});

	it('bumps a Helm chart: values tag and Chart.yaml version in one commit', async () => {
		const url = await fleet();
		const result = await bumpGitManifest(
			request(url, {
				mode: 'helmChart',
				chartPath: 'charts/webapp',
				valuesPath: 'image.tag',
				value: '1.10',
				versionBump: 'patch',
			}),
			credential,
			{ cacheDir: freshCache() },
		);
		expect(result.files).toEqual(['charts/webapp/values.yaml', 'charts/webapp/Chart.yaml']);
		expect(await readRemoteFile(url, 'main', 'charts/webapp/values.yaml')).toBe(
			FLEET['charts/webapp/values.yaml'].replace('"1.9"', '"1.10"'),
		);
		expect(await readRemoteFile(url, 'main', 'charts/webapp/Chart.yaml')).toBe(
			FLEET['charts/webapp/Chart.yaml'].replace('0.3.9', '0.3.10'),
		);
		expect(await remoteLog(url)).toHaveLength(2);
	});

	it('keeps BOM and CRLF on the remote; the diff shows only the changed line', async () => {
		const url = await fleet();
		const result = await bumpGitManifest(
			request(url, {
				mode: 'imagePolicyMarkers',
				path: 'crlf',
				policies: { 'flux-system:crlf': 'reg.local/crlf:v2' },
			}),
			credential,
			{ cacheDir: freshCache() },
		);
		expect(await readRemoteFile(url, 'main', 'crlf/cm.yaml')).toBe(
			FLEET['crlf/cm.yaml'].replace('tag: v1', 'tag: v2'),
		);
		expect(result.diff.split('\n').filter((l) => /^[-+][^-+]/.test(l))).toEqual([
			'-  tag: v1 # {"$imagepolicy": "flux-system:crlf:tag"}\r',
			'+  tag: v2 # {"$imagepolicy": "flux-system:crlf:tag"}\r',
		]);
	});

	it('no change means no commit; dry run pushes nothing; a push branch leaves the branch alone', async () => {
		const url = await fleet();
		const cacheDir = freshCache();
		const same = await bumpGitManifest(
			request(url, {
				mode: 'yamlPath',
				file: 'apps/shared.yaml',
				yamlPath: 'app-1',
				value: '1.0.0',
			}),
			credential,
			{ cacheDir },
		);
		expect(same).toMatchObject({ changed: false, files: [], diff: '', attempts: 1 });
		expect(same.commit).toBeUndefined();
		const dry = await bumpGitManifest(
			request(
				url,
				{ mode: 'yamlPath', file: 'apps/shared.yaml', yamlPath: 'app-1', value: '9.9.9' },
				{ dryRun: true },
			),
			credential,
			{ cacheDir },
		);
		expect(dry).toMatchObject({ changed: true, dryRun: true });
		expect(dry.diff).toContain('+app-1: "9.9.9"');
		expect(await remoteLog(url)).toHaveLength(1);
		const review = await bumpGitManifest(
			request(
				url,
				{ mode: 'yamlPath', file: 'apps/shared.yaml', yamlPath: 'app-1', value: '9.9.9' },
				{ pushBranch: 'image-updates' },
			),
			credential,
			{ cacheDir },
		);
		const again = await bumpGitManifest(
			request(
				url,
				{ mode: 'yamlPath', file: 'apps/shared.yaml', yamlPath: 'app-2', value: '9.9.9' },
				{ pushBranch: 'image-updates' },
			),
			credential,
			{ cacheDir },
		);
		expect(review.branch).toBe('image-updates');
		expect((await remoteLog(url, 'image-updates')).map((c) => c.sha)).toEqual([
			again.commit,
			review.commit,
			(await remoteLog(url))[0].sha,
		]);
		expect(await readRemoteFile(url, 'main', 'apps/shared.yaml')).toBe(sharedFile);
		expect(await onlyFastForwards(url, 'image-updates')).toBe(true);
	});

	it('a warm cache follows the remote: a change pushed by someone else is built on; a failed bump and a killed git leave nothing behind', async () => {
		const url = await fleet();
		const cacheDir = freshCache();
		const bump = (app: string, value: string, dir = cacheDir) =>
			bumpGitManifest(
				request(url, { mode: 'yamlPath', file: 'apps/shared.yaml', yamlPath: app, value }),
				credential,
				{ cacheDir: dir },
			);
		await bump('app-1', '1.1.0');
		await bump('app-2', '1.2.0', freshCache()); // another worker moves the branch
		expect(await bump('app-3', '1.3.0')).toMatchObject({ workspace: 'warm', attempts: 1 });
		// A bump whose push is refused leaves a commit and the edit in the cache; the next one must not carry them.
		const hook = join(bareRepoDir(url), 'hooks', 'pre-receive');
		await writeFile(hook, '#!/bin/sh\necho refused by policy >&2\nexit 1\n', { mode: 0o755 });
		await expect(bump('app-4', '1.4.0')).rejects.toThrow(/refused the push/);
		await rm(hook);
		// ...and a git process killed mid-write (a cancelled execution) leaves its index.lock behind.
		const [dir] = (await readdir(cacheDir)).filter((d) => !d.includes('.'));
		await writeFile(join(cacheDir, dir, '.git', 'index.lock'), '');
		await bump('app-5', '1.5.0');
		const expected = sharedFile
			.replace('app-1: "1.0.0"', 'app-1: "1.1.0"')
			.replace('app-2: "1.0.0"', 'app-2: "1.2.0"')
			.replace('app-3: "1.0.0"', 'app-3: "1.3.0"')
			.replace('app-5: "1.0.0"', 'app-5: "1.5.0"');
		expect(await readRemoteFile(url, 'main', 'apps/shared.yaml')).toBe(expected);
		expect(await remoteLog(url)).toHaveLength(5);
		expect(await onlyFastForwards(url)).toBe(true);
	});

	it('a cache whose state file was cut short (a worker killed mid-write) is cloned afresh, not an error', async () => {
		const url = await fleet();
		const cacheDir = freshCache();
		const bump = (app: string, value: string) =>
			bumpGitManifest(
				request(url, { mode: 'yamlPath', file: 'apps/shared.yaml', yamlPath: app, value }),
				credential,
				{ cacheDir },
			);
		await bump('app-8', '8.1.0');
		const [dir] = (await readdir(cacheDir)).filter((d) => !d.includes('.'));
		const gitDir = join(cacheDir, dir, '.git');
		const [stateFile] = (await readdir(gitDir)).filter(
			(f) => f.startsWith('n8n-buildkit-workspace') && f.endsWith('.json'),
		);
		expect(stateFile).toBeDefined();
		await writeFile(join(gitDir, stateFile), '{"url":"http');
		expect(await bump('app-9', '8.2.0')).toMatchObject({ workspace: 'cold-partial', attempts: 1 });
		expect(await bump('app-8', '8.3.0')).toMatchObject({ workspace: 'warm' });
		expect(await readRemoteFile(url, 'main', 'apps/shared.yaml')).toBe(
			sharedFile
				.replace('app-8: "1.0.0"', 'app-8: "8.3.0"')
				.replace('app-9: "1.0.0"', 'app-9: "8.2.0"'),
		);
		// The state is written whole (temp file + rename): no temp file is left beside it.
		expect((await readdir(gitDir)).filter((f) => f.startsWith('n8n-buildkit-workspace'))).toEqual([
			stateFile,
		]);
	});

	it('clones a cache afresh after recloneAfter fetches (packs pile up until then) and keeps bumping', async () => {
		const url = await fleet();
		const packs = async (cacheDir: string) => {
			const [dir] = (await readdir(cacheDir)).filter((d) => !d.includes('.'));
			return (await readdir(join(cacheDir, dir, '.git', 'objects', 'pack'))).filter((f) =>
				f.endsWith('.pack'),
			).length;
		};
		const grown = freshCache();
		const renewed = freshCache();
		const modes: string[] = [];
		for (let i = 0; i < 4; i++) {
			await bumpGitManifest(
				request(url, {
					mode: 'yamlPath',
					file: 'apps/shared.yaml',
					yamlPath: 'app-6',
					value: `7.0.${i}`,
				}),
				credential,
				{ cacheDir: grown },
			);
			const result = await bumpGitManifest(
				request(url, {
					mode: 'yamlPath',
					file: 'apps/shared.yaml',
					yamlPath: 'app-7',
					value: `7.0.${i}`,
				}),
				credential,
				{ cacheDir: renewed, recloneAfter: 2 },
			);
			modes.push(result.workspace);
		}
		// Each fetch brought the other cache's commit: one more pack each time, until the fresh clone.
		expect(await packs(grown)).toBe(4);
		expect(modes).toEqual(['cold-partial', 'warm', 'warm', 'cold-partial']);
		expect(await packs(renewed)).toBe(1);
		expect(await readRemoteFile(url, 'main', 'apps/shared.yaml')).toBe(
			sharedFile
				.replace('app-6: "1.0.0"', 'app-6: "7.0.3"')
				.replace('app-7: "1.0.0"', 'app-7: "7.0.3"'),
		);
		expect(await remoteLog(url)).toHaveLength(9);
		expect(await onlyFastForwards(url)).toBe(true);
	});

	it('a warm cache follows the branch backwards: after a rewind the dropped commit is not pushed again', async () => {
		const url = await fleet();
		const cacheDir = freshCache();
		const bump = (app: string, value: string) =>
			bumpGitManifest(
				request(url, { mode: 'yamlPath', file: 'apps/shared.yaml', yamlPath: app, value }),
				credential,
				{ cacheDir },
			);
		const first = await bump('app-1', '2.1.0');
		await bump('app-2', '2.2.0');
		await git(['update-ref', 'refs/heads/main', first.commit!], bareRepoDir(url)); // an admin drops the last commit
		const after = await bump('app-3', '2.3.0');
		expect(after).toMatchObject({ workspace: 'warm', attempts: 1 });
		expect((await remoteLog(url)).map((c) => c.sha).slice(0, 2)).toEqual([
			after.commit,
			first.commit,
		]);
		expect(await readRemoteFile(url, 'main', 'apps/shared.yaml')).toBe(
			sharedFile
				.replace('app-1: "1.0.0"', 'app-1: "2.1.0"')
				.replace('app-3: "1.0.0"', 'app-3: "2.3.0"'),
		);
	});

	it('falls back to a full clone when the server refuses filters', async () => {
		const url = await fleet({ allowFilter: false });
		const result = await bumpGitManifest(
			request(url, {
				mode: 'yamlPath',
				file: 'apps/shared.yaml',
				yamlPath: 'app-3',
				value: '5.0.0',
			}),
			credential,
			{ cacheDir: freshCache() },
		);
		expect(result.workspace).toBe('cold-full');
		expect(await readRemoteFile(url, 'main', 'apps/shared.yaml')).toContain('app-3: "5.0.0"\n');
	});

	it('never writes the token to disk or into any message', async () => {
		const url = await fleet();
		const cacheDir = freshCache();
		await bumpGitManifest(
			request(url, {
				mode: 'yamlPath',
				file: 'apps/shared.yaml',
				yamlPath: 'app-4',
				value: '6.0.0',
			}),
			credential,
			{ cacheDir },
		);
		const [dir] = await readdir(cacheDir);
		const config = await readFile(join(cacheDir, dir, '.git', 'config'), 'utf8');
		expect(config).toContain(`url = ${url}\n`);
		expect(config).not.toContain(TOKEN);
		expect(config).not.toContain(Buffer.from(`flux:${TOKEN}`).toString('base64'));
		expect(config).not.toMatch(/extraheader|credential/i);
	});

	describe('errors leave the remote untouched', () => {
		let url: string;
		beforeAll(async () => {
			url = await fleet();
		});
		afterEach(async () => expect(await remoteLog(url)).toHaveLength(1));

		async function failure(
			req: BumpRequest,
			cred: GitCredential = credential,
		): Promise<EngineError> {
			const error = await bumpGitManifest(req, cred, { cacheDir: freshCache() }).then(
				() => undefined,
				(e: unknown) => e,
			);
			expect(error).toBeInstanceOf(EngineError);
			const text = `${(error as EngineError).message} ${(error as EngineError).hint ?? ''}`;
			expect(text).not.toContain(TOKEN);
			expect(text).not.toContain('wrong-token-123');
			return error as EngineError;
		}

		it('bad credentials', async () => {
			const error = await failure(
				request(url, { mode: 'yamlPath', file: 'apps/shared.yaml', yamlPath: 'app-1', value: '2' }),
				{ ...credential, token: 'wrong-token-123' },
			);
			expect(error).toBeInstanceOf(RemoteError);
			expect(error.message).toMatch(
				/^Authentication to http:\/\/127\.0\.0\.1:\d+\/fleet-\d+\.git failed/,
			);
		});

		it('an unknown repository and an unreachable server', async () => {
			expect(
				(
					await failure(
						request(`${server.baseUrl}/nope.git`, {
							mode: 'yamlPath',
							file: 'a.yaml',
							yamlPath: 'a',
							value: '1',
						}),
					)
				).message,
			).toMatch(/Cannot reach the repository/);
			expect(
				(
					await failure(
						request('http://127.0.0.1:1/x.git', {
							mode: 'yamlPath',
							file: 'a.yaml',
							yamlPath: 'a',
							value: '1',
						}),
					)
				).message,
			).toMatch(/Cannot reach the repository http:\/\/127\.0\.0\.1:1\/x\.git/);
		});

		it('a missing branch, path, file and policy', async () => {
			expect(
				await failure(
					request(
						url,
						{ mode: 'yamlPath', file: 'apps/shared.yaml', yamlPath: 'app-1', value: '2' },
						{ branch: 'nope' },
					),
				),
			).toMatchObject({ name: 'InputError', field: 'branch' });
			expect(
				await failure(
					request(url, {
						mode: 'yamlPath',
						file: 'apps/shared.yaml',
						yamlPath: 'app-99',
						value: '2',
					}),
				),
			).toMatchObject({ name: 'InputError', field: 'yamlPath' });
			expect(
				await failure(
					request(url, { mode: 'yamlPath', file: 'apps/none.yaml', yamlPath: 'a', value: '2' }),
				),
			).toMatchObject({ name: 'InputError', field: 'file' });
			const marker = await failure(
				request(url, {
					mode: 'imagePolicyMarkers',
					path: 'apps',
					policies: { 'flux-system:ghost': 'x:1' },
				}),
			);
			expect(marker.message).toMatch(/the markers there are for "flux-system:app-0"/);
		});

		it('a URL with a token in it, and file:// when not allowed', async () => {
			const withToken = url.replace('http://', `http://flux:${TOKEN}@`);
			expect(
				(
					await failure(
						request(withToken, { mode: 'yamlPath', file: 'a.yaml', yamlPath: 'a', value: '1' }),
					)
				).message,
			).toMatch(
				/^Repository URL "http:\/\/\*\*\*@127\.0\.0\.1:\d+\/fleet-\d+\.git" carries credentials \(a user name, password or token\).*Git Repository credential/,
			);
			expect(
				await failure(
					request('file:///tmp/x.git', {
						mode: 'yamlPath',
						file: 'a.yaml',
						yamlPath: 'a',
						value: '1',
					}),
				),
			).toMatchObject({ field: 'repositoryUrl' });
		});
	});

	it('credential test: ls-remote succeeds with the token and fails without', async () => {
		const url = await fleet();
		expect(await checkGitAccess(credential, url, { allowPlainHttp: true })).toEqual({
			ok: true,
			message: expect.stringMatching(/^Connected to .*: 1 branch$/),
		});
		const denied = await checkGitAccess({ ...credential, token: 'wrong-token-123' }, url, {
			allowPlainHttp: true,
		});
		expect(denied.ok).toBe(false);
		expect(denied.message).toMatch(/Authentication .* failed/);
	});

	it('works on file:// repositories where allowed', async () => {
		const repo = await createFileRepo({ 'a.yaml': 'tag: 1\n' }, { root: scratch, name: 'local' });
		const result = await bumpGitManifest(
			request(repo.url, { mode: 'yamlPath', file: 'a.yaml', yamlPath: 'tag', value: '2' }),
			undefined,
			{ cacheDir: freshCache(), allowFileProtocol: true },
		);
		expect(result.workspace).toBe('cold-partial');
		expect(await readRemoteFile(repo.url, 'main', 'a.yaml')).toBe('tag: 2\n');
	});
});
