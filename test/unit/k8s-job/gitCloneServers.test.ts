import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import {
	createServer as createHttpServer,
	type IncomingMessage,
	type Server,
	type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Container } from '@kubernetes/client-node';
import { validateBuildJobInput, type BuildJobInput } from '../../../lib/k8s/build/inputs';
import { buildJobManifest } from '../../../lib/k8s/build/manifest';
import { startGitServer, type GitServer } from '../../stack/git';
import { makeCertificates } from '../../stack/k8s/tls';
import { runContainer, scratchPod } from './podRunner';

/**
 * The git-clone init container against real git servers that refuse or cannot be reached (issue 16 G), its
 * credential helper's host and scheme check and redirects (issue 15 #3), and SSH host keys (issue 15 #11).
 * Every server is on 127.0.0.1; the DNS case runs git in an empty network namespace, so no query leaves.
 */

jest.setTimeout(60_000);

const roots: string[] = [];
const servers: Server[] = [];
afterAll(async () => {
	roots.forEach((r) => rmSync(r, { recursive: true, force: true }));
	await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

const SHA = 'a'.repeat(40);
const TOKEN = 'tok-5ec2e7-value';

function gitClone(input: Partial<BuildJobInput>): V1Container {
	const plan = validateBuildJobInput({
		appName: 'webapp',
		gitRepositoryUrl: 'https://git.example.com/org/app.git',
		image: 'registry.local:5000/webapp/app:1',
		...input,
	});
	return buildJobManifest(plan, 'job').spec!.template.spec!.initContainers![0];
}

function secretDir(files: Record<string, string>): string {
	const dir = mkdtempSync(join(tmpdir(), 'git-secret-'));
	roots.push(dir);
	for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
	return dir;
}

async function clone(container: V1Container, env: Record<string, string> = {}) {
	const pod = scratchPod();
	roots.push(pod.root);
	const run = await runContainer(
		container,
		{ WORKSPACE: pod.workspace, TMPDIR: pod.tmp, TERMINATION_LOG: pod.terminationLog, ...env },
		pod.root,
	);
	return { ...run, message: readFileSync(pod.terminationLog, 'utf8') };
}

async function listen(server: Server): Promise<string> {
	servers.push(server);
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A server that answers every request with `status`, and records each Authorization header it receives. */
async function answering(
	status: number,
	headers: Record<string, string> = {},
): Promise<{ host: string; requests: string[]; authorizations: string[] }> {
	const seen = { requests: [] as string[], authorizations: [] as string[] };
	const host = await listen(
		createHttpServer((req: IncomingMessage, res: ServerResponse) => {
			seen.requests.push(req.url ?? '');
			if (req.headers.authorization) seen.authorizations.push(req.headers.authorization);
			res.writeHead(req.headers.authorization && status === 401 ? 404 : status, headers).end();
		}),
	);
	return { host, ...seen };
}

const deadPort = async (): Promise<number> => {
	const server = createHttpServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	await new Promise((resolve) => server.close(resolve));
	return port;
};

describe('git-clone names the real cause of a failed fetch (issue 16 G)', () => {
	test('DNS: a host that does not resolve', async () => {
		const probe = spawnSync('unshare', ['-n', 'true']);
		if (probe.status !== 0)
			throw new Error(`this test needs "unshare -n" (root, util-linux): ${probe.stderr}`);
		const container = gitClone({
			gitRepositoryUrl: 'https://git.example.invalid/org/app.git',
			gitRevision: SHA,
		});
		const r = await clone({ ...container, command: ['unshare', '-n', ...container.command!] });
		expect(r.code).not.toBe(0);
		expect(r.message).toMatch(
			/^cannot fetch from https:\/\/git\.example\.invalid\/org\/app\.git: DNS: cannot resolve git\.example\.invalid \(fatal: .*Could not resolve host/,
		);
		expect(r.stderr).not.toContain('fetching all branches and tags');
	});

	test('connection refused, for a commit id and for a branch', async () => {
		const url = `http://127.0.0.1:${await deadPort()}/org/app.git`;
		for (const gitRevision of [SHA, 'main']) {
			const r = await clone(
				gitClone({ gitRepositoryUrl: url, gitRevision, allowPlainHttpGit: true }),
			);
			expect(r.message).toMatch(
				/: cannot connect to 127\.0\.0\.1:\d+ \(refused or unreachable\) \(fatal: unable to access/,
			);
			expect(r.message).not.toContain('no branch or tag');
		}
	});

	test('TLS: a server whose certificate the pod does not trust', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'git-tls-'));
		roots.push(dir);
		const certs = await makeCertificates(dir);
		const host = await listen(
			createHttpsServer(
				{ cert: readFileSync(certs.certFile), key: readFileSync(certs.keyFile) },
				(_req, res) => res.writeHead(404).end(),
			),
		);
		const r = await clone(
			gitClone({ gitRepositoryUrl: `https://${host}/org/app.git`, gitRevision: SHA }),
		);
		expect(r.message).toMatch(
			/TLS error talking to 127\.0\.0\.1:\d+ .*\(fatal: unable to access .*(SSL|certificate)/,
		);
	});

	test('401 without credentials, 403 and 404, each said as such', async () => {
		const cases: Array<[number, RegExp]> = [
			[401, /authentication failed \(401\): check the token in the git Secret/],
			[403, /access denied \(403\)/],
			[404, /repository not found \(404\)/],
		];
		for (const [status, expected] of cases) {
			const server = await answering(
				status,
				status === 401 ? { 'WWW-Authenticate': 'Basic realm="git"' } : {},
			);
			const r = await clone(
				gitClone({
					gitRepositoryUrl: `http://${server.host}/org/app.git`,
					gitRevision: 'main',
					allowPlainHttpGit: true,
				}),
			);
			expect(r.message).toMatch(expected);
		}
	});

	test('a branch that does not exist is still reported as such (the server answered)', async () => {
		const git = await startGitServer();
		try {
			const url = await git.createBareRepo('app', { Dockerfile: 'FROM scratch\n' });
			const r = await clone(
				gitClone({ gitRepositoryUrl: url, gitRevision: 'no-such-branch', allowPlainHttpGit: true }),
			);
			expect(r.message).toBe(`no branch or tag named no-such-branch in ${url}`);
		} finally {
			await git.stop();
		}
	});
});

describe('the credential helper answers only the planned server; redirects are not followed (issue 15 #3)', () => {
	let git: GitServer;
	let url: string;
	beforeAll(async () => {
		git = await startGitServer({ username: 'n8n-bot', password: TOKEN });
		url = await git.createBareRepo('app', { Dockerfile: 'FROM scratch\n' });
	});
	afterAll(() => git.stop());
	const secret = () => secretDir({ username: 'n8n-bot', token: TOKEN });

	test('the planned host and scheme get the token: the clone works', async () => {
		const r = await clone(
			gitClone({
				gitRepositoryUrl: url,
				gitRevision: 'main',
				allowPlainHttpGit: true,
				gitSecretName: 'git',
			}),
			{ GIT_SECRET_DIR: secret() },
		);
		expect(r.code).toBe(0);
		expect(r.message).toMatch(/^[0-9a-f]{40}$/);
	});

	test('a request for another host or scheme gets no answer from the helper', async () => {
		const container = gitClone({
			gitRepositoryUrl: url,
			gitRevision: 'main',
			allowPlainHttpGit: true,
			gitSecretName: 'git',
		});
		for (const other of [
			{ GIT_URL_HOST: '127.0.0.1:1' },
			{ GIT_URL_HOST: '127.0.0.1' },
			{ GIT_URL_SCHEME: 'https' },
		] as Array<Record<string, string>>) {
			const r = await clone(container, { GIT_SECRET_DIR: secret(), ...other });
			expect(r.code).not.toBe(0);
			expect(r.message).toMatch(/authentication failed \(401\)/);
		}
	});

	test('a redirect to another server is not followed, so that server never sees the token', async () => {
		const target = await answering(401, { 'WWW-Authenticate': 'Basic realm="git"' });
		const redirector = await answering(302, {
			Location: `http://${target.host}/org/app.git/info/refs?service=git-upload-pack`,
		});
		const r = await clone(
			gitClone({
				gitRepositoryUrl: `http://${redirector.host}/org/app.git`,
				gitRevision: 'main',
				allowPlainHttpGit: true,
				gitSecretName: 'git',
			}),
			{
				GIT_SECRET_DIR: secret(),
			},
		);
		expect(r.code).not.toBe(0);
		expect(redirector.requests.length).toBeGreaterThan(0);
		expect(target.requests).toEqual([]);
		expect(r.message).toMatch(/the server redirects \(redirects are not followed\)/);
		expect(redirector.authorizations).toEqual([]);
	});

	test('the Job carries the planned scheme and host:port', () => {
		const env = Object.fromEntries(
			gitClone({ gitRepositoryUrl: 'https://git.example.com:8443/org/app.git' }).env!.map((e) => [
				e.name,
				e.value,
			]),
		);
		expect(env).toMatchObject({ GIT_URL_SCHEME: 'https', GIT_URL_HOST: 'git.example.com:8443' });
		const scp = Object.fromEntries(
			gitClone({ gitRepositoryUrl: 'git@github.com:org/app.git' }).env!.map((e) => [
				e.name,
				e.value,
			]),
		);
		expect(scp).toMatchObject({ GIT_URL_SCHEME: 'ssh', GIT_URL_HOST: 'github.com' });
	});
});

describe('SSH host keys (issue 15 #11)', () => {
	const key =
		'-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n-----END OPENSSH PRIVATE KEY-----\n';

	test('no known_hosts in the git Secret (or no Secret at all): the clone fails before connecting, saying how to fix it', async () => {
		const port = await deadPort();
		for (const env of [{ GIT_SECRET_DIR: secretDir({ 'ssh-privatekey': key }) }, {}] as Array<
			Record<string, string>
		>) {
			const r = await clone(
				gitClone({
					gitRepositoryUrl: `ssh://git@127.0.0.1:${port}/org/app.git`,
					gitRevision: SHA,
					gitSecretName: 'git',
				}),
				env,
			);
			expect(r.code).not.toBe(0);
			expect(r.message).toContain(
				'has no known_hosts key, so the SSH host key of 127.0.0.1 cannot be checked',
			);
			expect(r.message).toContain('Trust SSH Host Key On First Use');
			expect(r.stderr).not.toContain('ssh: connect');
		}
	});

	test('trust on first use is an explicit option: it says so in the log and goes on to connect', async () => {
		const port = await deadPort();
		const container = gitClone({
			gitRepositoryUrl: `ssh://git@127.0.0.1:${port}/org/app.git`,
			gitRevision: SHA,
			gitSecretName: 'git',
			sshTrustOnFirstUse: true,
		});
		expect(container.env!.find((e) => e.name === 'SSH_TRUST_ON_FIRST_USE')?.value).toBe('true');
		const r = await clone(container, { GIT_SECRET_DIR: secretDir({ 'ssh-privatekey': key }) });
		expect(r.stderr).toContain('warning: trusting the SSH host key of 127.0.0.1 on first use');
		expect(r.message).toMatch(
			/connection refused by 127\.0\.0\.1 \(ssh: connect to host 127\.0\.0\.1 port \d+: Connection refused\)/,
		);
	});

	test('with known_hosts the host key is checked strictly', async () => {
		const port = await deadPort();
		const r = await clone(
			gitClone({
				gitRepositoryUrl: `ssh://git@127.0.0.1:${port}/org/app.git`,
				gitRevision: SHA,
				gitSecretName: 'git',
			}),
			{
				GIT_SECRET_DIR: secretDir({
					'ssh-privatekey': key,
					known_hosts:
						'127.0.0.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n',
				}),
			},
		);
		expect(r.message).toContain('connection refused by 127.0.0.1');
		expect(r.stderr).not.toContain('trusting the SSH host key');
	});
});
