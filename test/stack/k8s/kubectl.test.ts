import { execFile, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startKubeStandIn, type KubeStandIn } from './index';
import { testJob } from './testJob';
import { until } from './testing';

// The real kubectl on the machine against the stand-in: the conformance list of issue #3 (apply
// --validate=false, get, wait, logs job/NAME, auth can-i --as, delete) and the least-privilege checks of #10.
const N8N = 'system:serviceaccount:automation:n8n';
// Upper bounds only (the machine is shared and slow at times); nothing here asserts on time.
jest.setTimeout(30_000);
let standIn: KubeStandIn;
let adminConfig: string;
let n8nConfig: string;
let cacheDir: string;

interface Run {
	code: number;
	stdout: string;
	stderr: string;
}

function kubectl(kubeconfig: string, ...args: string[]): Promise<Run> {
	return new Promise((resolve) => {
		execFile(
			'kubectl',
			['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args],
			{ env: { PATH: process.env.PATH, HOME: standIn.dir }, timeout: 60_000 },
			(err, stdout, stderr) =>
				resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
		);
	});
}

function writeJob(name: string, extra: Parameters<typeof testJob>[0] | object = {}): string {
	const file = join(standIn.dir, `${name}.yaml`);
	writeFileSync(
		file,
		stringify(testJob({ name, images: [`127.0.0.1:1/kubectl/${name}:1`], ...extra })),
	);
	return file;
}

beforeAll(async () => {
	standIn = await startKubeStandIn();
	cacheDir = join(standIn.dir, 'kube-cache');
	mkdirSync(cacheDir);
	adminConfig = standIn.kubeconfigFile(standIn.adminToken, 'admin.yaml');
	n8nConfig = standIn.kubeconfigFile(standIn.tokenFor('automation', 'n8n'), 'n8n.yaml');
	await standIn.setScenario('default', { outcome: 'succeed', runMs: 200 });
});

afterAll(async () => {
	await standIn?.stop();
});

test('kubectl version reaches the server over TLS with the CA from the kubeconfig', async () => {
	const r = await kubectl(adminConfig, 'version', '-o', 'json');
	expect(r.code).toBe(0);
	expect(JSON.parse(r.stdout).serverVersion.gitVersion).toMatch(/^v1\.\d+\.\d+/);
});

test('apply --validate=false, get, wait --for=condition=complete, logs job/NAME, delete', async () => {
	const apply = await kubectl(n8nConfig, 'apply', '--validate=false', '-f', writeJob('kc-build'));
	expect(apply).toMatchObject({ code: 0, stdout: 'job.batch/kc-build created\n' });

	const get = await kubectl(n8nConfig, 'get', 'jobs');
	expect(get.code).toBe(0);
	expect(get.stdout).toMatch(/^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\n/);
	expect(get.stdout).toMatch(/\nkc-build\s/);

	const wait = await kubectl(
		n8nConfig,
		'wait',
		'--for=condition=complete',
		'job/kc-build',
		'--timeout=30s',
	);
	expect(wait).toMatchObject({ code: 0, stdout: 'job.batch/kc-build condition met\n' });
	const status = await kubectl(
		n8nConfig,
		'get',
		'job',
		'kc-build',
		'-o',
		'jsonpath={.status.succeeded}',
	);
	expect(status.stdout).toBe('1');

	const logs = await kubectl(n8nConfig, 'logs', 'job/kc-build');
	expect(logs.code).toBe(0);
	expect(logs.stderr).toContain(
		'Defaulted container "buildkit" out of: buildkit, git-clone (init)',
	);
	expect(logs.stdout).toMatch(
		/pushing manifest for 127\.0\.0\.1:1\/kubectl\/kc-build:1@sha256:[0-9a-f]{64}/,
	);
	const clone = await kubectl(n8nConfig, 'logs', 'job/kc-build', '-c', 'git-clone', '--tail=1');
	expect(clone.stdout).toMatch(/^HEAD is now at [0-9a-f]{7} main\n$/);

	const del = await kubectl(n8nConfig, 'delete', 'job', 'kc-build');
	expect(del).toMatchObject({ code: 0, stdout: 'job.batch "kc-build" deleted\n' });
	const gone = await kubectl(n8nConfig, 'get', 'job', 'kc-build');
	expect(gone.code).toBe(1);
	expect(gone.stderr).toContain('Error from server (NotFound): jobs.batch "kc-build" not found');
	const pods = await kubectl(adminConfig, 'get', 'pods', '-l', 'job-name=kc-build', '-o', 'name');
	expect(pods.stdout).toBe('');
});

test('wait --for=condition=failed on a failing build; logs show the build error', async () => {
	await standIn.setScenario({ jobName: 'kc-fail' }, { outcome: 'build-fail', runMs: 150 });
	expect(
		(await kubectl(adminConfig, 'apply', '--validate=false', '-f', writeJob('kc-fail'))).code,
	).toBe(0);
	const wait = await kubectl(
		adminConfig,
		'wait',
		'--for=condition=failed',
		'job/kc-fail',
		'--timeout=30s',
	);
	expect(wait).toMatchObject({ code: 0, stdout: 'job.batch/kc-fail condition met\n' });
	const reason = await kubectl(
		adminConfig,
		'get',
		'job',
		'kc-fail',
		'-o',
		'jsonpath={.status.conditions[?(@.type=="Failed")].reason}',
	);
	expect(reason.stdout).toBe('BackoffLimitExceeded');
	const logs = await kubectl(adminConfig, 'logs', 'job/kc-fail', '-c', 'buildkit');
	expect(logs.stdout).toContain('ERROR: failed to solve');
});

test('logs -f job/NAME follows a running build to its end', async () => {
	await standIn.setScenario({ jobName: 'kc-follow' }, { outcome: 'succeed', runMs: 800 });
	expect(
		(await kubectl(adminConfig, 'apply', '--validate=false', '-f', writeJob('kc-follow'))).code,
	).toBe(0);
	await kubectl(
		adminConfig,
		'wait',
		'--for=jsonpath={.status.ready}=1',
		'job/kc-follow',
		'--timeout=30s',
	);
	const follow = await kubectl(adminConfig, 'logs', '-f', 'job/kc-follow', '-c', 'buildkit');
	expect(follow.code).toBe(0);
	expect(follow.stdout).toMatch(/^#1 \[internal\] load build definition/);
	expect(follow.stdout).toMatch(/#6 DONE 1\.4s\n$/);
});

test('get -w prints server-side table rows as the Job moves to Complete', async () => {
	await standIn.setScenario({ jobName: 'kc-watch' }, { outcome: 'succeed', runMs: 150 });
	const watcher = spawn(
		'kubectl',
		['--kubeconfig', adminConfig, '--cache-dir', cacheDir, 'get', 'jobs', '-w'],
		{ env: { PATH: process.env.PATH, HOME: standIn.dir } },
	);
	let out = '';
	const complete = new Promise<void>((resolve) =>
		watcher.stdout.on('data', (c) => {
			out += c;
			if (/\nkc-watch\s+Complete\s+1\/1/.test(out)) resolve();
		}),
	);
	try {
		await until(
			'watch to start',
			() => standIn.openWatches(),
			(n) => n > 0,
		);
		expect(
			(await kubectl(adminConfig, 'apply', '--validate=false', '-f', writeJob('kc-watch'))).code,
		).toBe(0);
		await complete;
	} finally {
		watcher.kill();
	}
	expect(out).toMatch(/^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\n/);
	expect(out).toMatch(/\nkc-watch\s+Running\s+0\/1/);
});

test('the flags form (--server, --certificate-authority, --token) works without a kubeconfig', async () => {
	const flags = (...args: string[]) =>
		new Promise<Run>((resolve) =>
			execFile(
				'kubectl',
				[
					'--server',
					standIn.url,
					'--certificate-authority',
					standIn.caFile,
					'--token',
					standIn.tokenFor('automation', 'n8n'),
					'--cache-dir',
					cacheDir,
					'-n',
					'build-system',
					...args,
				],
				{ env: { PATH: process.env.PATH, HOME: standIn.dir } },
				(err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }),
			),
		);
	expect(await flags('auth', 'can-i', 'create', 'jobs')).toMatchObject({
		code: 0,
		stdout: 'yes\n',
	});
	const created = await flags(
		'apply',
		'--validate=false',
		'-f',
		writeJob('kc-flags'),
		'-o',
		'name',
	);
	expect(created).toMatchObject({ code: 0, stdout: 'job.batch/kc-flags\n' });
	const wrongCa = await new Promise<Run>((resolve) =>
		execFile(
			'kubectl',
			[
				'--server',
				standIn.url,
				'--certificate-authority',
				'/etc/ssl/certs/ca-certificates.crt',
				'--token',
				standIn.adminToken,
				'--cache-dir',
				cacheDir,
				'get',
				'jobs',
			],
			{ env: { PATH: process.env.PATH, HOME: standIn.dir } },
			(err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }),
		),
	);
	expect(wrongCa.code).toBe(1);
	expect(wrongCa.stderr).toContain('certificate signed by unknown authority');
});

// What the n8n identity may do: exactly what the nodes need (deploy/role.yaml), nothing more. `pods/exec` in
// kubectl's TYPE/NAME syntax would mean a pod named "exec", so subresources go through --subresource.
const allowed = [
	['create', 'jobs', ''],
	['get', 'jobs', ''],
	['list', 'jobs', ''],
	['watch', 'jobs', ''],
	['delete', 'jobs', ''],
	['get', 'pods', ''],
	['list', 'pods', ''],
	['watch', 'pods', ''],
	['get', 'pods', '--subresource=log'],
];
const denied = [
	['get', 'secrets', ''],
	['list', 'secrets', ''],
	['create', 'secrets', ''],
	['create', 'pods', '--subresource=exec'],
	['get', 'pods', '--subresource=exec'],
	['create', 'pods', '--subresource=attach'],
	['create', 'pods', ''],
	['delete', 'pods', ''],
	['update', 'jobs', ''],
	['patch', 'jobs', ''],
	['create', 'configmaps', ''],
	['create', 'serviceaccounts', '--subresource=token'],
	['create', 'rolebindings.rbac.authorization.k8s.io', ''],
	['update', 'jobs', '--subresource=status'],
];
const canI = (verb: string, resource: string, extra: string, ...rest: string[]) =>
	kubectl(
		adminConfig,
		'auth',
		'can-i',
		verb,
		resource,
		...(extra ? [extra] : []),
		...rest,
		`--as=${N8N}`,
	);

test.each(allowed)(
	'auth can-i %s %s %s -n build-system --as n8n → yes',
	async (verb, resource, extra) => {
		expect(await canI(verb, resource, extra, '-n', 'build-system')).toMatchObject({
			code: 0,
			stdout: 'yes\n',
		});
	},
);

test('auth can-i really posted protobuf SelfSubjectAccessReviews (decoded by the stand-in)', async () => {
	const reviews = (await standIn.requests()).filter(
		(r) => r.path === '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
	);
	expect(reviews.length).toBeGreaterThanOrEqual(allowed.length);
	expect(
		reviews.every(
			(r) =>
				r.contentType === 'application/vnd.kubernetes.protobuf' &&
				r.status === 201 &&
				r.user === N8N,
		),
	).toBe(true);
});

test.each(denied)(
	'auth can-i %s %s %s -n build-system --as n8n → no',
	async (verb, resource, extra) => {
		expect(await canI(verb, resource, extra, '-n', 'build-system')).toMatchObject({
			code: 1,
			stdout: 'no\n',
		});
	},
);

test.each([
	['create', 'jobs', 'default'],
	['list', 'jobs', 'kube-system'],
	['get', 'pods', 'automation'],
	['get', 'secrets', 'automation'],
])('auth can-i %s %s in another namespace (%s) → no', async (verb, resource, ns) => {
	expect(await canI(verb, resource, '', '-n', ns)).toMatchObject({ code: 1, stdout: 'no\n' });
});

test.each([
	['list', 'namespaces', ''],
	['list', 'nodes', ''],
	['get', 'clusterroles', ''],
	['create', 'namespaces', ''],
	['list', 'jobs', '--all-namespaces'],
])('cluster-scoped: auth can-i %s %s %s → no', async (verb, resource, extra) => {
	expect(await canI(verb, resource, extra)).toMatchObject({ code: 1, stdout: 'no\n' });
});

test('the n8n token itself: the denials are real 403s from the API, not missing resources', async () => {
	const secrets = await kubectl(n8nConfig, 'get', 'secrets');
	expect(secrets.code).toBe(1);
	expect(secrets.stderr).toContain(
		`Error from server (Forbidden): secrets is forbidden: User "${N8N}" cannot list resource "secrets" in API group "" in the namespace "build-system"`,
	);
	const other = await kubectl(n8nConfig, 'get', 'jobs', '-n', 'default');
	expect(other.stderr).toContain(
		`cannot list resource "jobs" in API group "batch" in the namespace "default"`,
	);
	const ns = await kubectl(n8nConfig, 'get', 'namespaces');
	expect(ns.stderr).toContain(
		`cannot list resource "namespaces" in API group "" at the cluster scope`,
	);
	const asSomeoneElse = await kubectl(n8nConfig, 'get', 'jobs', '--as=system:admin');
	expect(asSomeoneElse.stderr).toContain(
		`users "system:admin" is forbidden: User "${N8N}" cannot impersonate resource "users"`,
	);
	const selfCheck = await kubectl(n8nConfig, 'auth', 'can-i', 'create', 'jobs');
	expect(selfCheck).toMatchObject({ code: 0, stdout: 'yes\n' });
});
