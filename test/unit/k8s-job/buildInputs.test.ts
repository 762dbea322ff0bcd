import { validateBuildJobInput, type BuildJobInput } from '../../../lib/k8s/build/inputs';
import { InputError } from '../../../lib/errors';
import { validateGitRevision, validateGitUrl } from '../../../lib/k8s/build/gitSource';
import { redactUrlCredentials as redactUrl } from '../../../lib/gitUrl';
import {
	parseImageRef,
	parseImageReference,
	parsePushReference,
} from '../../../lib/imageReference';
import { parseQuantity } from '../../../lib/k8s/build/kubernetesFields';
import { buildIdentity, composeJobName, jobNameFor } from '../../../lib/k8s/build/jobName';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const base: BuildJobInput = {
	appName: 'webapp',
	gitRepositoryUrl: 'https://git.example.com/org/webapp.git',
	gitRevision: SHA,
	image: 'registry.local:5000/webapp/app:1.2.3',
};

function errorOf(fn: () => unknown): InputError {
	try {
		fn();
	} catch (e) {
		if (e instanceof InputError) return e;
		throw e;
	}
	throw new Error('expected a InputError');
}

describe('image references (distribution reference grammar)', () => {
	test.each([
		['nginx', { repository: 'nginx', domain: undefined, path: 'nginx', tag: undefined }],
		['nginx:1.27', { repository: 'nginx', path: 'nginx', tag: '1.27' }],
		[
			'library/nginx:latest',
			{ repository: 'library/nginx', domain: undefined, path: 'library/nginx' },
		],
		[
			'registry.local:5000/webapp/app:1.2.3',
			{ domain: 'registry.local:5000', path: 'webapp/app', tag: '1.2.3' },
		],
		['localhost/app:v1', { domain: 'localhost', path: 'app' }],
		['127.0.0.1:5000/a/b/c:x_y-z.1', { domain: '127.0.0.1:5000', path: 'a/b/c', tag: 'x_y-z.1' }],
		['[::1]:5000/app:1', { domain: '[::1]:5000', path: 'app' }],
		['Registry/app:1', { domain: 'Registry', path: 'app' }],
		['ghcr.io/org/my__app/sub-name.x:1', { domain: 'ghcr.io', path: 'org/my__app/sub-name.x' }],
		[
			`ghcr.io/org/app@sha256:${'a'.repeat(64)}`,
			{ digest: `sha256:${'a'.repeat(64)}`, tag: undefined },
		],
		[
			`ghcr.io/org/app:1@sha256:${'a'.repeat(64)}`,
			{ tag: '1', digest: `sha256:${'a'.repeat(64)}` },
		],
		[`app:${'t'.repeat(128)}`, { tag: 't'.repeat(128) }],
	])('%s parses', (text, expected) => {
		const ref = parseImageReference(text, 'image');
		expect(ref).toMatchObject(expected);
		// The lenient split that manifest edits use gives the same parts for every valid reference.
		expect(parseImageRef(text)).toEqual({ name: ref.repository, tag: ref.tag, digest: ref.digest });
	});

	test.each([
		['', 'empty'],
		['registry.local:5000/WebApp/app:1', 'lower case'],
		['app:-tag', 'tag'],
		[`app:${'t'.repeat(129)}`, '128'],
		['app:1 2', 'whitespace'],
		['https://registry.local/app:1', 'scheme'],
		['-app:1', 'starts with "-"'],
		['app::1', 'valid image reference'],
		['app/:1', 'valid image reference'],
		['app@sha256:abc', 'valid image reference'],
		['a/b//c:1', 'valid image reference'],
		['app_:1', 'valid image reference'],
		[`${'a'.repeat(250)}/${'b'.repeat(10)}:1`, '255'],
		// Docker takes a first component with "." for a registry host; this one is not a valid host.
		['my_registry.local/app:1', '"my_registry.local" is not a registry host'],
	])('%j is refused (%s)', (text, why) => {
		const e = errorOf(() => parseImageReference(text, 'image'));
		expect(e.field).toBe('image');
		expect(e.message).toContain(why);
	});

	test('a push target needs a tag and no digest', () => {
		expect(
			errorOf(() => parsePushReference('registry.local:5000/webapp/app', 'image')).message,
		).toContain('has no tag');
		expect(
			errorOf(() => parsePushReference(`app:1@sha256:${'a'.repeat(64)}`, 'image')).message,
		).toContain('pins a digest');
	});
});

describe('git URLs', () => {
	test.each([
		['https://github.com/org/app.git', 'https'],
		['https://git.example.com:8443/group/sub/app', 'https'],
		['ssh://git@github.com/org/app.git', 'ssh'],
		['ssh://git@[2001:db8::1]:2222/org/app.git', 'ssh'],
		['git@github.com:org/app.git', 'scp'],
	])('%s is accepted as %s', (url, kind) => {
		expect(validateGitUrl(url, 'gitRepositoryUrl', false)).toMatchObject({ url, kind });
	});

	test.each([
		['ext::sh%20-c%20touch', 'remote helper'],
		['fd::17', 'remote helper'],
		['file:///etc', 'not a network git URL'],
		['/srv/git/app.git', 'not a network git URL'],
		['git://github.com/org/app.git', 'not a network git URL'],
		['-uhttps://x', 'starts with "-"'],
		['ssh://-oProxyCommand=touch%20x/org/app', 'not a valid ssh URL'],
		['git@-oProxyCommand=x:org/app', 'not a git URL'],
		['http://gitea.local/org/app.git', 'plain http'],
		['https://github.com/org/app.git#main', '"#" fragment'],
		['https://host', 'not a valid https URL'],
		['https://github.com/', 'no repository path'],
		['https://github.com:99999/org/app.git', 'port'],
		['ftp://host/app.git', 'not a network git URL'],
		['svn+ssh://host/app', 'unsupported scheme'],
		['', 'empty'],
	])('%j is refused (%s)', (url, why) => {
		const e = errorOf(() => validateGitUrl(url, 'gitRepositoryUrl', false));
		expect(e.field).toBe('gitRepositoryUrl');
		expect(e.message).toContain(why);
	});

	test('plain http is accepted only when explicitly allowed', () => {
		expect(
			validateGitUrl('http://gitea.gitea.svc:3000/org/app.git', 'gitRepositoryUrl', true).kind,
		).toBe('http');
	});

	test.each([
		'https://user:s3cr3t-token@github.com/org/app.git',
		'https://s3cr3t-token@github.com/org/app.git',
		'ssh://git:s3cr3t-token@host/org/app.git',
	])('credentials in %s are refused without echoing them', (url) => {
		const e = errorOf(() => validateGitUrl(url, 'gitRepositoryUrl', false));
		expect(e.message).toMatch(/credentials|password/);
		expect(e.message).toContain('Git Secret Name');
		expect(e.message).not.toContain('s3cr3t-token');
	});

	test('redactUrl hides userinfo', () => {
		expect(redactUrl('https://u:p@h/x')).toBe('https://***@h/x');
	});
});

describe('git revisions', () => {
	test.each([
		'main',
		'feature/new-ui',
		'v1.2.3',
		'refs/heads/main',
		'release-2025.01',
		'refs/heads/cafe1234',
		'ünïcode',
	])('%s is accepted', (rev) => {
		expect(validateGitRevision(rev, 'gitRevision')).toBe(rev);
	});

	test('a full SHA (SHA-1 or SHA-256) is accepted and lower-cased', () => {
		expect(validateGitRevision(SHA.toUpperCase(), 'gitRevision')).toBe(SHA);
		expect(validateGitRevision('a'.repeat(64), 'gitRevision')).toBe('a'.repeat(64));
	});

	test.each([
		['', 'empty'],
		['-main', 'starts with "-"'],
		['--upload-pack=touch', 'starts with "-"'],
		['+refs/heads/x:refs/heads/y', 'starts with "-" or "+"'],
		['a..b', '".."'],
		['main@{1}', '"@{"'],
		['@', 'is "@"'],
		['ma in', 'space'],
		['main:other', 'space, control character or one of'],
		['x~1', 'one of'],
		['x^', 'one of'],
		['x?', 'one of'],
		['x*', 'one of'],
		['x[', 'one of'],
		['x\\y', 'one of'],
		['/main', 'empty path component'],
		['main/', 'empty path component'],
		['a//b', 'empty path component'],
		['main.', 'ends with "."'],
		['.hidden', 'starting with "."'],
		['a/.b', 'starting with "."'],
		['x.lock', '.lock'],
		['abc1234', 'abbreviated commit SHA'],
		['x'.repeat(256), 'longer than 255'],
	])('%j is refused (%s)', (rev, why) => {
		const e = errorOf(() => validateGitRevision(rev, 'gitRevision'));
		expect(e.field).toBe('gitRevision');
		expect(e.message).toContain(why);
	});
});

describe('quantities', () => {
	test.each([
		['2Gi', 2 * 2 ** 30],
		['512Mi', 512 * 2 ** 20],
		['1.5G', 1.5e9],
		['1e3', 1000],
		['500m', 0.5],
		['2', 2],
	])('%s = %d', (text, value) => {
		expect(parseQuantity(text, 'f', text === '500m' ? 'cpu' : 'memory').value).toBeCloseTo(value);
	});

	test.each(['2GB', 'lots', '-1Gi', '1 Gi', '', '0'])('%j is refused', (text) => {
		expect(errorOf(() => parseQuantity(text, 'options.memoryLimit', 'memory')).field).toBe(
			'options.memoryLimit',
		);
	});

	test('"512m" memory is called out as the milli-byte typo it is', () => {
		expect(errorOf(() => parseQuantity('512m', 'options.memoryLimit', 'memory')).message).toContain(
			'did you mean "512Mi"',
		);
	});
});

describe('validateBuildJobInput', () => {
	const fieldOf = (input: Partial<BuildJobInput>) =>
		errorOf(() => validateBuildJobInput({ ...base, ...input })).field;

	test('defaults', () => {
		const plan = validateBuildJobInput({
			appName: 'webapp',
			gitRepositoryUrl: base.gitRepositoryUrl,
			image: base.image,
		});
		expect(plan).toMatchObject({
			namespace: 'build-system',
			gitRevision: 'main',
			revisionIsCommit: false,
			contextPath: '',
			dockerfileDir: '',
			dockerfileName: 'Dockerfile',
			cache: { mode: 'max', ref: 'registry.local:5000/webapp/app:buildcache' },
			attestations: ['sbom', 'provenance'],
			builderMode: 'rootless',
			serviceAccountName: 'buildkit-sa',
			registrySecretName: 'registry-credentials',
			insecureRegistry: false,
			ttlSecondsAfterFinished: 600,
			activeDeadlineSeconds: 3600,
			backoffLimit: 0,
		});
		expect(plan.resources.memoryLimit.text).toBe('2Gi');
	});

	test('additional tags: a bare tag means the same repository, a full reference stands alone, duplicates drop', () => {
		const plan = validateBuildJobInput({
			...base,
			additionalTags: ['latest', 'ghcr.io/org/app:1.2.3', '1.2.3', ''],
		});
		expect(plan.images.map((i) => i.text)).toEqual([
			'registry.local:5000/webapp/app:1.2.3',
			'registry.local:5000/webapp/app:latest',
			'ghcr.io/org/app:1.2.3',
		]);
	});

	test('paths are normalised and kept inside the repository', () => {
		expect(
			validateBuildJobInput({
				...base,
				contextPath: './services/api/',
				dockerfile: './docker/Dockerfile',
			}),
		).toMatchObject({
			contextPath: 'services/api',
			dockerfileDir: 'docker',
			dockerfileName: 'Dockerfile',
		});
	});

	test.each<[Partial<BuildJobInput>, string]>([
		[{ namespace: 'Build_System' }, 'namespace'],
		[{ appName: 'Web App' }, 'appName'],
		[{ appName: 'a'.repeat(64) }, 'appName'],
		[{ contextPath: '/abs' }, 'contextPath'],
		[{ contextPath: 'a/../../etc' }, 'contextPath'],
		[{ dockerfile: '../Dockerfile' }, 'dockerfile'],
		[{ dockerfile: 'Docker file' }, 'dockerfile'],
		[{ dockerfile: 'a,b' }, 'dockerfile'],
		[{ image: 'app' }, 'image'],
		[{ additionalTags: ['-latest'] }, 'options.additionalTags'],
		[{ target: 'my stage' }, 'options.target'],
		[{ buildArgs: [{ name: '1BAD', value: 'x' }] }, 'options.buildArgs'],
		[
			{
				buildArgs: [
					{ name: 'A', value: 'x' },
					{ name: 'A', value: 'y' },
				],
			},
			'options.buildArgs',
		],
		[{ buildArgs: [{ name: 'A', value: 'nul\u0000' }] }, 'options.buildArgs'],
		[{ platforms: ['amd64'] }, 'options.platforms'],
		[{ platforms: ['linux/amd64 linux/arm64'] }, 'options.platforms'],
		[{ cacheMode: 'huge' as never }, 'options.cacheMode'],
		[{ cacheRef: 'cache' }, 'options.cacheRef'],
		[{ attestations: ['sbom', 'vex' as never] }, 'options.attestations'],
		[{ builderMode: 'root' as never }, 'options.builderMode'],
		[{ buildkitImage: 'moby/buildkit:v0.32.2 --privileged' }, 'options.buildkitImage'],
		[{ serviceAccountName: 'Build SA' }, 'options.serviceAccountName'],
		[{ registrySecretName: 'bad/name' }, 'options.registrySecretName'],
		[{ gitSecretName: '-x' }, 'options.gitSecretName'],
		[{ memoryLimit: '2GB' }, 'options.memoryLimit'],
		[{ memoryRequest: '4Gi' }, 'options.memoryRequest'],
		[{ cpuLimit: '1', cpuRequest: '2' }, 'options.cpuRequest'],
		[{ ttlSecondsAfterFinished: -1 }, 'options.ttlSecondsAfterFinished'],
		[{ activeDeadlineSeconds: 1.5 }, 'options.activeDeadlineSeconds'],
		[{ backoffLimit: 100 }, 'options.backoffLimit'],
		[{ labels: [{ name: 'team name', value: 'x' }] }, 'options.labels'],
		[{ labels: [{ name: 'team', value: 'a b' }] }, 'options.labels'],
		[{ labels: [{ name: 'webapp', value: 'other' }] }, 'options.labels'],
		[{ labels: [{ name: 'batch.kubernetes.io/job-name', value: 'other' }] }, 'options.labels'],
		[{ labels: [{ name: 'kubernetes.io/arch', value: 'arm64' }] }, 'options.labels'],
		[{ labels: [{ name: 'node.k8s.io/x', value: 'y' }] }, 'options.labels'],
		[{ labels: [{ name: 'k8s.io/x', value: 'y' }] }, 'options.labels'],
		[{ memoryLimit: '1e400' }, 'options.memoryLimit'],
		[{ memoryLimit: `${'9'.repeat(400)}` }, 'options.memoryLimit'],
		[{ memoryLimit: '9Ei' }, 'options.memoryLimit'],
		[{ cpuLimit: '1e309' }, 'options.cpuLimit'],
		[
			{ buildArgs: [{ name: 'BUILDKIT_SYNTAX', value: 'evil.example/frontend' }] },
			'options.buildArgs',
		],
		[{ buildArgs: [{ name: 'buildkit_context_keep_git_dir', value: '1' }] }, 'options.buildArgs'],
		[{ jobName: 'Job_1' }, 'options.jobName'],
		[{ deterministicName: true, gitRevision: 'main' }, 'options.deterministicName'],
	])('%j → error on %s', (input, field) => {
		expect(fieldOf(input)).toBe(field);
	});
});

describe('opt-ins and what stays allowed', () => {
	test('BUILDKIT_* build args pass only with allowBuildkitBuildArgs', () => {
		const buildArgs = [{ name: 'BUILDKIT_INLINE_CACHE', value: '1' }];
		expect(
			validateBuildJobInput({ ...base, buildArgs, allowBuildkitBuildArgs: true }).buildArgs,
		).toEqual(buildArgs);
		expect(errorOf(() => validateBuildJobInput({ ...base, buildArgs })).field).toBe(
			'options.buildArgs',
		);
	});

	test('app.kubernetes.io/ labels (the recommended ones) stay allowed; a quantity of 8Ei is the limit', () => {
		expect(
			validateBuildJobInput({
				...base,
				labels: [{ name: 'app.kubernetes.io/version', value: '1.2.3' }],
			}).labels,
		).toEqual({ 'app.kubernetes.io/version': '1.2.3' });
		expect(
			validateBuildJobInput({ ...base, memoryLimit: '7Ei', memoryRequest: '1Gi' }).resources
				.memoryLimit.text,
		).toBe('7Ei');
	});
});

describe('Job names', () => {
	const plan = (input: Partial<BuildJobInput> = {}) => validateBuildJobInput({ ...base, ...input });

	test('<app>-<short sha>-<random> by default', () => {
		expect(jobNameFor(plan(), () => 'x1y2z')).toBe('webapp-0123456-x1y2z');
		expect(jobNameFor(plan())).toMatch(/^webapp-0123456-[a-z0-9]{5}$/);
		expect(jobNameFor(plan())).not.toBe(jobNameFor(plan()));
	});

	test('a branch becomes a slug; the user name wins', () => {
		expect(jobNameFor(plan({ gitRevision: 'refs/heads/Feature/New_UI' }), () => 'abcde')).toBe(
			'webapp-feature-new-ui-abcde',
		);
		expect(jobNameFor(plan({ jobName: 'my-build' }))).toBe('my-build');
	});

	test('always a DNS-1123 label of at most 63 characters', () => {
		const long = plan({ appName: 'a'.repeat(63), gitRevision: `feature/${'x'.repeat(200)}` });
		const name = jobNameFor(long, () => 'abcde');
		expect(name.length).toBeLessThanOrEqual(63);
		expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
		expect(
			composeJobName(
				'a-----------------------------------------------------------b',
				'main',
				'abcde',
			),
		).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
	});

	test('deterministic: same app + commit + build → same name; any change in what is built → another', () => {
		const a = jobNameFor(plan({ deterministicName: true }));
		expect(jobNameFor(plan({ deterministicName: true }))).toBe(a);
		expect(a).toMatch(/^webapp-0123456-[a-z0-9]{5}$/);
		expect(jobNameFor(plan({ deterministicName: true, gitRevision: 'f'.repeat(40) }))).not.toBe(a);
		expect(
			jobNameFor(plan({ deterministicName: true, image: 'registry.local:5000/webapp/app:1.2.4' })),
		).not.toBe(a);
		expect(
			jobNameFor(plan({ deterministicName: true, buildArgs: [{ name: 'A', value: '1' }] })),
		).not.toBe(a);
		// Options that do not change the image (resources, ttl) keep the name.
		expect(
			jobNameFor(
				plan({ deterministicName: true, memoryLimit: '4Gi', ttlSecondsAfterFinished: 30 }),
			),
		).toBe(a);
		expect(buildIdentity(plan())).toContain(SHA);
	});
});
