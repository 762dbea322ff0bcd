import {
	chmodSync,
	existsSync,
	mkdirSync,
	mkdtempSync,
	readFileSync,
	rmSync,
	symlinkSync,
	writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Container } from '@kubernetes/client-node';
import { validateBuildJobInput, type BuildJobInput } from '../../../lib/k8s/build/inputs';
import { buildJobManifest } from '../../../lib/k8s/build/manifest';
import { git, runContainer, scratchPod } from './podRunner';

/**
 * The Job's two fixed scripts, run for real: git-clone with real git against local repositories (file://
 * allowed only here, through GIT_ALLOW_PROTOCOL), and the build step with a stand-in for
 * buildctl-daemonless.sh that records its argv and writes a metadata file the way buildctl does.
 */

jest.setTimeout(60_000);

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

const EVIL_BRANCH = 'x$(touch${IFS}pwned)`touch${IFS}pwned2`';

function makeRepo(): {
	url: string;
	bare: string;
	first: string;
	hidden: string;
	main: string;
	tagged: string;
} {
	const root = mkdtempSync(join(tmpdir(), 'k8s-job-repo-'));
	roots.push(root);
	const work = join(root, 'work');
	const bare = join(root, 'app.git');
	mkdirSync(work);
	git(['init', '-q', '-b', 'main'], work);
	writeFileSync(join(work, 'Dockerfile'), 'FROM scratch\n');
	git(['add', '-A'], work);
	git(['commit', '-q', '-m', 'first'], work);
	const first = git(['rev-parse', 'HEAD'], work);
	mkdirSync(join(work, 'services/api'), { recursive: true });
	writeFileSync(join(work, 'services/api/Dockerfile.prod'), 'FROM scratch\n');
	symlinkSync('/etc', join(work, 'escape'));
	git(['add', '-A'], work);
	git(['commit', '-q', '-m', 'second'], work);
	git(['tag', '-a', '-m', 'release', 'v1.0.0'], work);
	const tagged = git(['rev-parse', 'HEAD'], work);
	writeFileSync(join(work, 'README'), 'third\n');
	git(['add', '-A'], work);
	git(['commit', '-q', '-m', 'third'], work);
	const hidden = git(['rev-parse', 'HEAD'], work);
	writeFileSync(join(work, 'README'), 'fourth\n');
	git(['commit', '-q', '-a', '-m', 'fourth'], work);
	const main = git(['rev-parse', 'HEAD'], work);
	git(['branch', EVIL_BRANCH, first], work);
	git(['init', '-q', '--bare', bare], root);
	git(['push', '-q', '--all', bare], work);
	git(['push', '-q', '--tags', bare], work);
	return { url: `file://${bare}`, bare, first, hidden, main, tagged };
}

const base: BuildJobInput = {
	appName: 'webapp',
	gitRepositoryUrl: 'https://git.example.com/org/app.git',
	image: 'registry.local:5000/webapp/app:1.0.0',
};

function containers(input: Partial<BuildJobInput>): {
	gitClone: V1Container;
	buildkit: V1Container;
} {
	const job = buildJobManifest(validateBuildJobInput({ ...base, ...input }), 'job');
	return {
		gitClone: job.spec!.template.spec!.initContainers![0],
		buildkit: job.spec!.template.spec!.containers[0],
	};
}

async function clone(
	repoUrl: string,
	input: Partial<BuildJobInput>,
	extraEnv: Record<string, string> = {},
) {
	const pod = scratchPod();
	roots.push(pod.root);
	const run = await runContainer(
		containers(input).gitClone,
		{
			GIT_URL: repoUrl,
			GIT_ALLOW_PROTOCOL: 'file',
			WORKSPACE: pod.workspace,
			TMPDIR: pod.tmp,
			TERMINATION_LOG: pod.terminationLog,
			...extraEnv,
		},
		pod.root,
	);
	const message = readFileSync(pod.terminationLog, 'utf8');
	const revisionFile = join(pod.workspace, 'git-revision');
	return {
		...run,
		pod,
		message,
		revision: existsSync(revisionFile) ? readFileSync(revisionFile, 'utf8').trim() : undefined,
	};
}

describe('git-clone script', () => {
	let repo: ReturnType<typeof makeRepo>;
	beforeAll(() => {
		repo = makeRepo();
	});

	test('a branch is resolved to its tip commit, reported in the termination message', async () => {
		const r = await clone(repo.url, { gitRevision: 'main' });
		expect(r.code).toBe(0);
		expect(r.message).toBe(repo.main);
		expect(r.revision).toBe(repo.main);
		expect(git(['rev-parse', 'HEAD'], join(r.pod.workspace, 'src'))).toBe(repo.main);
	});

	test('a full SHA that is not a branch tip is checked out exactly', async () => {
		const r = await clone(repo.url, { gitRevision: repo.first });
		expect(r.code).toBe(0);
		expect(r.message).toBe(repo.first);
		expect(existsSync(join(r.pod.workspace, 'src/services'))).toBe(false);
	});

	test('a full SHA is still built exactly when the server refuses fetch-by-id (fallback fetch)', async () => {
		// Protocol v0 without allowReachableSHA1InWant refuses a "want" of a non-tip commit.
		git(['config', 'uploadpack.allowReachableSHA1InWant', 'false'], repo.bare);
		const r = await clone(
			repo.url,
			{ gitRevision: repo.hidden },
			{ GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'protocol.version', GIT_CONFIG_VALUE_0: '0' },
		);
		expect(r.code).toBe(0);
		expect(r.stderr).toContain('fetching all branches and tags');
		expect(r.message).toBe(repo.hidden);
	});

	test('an annotated tag is resolved to the commit it points at', async () => {
		const r = await clone(repo.url, { gitRevision: 'v1.0.0' });
		expect(r.code).toBe(0);
		expect(r.message).toBe(repo.tagged);
	});

	test('a monorepo context and Dockerfile path are checked before the build', async () => {
		const ok = await clone(repo.url, {
			gitRevision: 'main',
			contextPath: 'services/api',
			dockerfile: 'Dockerfile.prod',
		});
		expect(ok.code).toBe(0);
		const missing = await clone(repo.url, {
			gitRevision: 'main',
			contextPath: 'services/api',
			dockerfile: 'Dockerfile',
		});
		expect(missing.code).not.toBe(0);
		expect(missing.message).toContain("Dockerfile 'Dockerfile' not found in 'services/api'");
	});

	test('a context that is a symlink out of the repository is refused', async () => {
		const r = await clone(repo.url, { gitRevision: 'main', contextPath: 'escape' });
		expect(r.code).not.toBe(0);
		expect(r.message).toContain('leads outside the repository');
	});

	test('an unknown branch fails with the reason in the termination message', async () => {
		const r = await clone(repo.url, { gitRevision: 'no-such-branch' });
		expect(r.code).not.toBe(0);
		expect(r.message).toContain('no branch or tag named no-such-branch');
	});

	test('a branch name full of shell syntax is only ever data', async () => {
		const r = await clone(repo.url, { gitRevision: EVIL_BRANCH });
		expect(r.code).toBe(0);
		expect(r.message).toBe(repo.first);
		expect(existsSync(join(r.pod.root, 'pwned'))).toBe(false);
		expect(existsSync(join(r.pod.root, 'pwned2'))).toBe(false);
		expect(existsSync(join(r.pod.workspace, 'src', 'pwned'))).toBe(false);
	});

	test('git itself refuses transports outside GIT_ALLOW_PROTOCOL (the manifest allows https and ssh only)', async () => {
		const manifestProtocols = containers({}).gitClone.env!.find(
			(e) => e.name === 'GIT_ALLOW_PROTOCOL',
		)!.value!;
		const r = await clone(
			repo.url,
			{ gitRevision: 'main' },
			{ GIT_ALLOW_PROTOCOL: manifestProtocols },
		);
		expect(r.code).not.toBe(0);
		expect(r.stderr).toMatch(/transport 'file' not allowed/);
	});
});

describe('build script', () => {
	const digest = `sha256:${'ab'.repeat(32)}`;
	const commit = 'c'.repeat(40);

	/**
	 * Stands in for buildctl-daemonless.sh: records argv and BUILDKITD_FLAGS, prints `output` (as buildctl prints
	 * progress and its final error), writes metadata as buildctl does (indented JSON; "cache.manifest" only when
	 * the cache export worked).
	 */
	function stubBuildctl(
		dir: string,
		opts: { exitCode?: number; writeDigest?: boolean; cacheWritten?: boolean; output?: string },
	): string {
		const bin = join(dir, 'bin');
		mkdirSync(bin);
		const meta: Record<string, unknown> = {
			'containerimage.config.digest': `sha256:${'0'.repeat(64)}`,
		};
		if (opts.writeDigest ?? true) meta['containerimage.digest'] = digest;
		if (opts.cacheWritten ?? true)
			meta['cache.manifest'] = {
				mediaType: 'application/vnd.oci.image.index.v1+json',
				digest: `sha256:${'d'.repeat(64)}`,
			};
		const script = `#!/usr/bin/env node
const fs = require('fs');
const argv = process.argv.slice(2);
fs.writeFileSync(${JSON.stringify(join(dir, 'argv.json'))}, JSON.stringify(argv));
fs.writeFileSync(${JSON.stringify(join(dir, 'flags'))}, process.env.BUILDKITD_FLAGS || '');
process.stderr.write(${JSON.stringify(opts.output ?? '')});
const i = argv.indexOf('--metadata-file');
if (${(opts.exitCode ?? 0) === 0}) fs.writeFileSync(argv[i + 1], JSON.stringify(${JSON.stringify(meta)}, null, '  '));
process.exit(${opts.exitCode ?? 0});
`;
		writeFileSync(join(bin, 'buildctl-daemonless.sh'), script);
		chmodSync(join(bin, 'buildctl-daemonless.sh'), 0o755);
		return bin;
	}

	async function build(
		input: Partial<BuildJobInput>,
		opts: {
			exitCode?: number;
			writeDigest?: boolean;
			cacheWritten?: boolean;
			output?: string;
			revision?: string;
			env?: Record<string, string>;
		} = {},
	) {
		const pod = scratchPod();
		roots.push(pod.root);
		writeFileSync(join(pod.workspace, 'git-revision'), `${opts.revision ?? commit}\n`);
		const bin = stubBuildctl(pod.root, opts);
		const container = containers(input).buildkit;
		const run = await runContainer(
			container,
			{
				PATH: `${bin}:${process.env.PATH}`,
				WORKSPACE: pod.workspace,
				METADATA_FILE: join(pod.tmp, 'metadata.json'),
				TERMINATION_LOG: pod.terminationLog,
				...opts.env,
			},
			pod.root,
		);
		const argvFile = join(pod.root, 'argv.json');
		return {
			...run,
			container,
			argv: existsSync(argvFile) ? (JSON.parse(readFileSync(argvFile, 'utf8')) as string[]) : [],
			buildkitdFlags: existsSync(join(pod.root, 'flags'))
				? readFileSync(join(pod.root, 'flags'), 'utf8')
				: undefined,
			message: readFileSync(pod.terminationLog, 'utf8'),
		};
	}

	test('buildctl receives the manifest args verbatim, then the resolved commit; the digest lands in the termination message', async () => {
		const evil = 'a b; rm -rf / $(id) `id` "q" \'s\'\nline2 --push';
		const r = await build({ buildArgs: [{ name: 'EVIL', value: evil }] });
		expect(r.code).toBe(0);
		expect(r.argv.slice(0, r.container.args!.length)).toEqual(r.container.args);
		expect(r.argv).toContain(`build-arg:EVIL=${evil}`);
		expect(r.argv.slice(r.container.args!.length)).toEqual([
			'--opt',
			`vcs:revision=${commit}`,
			'--opt',
			`label:org.opencontainers.image.revision=${commit}`,
			'--metadata-file',
			expect.stringContaining('metadata.json'),
		]);
		expect(JSON.parse(r.message)).toEqual({
			digest,
			image: 'registry.local:5000/webapp/app:1.0.0',
			revision: commit,
			cache: 'written',
		});
	});

	test('a failed build fails the container with no digest, and leaves the final error line, credentials masked, as the termination message', async () => {
		const output = [
			'#5 [2/2] RUN exit 3',
			'#5 ERROR: process "/bin/sh -c exit 3" did not complete successfully: exit code: 3',
			'error: failed to solve: failed to fetch https://bot:s3cr3t-tok@git.example.com/x: token=abc123 refused',
			'',
		].join('\n');
		const r = await build({}, { exitCode: 3, output });
		expect(r.code).toBe(3);
		expect(r.message).toBe(
			'failed to solve: failed to fetch https://***@git.example.com/x: token=*** refused',
		);
		expect(r.stdout + r.stderr).toContain('#5 ERROR: process');
		const long = await build({}, { exitCode: 1, output: `error: ${'x'.repeat(5000)}\n` });
		expect(long.message.length).toBe(1024);
		const noErrorLine = await build(
			{},
			{
				exitCode: 1,
				output: 'could not connect to unix:///run/buildkit/buildkitd.sock after 10 trials\n\n',
			},
		);
		expect(noErrorLine.message).toBe(
			'could not connect to unix:///run/buildkit/buildkitd.sock after 10 trials',
		);
	});

	test('a cache that was not written does not fail the build; the result and the log say so', async () => {
		const r = await build({}, { cacheWritten: false });
		expect(r.code).toBe(0);
		expect(JSON.parse(r.message)).toMatchObject({ digest, cache: 'not written' });
		expect(r.stderr).toContain(
			'the build cache was not written to registry.local:5000/webapp/app:buildcache',
		);
		const disabled = await build({ cacheMode: 'disabled' }, { cacheWritten: false });
		expect(JSON.parse(disabled.message)).toEqual({
			digest,
			image: 'registry.local:5000/webapp/app:1.0.0',
			revision: commit,
		});
	});

	test('buildkitd.toml: passed to buildkitd with --config; a missing ConfigMap key fails at once, naming the ConfigMap', async () => {
		const pod = scratchPod();
		roots.push(pod.root);
		const config = join(pod.root, 'buildkitd.toml');
		writeFileSync(config, '[registry."docker.io"]\n  mirrors = ["127.0.0.1:5000"]\n');
		const r = await build(
			{ buildkitdConfigMap: 'buildkitd-config' },
			{ env: { BUILDKITD_CONFIG: config, BUILDKITD_FLAGS: '--oci-worker-no-process-sandbox' } },
		);
		expect(r.code).toBe(0);
		expect(r.buildkitdFlags).toBe(`--oci-worker-no-process-sandbox --config=${config}`);
		const missing = await build(
			{ buildkitdConfigMap: 'buildkitd-config' },
			{ env: { BUILDKITD_CONFIG: join(pod.root, 'absent.toml') } },
		);
		expect(missing.code).not.toBe(0);
		expect(missing.argv).toEqual([]);
		expect(missing.message).toBe(
			'ConfigMap buildkitd-config has no key buildkitd.toml, or is not in this namespace (Options → BuildKit Config Map)',
		);
	});

	test('a build that reports no digest fails instead of claiming success', async () => {
		const r = await build({}, { writeDigest: false });
		expect(r.code).not.toBe(0);
		expect(r.stderr).toContain('no image digest');
	});

	test('a git-revision file that is not a SHA stops the build before buildctl runs', async () => {
		const r = await build({}, { revision: '$(id)' });
		expect(r.code).not.toBe(0);
		expect(r.argv).toEqual([]);
	});
});
