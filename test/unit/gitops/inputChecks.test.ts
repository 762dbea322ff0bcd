import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bumpGitManifest } from '../../../lib/gitops';
import { checkEdit } from '../../../lib/gitops/edits';
import type { ManifestEdit } from '../../../lib/gitops/edits/types';
import { InputError } from '../../../lib/errors';
import { checkRepositoryUrl } from '../../../lib/gitops/gitAccess';

/**
 * The checks a bump makes before any git command: paths stay in the repository, written images, tags and
 * digests follow the distribution reference grammar, and the remote URL carries no credentials and nothing
 * git or ssh would read as an option. Each refusal is an input error naming the parameter.
 */

function inputErrorOf(fn: () => unknown): InputError {
	try {
		fn();
	} catch (error) {
		expect(error).toBeInstanceOf(InputError);
		return error as InputError;
	}
	throw new Error('expected an input error');
}

const markers = (path: string, image = 'reg.local/webapp:1.2.3'): ManifestEdit => ({
	mode: 'imagePolicyMarkers',
	path,
	policies: { 'flux-system:webapp': image },
});
const yamlFile = (file: string): ManifestEdit => ({
	mode: 'yamlPath',
	file,
	yamlPath: 'spec.tag',
	value: 'x',
});
const imageRef = (over: {
	tag?: string;
	digest?: string;
	imageRepository?: string;
}): ManifestEdit => ({
	mode: 'imageReference',
	path: 'apps',
	imageRepository: 'reg.local/webapp',
	...over,
});
const helm = (over: {
	chartPath?: string;
	valuesFile?: string;
	valuesPath?: string;
	value?: string;
}): ManifestEdit => ({
	mode: 'helmChart',
	chartPath: 'charts/webapp',
	valuesPath: 'image.tag',
	value: '1.2.3',
	versionBump: 'patch',
	...over,
});

describe('edit paths are checked before git sees them', () => {
	test.each([
		'..',
		'../..',
		'../../etc',
		'a/../../b',
		'/etc',
		'/',
		'//etc',
		'./../x',
		'a/b/../../..',
	])('marker folder %j is outside the repository', (path) => {
		const error = inputErrorOf(() => checkEdit(markers(path)));
		expect(error.field).toBe('path');
		expect(error.message).toMatch(
			/^Path ".*" is outside the repository: give a path relative to the repository root/,
		);
	});

	test.each([
		[yamlFile('../../etc/passwd.yaml'), 'file', /outside the repository/],
		[yamlFile('/etc/hosts.yaml'), 'file', /outside the repository/],
		[yamlFile('apps/../../x.yaml'), 'file', /outside the repository/],
		[yamlFile('.git/config'), 'file', /inside \.git/],
		[yamlFile('a\u0000b.yaml'), 'file', /control character/],
		[yamlFile('apps/\nx.yaml'), 'file', /control character/],
		// C1 controls (U+0080-U+009F) too: NEL is a line break to some YAML and log readers.
		[yamlFile('apps/\u0085x.yaml'), 'file', /control character/],
		[markers('-rf'), 'path', /starts with "-"/],
		[markers('./--output'), 'path', /starts with "-"/],
		[
			helm({ chartPath: '../charts/x' }),
			'chartPath',
			/^Chart Path "\.\.\/charts\/x" is outside the repository/,
		],
		[helm({ chartPath: '/charts/webapp' }), 'chartPath', /outside the repository/],
		[
			helm({ valuesFile: '../../values.yaml' }),
			'valuesFile',
			/^Values File "\.\.\/\.\.\/values\.yaml" is outside the chart folder/,
		],
		[helm({ valuesFile: '/values.yaml' }), 'valuesFile', /outside the chart folder/],
	] as Array<[ManifestEdit, string, RegExp]>)('%j is refused naming %s', (edit, field, message) => {
		const error = inputErrorOf(() => checkEdit(edit));
		expect(error.field).toBe(field);
		expect(error.message).toMatch(message);
		expect(error.message).not.toContain('\u0000');
	});

	test('paths inside the repository come back normalised; odd but literal names stay literal', () => {
		const path = (p: string) => (checkEdit(markers(p)) as { path: string }).path;
		expect(path('')).toBe('');
		expect(path('.')).toBe('');
		expect(path('./apps/')).toBe('apps');
		expect(path('apps//webapp')).toBe('apps/webapp');
		expect(path('a/../apps')).toBe('apps');
		expect(path('..\\..\\windows')).toBe('..\\..\\windows');
		expect(path('%2e%2e/%2e%2e')).toBe('%2e%2e/%2e%2e');
		expect(path('apps/.gitignore-dir')).toBe('apps/.gitignore-dir');
		expect(checkEdit(helm({ valuesFile: 'values/prod.yaml' }))).toMatchObject({
			chartPath: 'charts/webapp',
			valuesFile: 'values/prod.yaml',
		});
		expect(checkEdit(helm({ valuesFile: '' }))).toMatchObject({ valuesFile: 'values.yaml' });
	});

	test('a bump with an escaping path fails naming the field before any git command (nothing cloned, no server asked)', async () => {
		const cacheDir = await mkdtemp(join(tmpdir(), 'gitops-checks-cache-'));
		// A port nothing listens on: reaching git at all would turn into a "Cannot reach" remote error.
		const server = createServer();
		await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
		const port = (server.address() as { port: number }).port;
		await new Promise<void>((done) => server.close(() => done()));
		try {
			for (const [edit, field] of [
				[markers('../../etc'), 'path'],
				[yamlFile('/etc/hosts.yaml'), 'file'],
				[helm({ chartPath: 'a/../../b' }), 'chartPath'],
				[helm({ valuesFile: '../x.yaml' }), 'valuesFile'],
			] as const) {
				const error = await bumpGitManifest(
					{
						repositoryUrl: `http://127.0.0.1:${port}/fleet.git`,
						branch: 'main',
						edit,
						commitMessage: 'x',
					},
					undefined,
					{ cacheDir },
				).catch((e: unknown) => e);
				expect(error).toBeInstanceOf(InputError);
				expect(error).toMatchObject({ field });
			}
			expect(await readdir(cacheDir)).toEqual([]);
		} finally {
			await rm(cacheDir, { recursive: true, force: true });
		}
	});
});

describe('images, tags and digests written into manifests follow the reference grammar', () => {
	const digest = `sha256:${'a'.repeat(64)}`;

	test.each([
		'reg.local/webapp:1.0\nevil: true',
		'reg.local/webapp:1.0 # {"$imagepolicy": "other:x"}',
		'reg.local/webapp:{a: b}',
		'reg.local/WebApp:1',
		'-oevil:1',
		'reg.local/webapp:.hidden',
		`reg.local/webapp:1@sha256:${'A'.repeat(64)}`,
		'reg.local/webapp@md5:abc',
	])('marker image %j is refused naming image', (image) => {
		const error = inputErrorOf(() => checkEdit(markers('apps', image)));
		expect(error.field).toBe('image');
		expect(error.message).toMatch(
			/^image ".*" is not a valid image reference: .*Use registry\/repository:tag/,
		);
	});

	test('a marker image needs a tag or digest; valid references pass unchanged', () => {
		expect(inputErrorOf(() => checkEdit(markers('apps', 'reg.local/webapp'))).message).toMatch(
			/^image "reg\.local\/webapp" has no tag: give name:tag, e\.g\. reg\.local\/webapp:1\.2\.3/,
		);
		for (const image of [
			'reg.local/webapp:1.2.3',
			'localhost:5000/a/b:v1',
			`reg.local/webapp@${digest}`,
			`reg.local/webapp:1@${digest}`,
			'nginx:1.27',
		]) {
			expect(checkEdit(markers('apps', image))).toMatchObject({
				policies: { 'flux-system:webapp': image },
			});
		}
	});

	test.each([
		[{ tag: '1.0\nevil: true' }, 'tag'],
		[{ tag: '{a: b}' }, 'tag'],
		[{ tag: 'latest # comment' }, 'tag'],
		[{ tag: '-1' }, 'tag'],
		[{ tag: 't'.repeat(129) }, 'tag'],
		[{ tag: '' }, 'tag'],
		[{ digest: 'sha256:not-hex' }, 'digest'],
		[{ digest: 'md5:abc\nx: y' }, 'digest'],
		[{ digest: `sha256:${'a'.repeat(63)}` }, 'digest'],
		[{ digest: `sha256:${'A'.repeat(64)}` }, 'digest'],
		[{ digest: `sha512:${'a'.repeat(64)}` }, 'digest'],
		[{ tag: '1', imageRepository: 'reg.local/webapp:1.0' }, 'imageRepository'],
		[{ tag: '1', imageRepository: 'reg.local/Web App' }, 'imageRepository'],
	])('image reference %j is refused naming %s', (over, field) => {
		const error = inputErrorOf(() => checkEdit(imageRef(over)));
		expect(error.field).toBe(field);
		expect(error.message.startsWith(`${field} `)).toBe(true);
	});

	test('valid tags and digests pass', () => {
		expect(checkEdit(imageRef({ tag: 'v1.2.3-rc.1_x', digest }))).toMatchObject({
			tag: 'v1.2.3-rc.1_x',
			digest,
		});
		expect(checkEdit(imageRef({ digest: `sha512:${'0'.repeat(128)}` }))).toMatchObject({
			digest: `sha512:${'0'.repeat(128)}`,
		});
	});

	test('a Helm value is checked as a tag or digest only when its key names one', () => {
		for (const valuesPath of ['image.tag', 'imageTag', 'sidecar.image_tag', 'tag']) {
			expect(
				inputErrorOf(() => checkEdit(helm({ valuesPath, value: '1.0\nevil: true' }))).field,
			).toBe('value');
		}
		expect(
			inputErrorOf(() => checkEdit(helm({ valuesPath: 'image.digest', value: 'sha256:nothex' })))
				.field,
		).toBe('value');
		expect(checkEdit(helm({ valuesPath: 'image.tag', value: '1.10' }))).toMatchObject({
			value: '1.10',
		});
		// Other values are written as YAML strings by the edit (quoted when needed), not checked as tags.
		expect(checkEdit(helm({ valuesPath: 'ingress.host', value: 'a b: c' }))).toMatchObject({
			value: 'a b: c',
		});
		expect(checkEdit(helm({ valuesPath: 'hashtag', value: '#x y' }))).toMatchObject({
			value: '#x y',
		});
		expect(inputErrorOf(() => checkEdit(helm({ valuesPath: 'image..tag' }))).field).toBe(
			'valuesPath',
		);
	});
});

describe('repository URLs', () => {
	test.each([
		['https://ghp_tokenonly0000@127.0.0.1/repo.git', 'ghp_tokenonly0000'],
		['https://x-access-token:ghp_hostile0000@127.0.0.1/repo.git', 'ghp_hostile0000'],
		['http://oauth2:glpat-secret000@127.0.0.1:8080/org/repo.git', 'glpat-secret000'],
		['ssh://git:hunter2secret@127.0.0.1/repo.git', 'hunter2secret'],
	])('credentials in %s are refused without echoing them', (url, secret) => {
		const error = inputErrorOf(() => checkRepositoryUrl(url));
		expect(error.field).toBe('repositoryUrl');
		expect(error.message).toMatch(/password or token|carries a password/);
		expect(error.message).toContain('Git Repository credential');
		expect(error.message).not.toContain(secret);
	});

	test.each([
		['ssh://-oProxyCommand=touch${IFS}/tmp/x/repo.git', /not a valid ssh URL/],
		['ssh://-oProxyCommand=touch%20x/org/app', /not a valid ssh URL/],
		['git@-oProxyCommand=touch:repo.git', /not a git URL/],
		['git@127.0.0.1:-repo.git', /path starting with "-"/],
		['https://127.0.0.1/org/repo.git\u0000', /control characters/],
		['https://127.0.0.1/org/\u0007repo.git', /control characters/],
		['https://127.0.0.1/org/\u009brepo.git', /control characters/],
		['https://127.0.0.1/org/repo.git\n--upload-pack=id', /control characters/],
		['--upload-pack=touch x', /whitespace|starts with "-"/],
		['ext::sh -c touch% x', /whitespace|remote helper/],
		['fd::17', /remote helper/],
		['file:///etc/passwd', /not a network git URL/],
		['https://127.0.0.1:99999/repo.git', /port outside/],
		['https://127.0.0.1', /not a valid https URL/],
		['ftp://127.0.0.1/repo.git', /not a network git URL/],
		['', /is empty/],
	])('%j is refused naming repositoryUrl', (url, message) => {
		const error = inputErrorOf(() => checkRepositoryUrl(url));
		expect(error.field).toBe('repositoryUrl');
		expect(error.message).toMatch(/^Repository URL /);
		expect(error.message).toMatch(message);
		expect(error.message).not.toMatch(/(?!\n)\p{Cc}/u);
	});

	test('accepted forms and their transports', () => {
		expect(checkRepositoryUrl('https://github.com/org/app.git')).toBe('http');
		expect(checkRepositoryUrl('http://127.0.0.1:3000/org/app.git', false, true)).toBe('http');
		expect(
			inputErrorOf(() => checkRepositoryUrl('http://127.0.0.1:3000/org/app.git')).message,
		).toMatch(/plain http.*Allow Plain HTTP/);
		expect(checkRepositoryUrl('ssh://git@127.0.0.1:2222/org/app.git')).toBe('ssh');
		expect(checkRepositoryUrl('git@github.com:org/app.git')).toBe('ssh');
		// git gets the URL as one argv entry after "--": characters RFC 3986 leaves out are harmless here.
		expect(checkRepositoryUrl('http://127.0.0.1:3000/repo.git;touch${IFS}x', false, true)).toBe(
			'http',
		);
		expect(checkRepositoryUrl('file:///srv/git/repo.git', true)).toBe('file');
		expect(inputErrorOf(() => checkRepositoryUrl('file:///-x/repo.git', true)).field).toBe(
			'repositoryUrl',
		);
	});
});
