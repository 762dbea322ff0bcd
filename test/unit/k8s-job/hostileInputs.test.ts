import { Job } from 'kubernetes-models/batch/v1/Job';
import type { V1Container, V1Job } from '@kubernetes/client-node';
import { validateBuildJobInput, type BuildJobInput } from '../../../lib/k8s/build/inputs';
import { InputError } from '../../../lib/errors';
import { buildJobManifest } from '../../../lib/k8s/build/manifest';
import { BUILD_SCRIPT, GIT_CLONE_SCRIPT } from '../../../lib/k8s/build/scripts';
import { jobNameFor } from '../../../lib/k8s/build/jobName';

/**
 * Hostile values in every user-controlled field. Each one is either rejected with an error naming the field,
 * or carried verbatim as exactly ONE env value or ONE argv element (never split, never inside a script).
 */

type Carried = { env?: string; arg?: string };
type Row = [field: string, value: string, expected: 'rejected' | Carried];

const URL = 'https://git.example.com/org/app.git';
const bigValue = 'x'.repeat(32 * 1024);

const ROWS: Row[] = [
	// Build-arg values: anything but NUL travels as one argv element.
	['buildArgs.value', '$(id)', { arg: 'build-arg:ARG=$(id)' }],
	['buildArgs.value', '`id`', { arg: 'build-arg:ARG=`id`' }],
	['buildArgs.value', '; rm -rf / #', { arg: 'build-arg:ARG=; rm -rf / #' }],
	[
		'buildArgs.value',
		'&& curl http://127.0.0.1/x | sh',
		{ arg: 'build-arg:ARG=&& curl http://127.0.0.1/x | sh' },
	],
	['buildArgs.value', '> /etc/passwd', { arg: 'build-arg:ARG=> /etc/passwd' }],
	['buildArgs.value', '${HOME} $IFS ~root', { arg: 'build-arg:ARG=${HOME} $IFS ~root' }],
	['buildArgs.value', `it's "quoted" \\ back`, { arg: `build-arg:ARG=it's "quoted" \\ back` }],
	['buildArgs.value', 'line1\nline2', { arg: 'build-arg:ARG=line1\nline2' }],
	['buildArgs.value', 'crlf\r\n--push', { arg: 'build-arg:ARG=crlf\r\n--push' }],
	['buildArgs.value', '--privileged', { arg: 'build-arg:ARG=--privileged' }],
	[
		'buildArgs.value',
		'--output=type=local,dest=/',
		{ arg: 'build-arg:ARG=--output=type=local,dest=/' },
	],
	['buildArgs.value', 'a,b,"c=d"', { arg: 'build-arg:ARG=a,b,"c=d"' }],
	[
		'buildArgs.value',
		'key: value\n- item\n---\n&a *a !!python/object',
		{ arg: 'build-arg:ARG=key: value\n- item\n---\n&a *a !!python/object' },
	],
	['buildArgs.value', '{a: b} [1, 2] # c', { arg: 'build-arg:ARG={a: b} [1, 2] # c' }],
	['buildArgs.value', 'yes', { arg: 'build-arg:ARG=yes' }],
	[
		'buildArgs.value',
		'日本語 ñ 🚀 \u202eevil \u200b',
		{ arg: 'build-arg:ARG=日本語 ñ 🚀 \u202eevil \u200b' },
	],
	['buildArgs.value', '', { arg: 'build-arg:ARG=' }],
	['buildArgs.value', bigValue, { arg: `build-arg:ARG=${bigValue}` }],
	['buildArgs.value', `${bigValue}!`, 'rejected'],
	['buildArgs.value', 'nul\u0000byte', 'rejected'],
	// Build-arg names.
	['buildArgs.name', 'A=B', 'rejected'],
	['buildArgs.name', '--opt', 'rejected'],
	['buildArgs.name', 'A B', 'rejected'],
	['buildArgs.name', 'ÄRG', 'rejected'],
	// Git URL: env GIT_URL and one `vcs:source=` argv element.
	[
		'gitRepositoryUrl',
		`${URL.replace('.git', '')}$(id).git`,
		{ env: `${URL.replace('.git', '')}$(id).git` },
	],
	[
		'gitRepositoryUrl',
		"https://git.example.com/org/a'b;c&d.git",
		{ env: "https://git.example.com/org/a'b;c&d.git" },
	],
	['gitRepositoryUrl', 'https://git.example.com/org/app.git\n--upload-pack=touch', 'rejected'],
	['gitRepositoryUrl', '--upload-pack=touch /tmp/x', 'rejected'],
	['gitRepositoryUrl', '-oProxyCommand=touch', 'rejected'],
	['gitRepositoryUrl', 'ssh://-oProxyCommand=touch/x', 'rejected'],
	['gitRepositoryUrl', 'ext::sh', 'rejected'],
	['gitRepositoryUrl', 'file:///etc/passwd', 'rejected'],
	['gitRepositoryUrl', 'https://user:token@git.example.com/org/app.git', 'rejected'],
	['gitRepositoryUrl', 'https://git.example.com/org/äpp.git', 'rejected'],
	['gitRepositoryUrl', 'https://git.example.com/org/app.git --bare', 'rejected'],
	['gitRepositoryUrl', `https://git.example.com/${'a'.repeat(2100)}`, 'rejected'],
	// Git revision: env GIT_REVISION only.
	['gitRevision', 'feature/$(id)', { env: 'feature/$(id)' }],
	['gitRevision', 'x`id`', { env: 'x`id`' }],
	['gitRevision', 'it\'s-"q"', { env: 'it\'s-"q"' }],
	['gitRevision', 'ブランチ', { env: 'ブランチ' }],
	['gitRevision', 'main; rm -rf /', 'rejected'],
	['gitRevision', 'main\n--upload-pack=x', 'rejected'],
	['gitRevision', '--upload-pack=touch', 'rejected'],
	['gitRevision', '-b', 'rejected'],
	['gitRevision', '+refs/heads/a:refs/heads/b', 'rejected'],
	['gitRevision', 'main:evil', 'rejected'],
	['gitRevision', 'a..b', 'rejected'],
	['gitRevision', 'x'.repeat(300), 'rejected'],
	// Paths inside the repository.
	['contextPath', 'services/api@2+x', { env: 'services/api@2+x' }],
	['contextPath', '../../etc', 'rejected'],
	['contextPath', '/etc', 'rejected'],
	['contextPath', 'a b', 'rejected'],
	['contextPath', 'a,dockerfile=/etc', 'rejected'],
	['contextPath', '$(id)', 'rejected'],
	['contextPath', 'dir\nx', 'rejected'],
	['dockerfile', '--file', 'rejected'],
	['dockerfile', '.devcontainer/Dockerfile', { env: '.devcontainer/Dockerfile' }],
	['dockerfile', 'Dockerfile;id', 'rejected'],
	['dockerfile', '../../Dockerfile', 'rejected'],
	['dockerfile', 'Dockerfile"x', 'rejected'],
	// Image names, tags, target, platforms.
	['image', 'registry.local:5000/app:1,push=false', 'rejected'],
	['image', 'registry.local:5000/app:1",name=evil', 'rejected'],
	['image', '--privileged', 'rejected'],
	['image', 'registry.local:5000/app:1 --output=x', 'rejected'],
	['image', 'registry.local:5000/app:$(id)', 'rejected'],
	['image', 'registry.local:5000/app:1\nx', 'rejected'],
	['image', 'registry.local:5000/app:ü', 'rejected'],
	['additionalTags', '-latest', 'rejected'],
	['additionalTags', 'latest;id', 'rejected'],
	['additionalTags', 'x'.repeat(129), 'rejected'],
	['target', '--privileged', 'rejected'],
	['target', 'stage name', 'rejected'],
	['target', 'build,push=false', 'rejected'],
	['platforms', 'linux/amd64,linux/arm64,--push', 'rejected'],
	['platforms', 'linux/amd64\nlinux/arm64', 'rejected'],
	['platforms', '--platform', 'rejected'],
	// Names and labels (Kubernetes rules).
	['appName', 'web app', 'rejected'],
	['appName', 'webapp\n', 'rejected'],
	['appName', 'a'.repeat(64), 'rejected'],
	['appName', '-webapp', 'rejected'],
	['appName', 'wébapp', 'rejected'],
	['jobName', 'x'.repeat(64), 'rejected'],
	['jobName', 'job;id', 'rejected'],
	['namespace', 'build-system\nkube-system', 'rejected'],
	['labels.value', 'a: b', 'rejected'],
	['labels.value', 'x'.repeat(64), 'rejected'],
	['labels.name', 'evil/key/too', 'rejected'],
	['gitSecretName', '--from-literal', 'rejected'],
	['registrySecretName', 'a b', 'rejected'],
	['buildkitImage', 'moby/buildkit:v0.32.2-rootless --oci-worker=false', 'rejected'],
	['memoryLimit', '2Gi; rm', 'rejected'],
	['cacheRef', 'registry.local:5000/cache:x,mode=min', 'rejected'],
];

const FIELD_NAMES: Record<string, string> = {
	'buildArgs.value': 'options.buildArgs',
	'buildArgs.name': 'options.buildArgs',
	additionalTags: 'options.additionalTags',
	target: 'options.target',
	platforms: 'options.platforms',
	jobName: 'options.jobName',
	'labels.value': 'options.labels',
	'labels.name': 'options.labels',
	gitSecretName: 'options.gitSecretName',
	registrySecretName: 'options.registrySecretName',
	buildkitImage: 'options.buildkitImage',
	memoryLimit: 'options.memoryLimit',
	cacheRef: 'options.cacheRef',
};

function inputWith(field: string, value: string): BuildJobInput {
	const input: BuildJobInput = {
		appName: 'webapp',
		gitRepositoryUrl: URL,
		gitRevision: 'main',
		image: 'registry.local:5000/webapp/app:1.0.0',
	};
	switch (field) {
		case 'buildArgs.value':
			return { ...input, buildArgs: [{ name: 'ARG', value }] };
		case 'buildArgs.name':
			return { ...input, buildArgs: [{ name: value, value: 'x' }] };
		case 'labels.value':
			return { ...input, labels: [{ name: 'team', value }] };
		case 'labels.name':
			return { ...input, labels: [{ name: value, value: 'x' }] };
		case 'additionalTags':
		case 'platforms':
			return { ...input, [field]: [value] };
		default:
			return { ...input, [field]: value };
	}
}

function allEnv(job: V1Job): Array<{ container: string; name: string; value: string }> {
	const spec = job.spec!.template.spec!;
	return [...(spec.initContainers ?? []), ...spec.containers].flatMap((c: V1Container) =>
		(c.env ?? []).map((e) => ({ container: c.name, name: e.name, value: e.value ?? '' })),
	);
}

function allArgv(job: V1Job): string[] {
	const spec = job.spec!.template.spec!;
	return [...(spec.initContainers ?? []), ...spec.containers].flatMap((c: V1Container) => [
		...(c.command ?? []),
		...(c.args ?? []),
	]);
}

describe('hostile input', () => {
	test('the table is large enough to mean something', () => {
		expect(ROWS.length).toBeGreaterThanOrEqual(50);
	});

	test.each(
		ROWS.map(
			([field, value, expected]) =>
				[field, JSON.stringify(value).slice(0, 60), value, expected] as const,
		),
	)('%s = %s', (field, _shown, value, expected) => {
		const input = inputWith(field, value);
		if (expected === 'rejected') {
			let error: unknown;
			try {
				validateBuildJobInput(input);
			} catch (e) {
				error = e;
			}
			expect(error).toBeInstanceOf(InputError);
			const wanted = FIELD_NAMES[field] ?? field;
			expect((error as InputError).field).toBe(wanted);
			expect((error as InputError).message).toContain(wanted);
			return;
		}
		const plan = validateBuildJobInput(input);
		const job = buildJobManifest(
			plan,
			jobNameFor(plan, () => 'abcde'),
		);
		// The scripts are the fixed constants, whatever the input.
		const spec = job.spec!.template.spec!;
		expect(spec.initContainers![0].command![2]).toBe(GIT_CLONE_SCRIPT);
		expect(spec.containers[0].command![2]).toBe(BUILD_SCRIPT);
		const argv = allArgv(job);
		if (expected.arg !== undefined) {
			expect(argv.filter((a) => a === expected.arg)).toHaveLength(1);
			// It sits right after its own --opt, so it is a value, never a flag.
			expect(argv[argv.indexOf(expected.arg) - 1]).toBe('--opt');
		}
		if (expected.env !== undefined) {
			const carriers = allEnv(job).filter(
				(e) => e.value === expected.env || e.value.includes(expected.env!),
			);
			expect(carriers.filter((e) => e.value === expected.env).length).toBeGreaterThanOrEqual(1);
			// Exactly one env entry per container holds it, and it is held whole.
			expect(carriers.every((e) => e.value === expected.env)).toBe(true);
			expect(new Set(carriers.map((e) => e.container)).size).toBe(carriers.length);
		}
		expect(() =>
			new Job(job as unknown as ConstructorParameters<typeof Job>[0]).validate(),
		).not.toThrow();
		// A JSON round trip (what goes on the wire) keeps the value byte for byte.
		expect(JSON.stringify(JSON.parse(JSON.stringify(job)))).toBe(JSON.stringify(job));
	});
});
