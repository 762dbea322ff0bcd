import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBuildKitJob } from '../../nodes/CreateBuildKitJob/CreateBuildKitJob.node';
import { WaitForJob } from '../../nodes/WaitForJob/WaitForJob.node';
import { makeCertificates } from '../stack/k8s/tls';
import {
	capture,
	credentialTestContext,
	decrypted,
	executeContext,
	leakedCanaries,
	writeCounts,
	type Capture,
} from './harness';

/**
 * Host access through a Kubernetes credential: whoever can save a credential must not get the n8n host to read
 * a file, run a command, or send or show what it read. Every kubeconfig field that @kubernetes/client-node turns
 * into a file read or a command (and the in-cluster files root, if credential data could choose it) is tried
 * through the credential test, Create BuildKit Job and Wait for Job. Each must be refused naming the field; the
 * files hold canaries that must appear in no output, error or log and never reach the API server, which here
 * is a TLS server that records every Authorization header it receives.
 */

jest.setTimeout(60_000);

const tag = randomBytes(6).toString('hex');
const FILE_SECRET = `HostFileCanary-${tag}-f`;
const NAMESPACE_SECRET = `ns-canary-${tag}`;
const counts = {
	tried: 0,
	refused: 0,
	fileContentsSent: 0,
	commandsRun: 0,
	leaks: 0,
	leakDetails: [] as string[],
};

let dir: string;
let caPem: string;
let server: Server;
let serverUrl: string;
const authorizations: string[] = [];
let canaries: Record<string, { secret: string }>;

beforeAll(async () => {
	dir = await mkdtemp(join(tmpdir(), 'hardening-host-access-'));
	await mkdir(join(dir, 'tls'));
	const tls = await makeCertificates(join(dir, 'tls'));
	caPem = tls.caPem;
	await writeFile(join(dir, 'token'), `${FILE_SECRET}\n`);
	await writeFile(
		join(dir, 'client.crt'),
		`-----BEGIN CERTIFICATE-----\n${FILE_SECRET}\n-----END CERTIFICATE-----\n`,
	);
	await writeFile(
		join(dir, 'client.key'),
		`-----BEGIN PRIVATE KEY-----\n${FILE_SECRET}\n-----END PRIVATE KEY-----\n`,
	);
	const sa = join(dir, 'root/var/run/secrets/kubernetes.io/serviceaccount');
	await mkdir(sa, { recursive: true });
	await writeFile(join(sa, 'token'), FILE_SECRET);
	await writeFile(join(sa, 'ca.crt'), caPem);
	await writeFile(join(sa, 'namespace'), NAMESPACE_SECRET);
	server = createServer(
		{ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) },
		(req, res) => {
			authorizations.push(String(req.headers.authorization ?? ''));
			req.resume();
			res.writeHead(401, { 'content-type': 'application/json' });
			res.end(
				JSON.stringify({
					kind: 'Status',
					apiVersion: 'v1',
					status: 'Failure',
					reason: 'Unauthorized',
					message: 'Unauthorized',
					code: 401,
				}),
			);
		},
	);
	await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
	serverUrl = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
	// What /proc/self/environ holds for this process: every longer entry is a canary (PATH=..., NODE_OPTIONS=...).
	const environ = readFileSync('/proc/self/environ', 'utf8')
		.split('\0')
		.filter((entry) => entry.length >= 24);
	canaries = Object.fromEntries([
		['file', { secret: FILE_SECRET }],
		['namespace file', { secret: NAMESPACE_SECRET }],
		...environ.map((entry, i) => [`environ[${i}]`, { secret: entry }]),
	]);
	expect(environ.length).toBeGreaterThan(0);
});

afterAll(async () => {
	writeCounts('host-access', counts);
	await new Promise<void>((done) => server.close(() => done()));
	await rm(dir, { recursive: true, force: true });
});

const sentinel = () => join(dir, 'pwned');
const caData = () => Buffer.from(caPem).toString('base64');

function kubeconfig(user: string, cluster = '', otherUser = ''): string {
	return `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: ${serverUrl}
    certificate-authority-data: ${caData()}
${cluster}
users:
- name: u
  user:
${user}
${otherUser}
contexts:
- name: ctx
  context: { cluster: c, user: u }
current-context: ctx
`;
}

interface Row {
	name: string;
	/** The kubeconfig, given the temp dir. */
	config: () => string;
	/** What the refusal must say: the field, and the inline form to use instead. */
	says: RegExp;
}

const ROWS: Row[] = [
	{
		name: 'token-file: /proc/self/environ',
		config: () => kubeconfig('    token-file: /proc/self/environ'),
		says: /token-file.*token:/s,
	},
	{
		name: 'token-file: a one-line file',
		config: () => kubeconfig(`    token-file: ${join(dir, 'token')}`),
		says: /token-file.*token:/s,
	},
	{
		name: 'tokenFile: a one-line file',
		config: () => kubeconfig(`    tokenFile: ${join(dir, 'token')}`),
		says: /tokenFile.*token:/s,
	},
	{
		name: 'token-file on a user the context does not use',
		config: () =>
			kubeconfig(
				'    token: not-a-secret',
				'',
				`- name: other\n  user:\n    token-file: ${join(dir, 'token')}`,
			),
		says: /token-file/,
	},
	{
		name: 'client-certificate and client-key paths',
		config: () =>
			kubeconfig(
				`    client-certificate: ${join(dir, 'client.crt')}\n    client-key: ${join(dir, 'client.key')}`,
			),
		says: /client-certificate.*client-certificate-data/s,
	},
	{
		name: 'client-key path with inline certificate',
		config: () =>
			kubeconfig(
				`    client-certificate-data: ${caData()}\n    client-key: ${join(dir, 'client.key')}`,
			),
		says: /client-key.*client-key-data/s,
	},
	{
		name: 'certificate-authority path',
		config: () =>
			kubeconfig(
				'    token: not-a-secret',
				`    certificate-authority: ${join(dir, 'client.crt')}`,
			),
		says: /certificate-authority.*certificate-authority-data/s,
	},
	{
		name: 'exec command',
		config: () =>
			kubeconfig(
				`    exec: { apiVersion: client.authentication.k8s.io/v1, command: /bin/sh, args: ["-c", "touch ${sentinel()}"] }`,
			),
		says: /exec/,
	},
	{
		name: 'auth-provider gcp cmd-path',
		config: () =>
			kubeconfig(
				`    auth-provider: { name: gcp, config: { cmd-path: /bin/sh, cmd-args: "-c 'touch ${sentinel()}'" } }`,
			),
		says: /auth-provider/,
	},
	{
		name: 'auth-provider tokenFile',
		config: () =>
			kubeconfig(`    auth-provider: { name: file, config: { tokenFile: ${join(dir, 'token')} } }`),
		says: /auth-provider/,
	},
	{
		name: 'proxy-url that is not http(s) or socks',
		config: () =>
			kubeconfig('    token: not-a-secret', `    proxy-url: file://${join(dir, 'token')}`),
		says: /proxy-url/,
	},
	{
		name: 'YAML merge key hiding token-file',
		config: () => kubeconfig(`    <<: { token-file: ${join(dir, 'token')} }`),
		says: /token-file/,
	},
];

const create = new CreateBuildKitJob();
const wait = new WaitForJob();
const createParams = {
	namespace: 'build-system',
	appName: 'webapp',
	gitRepositoryUrl: 'https://git.example.test/org/webapp.git',
	gitRevision: 'main',
	contextPath: '',
	dockerfile: 'Dockerfile',
	image: '127.0.0.1:5000/webapp/app:1.2.3',
	options: {},
};
const waitParams = {
	namespace: 'build-system',
	jobName: 'webapp-1',
	timeoutSeconds: 2,
	stuckAfterSeconds: 0,
	logTailLines: 20,
	failOnJobFailure: true,
	deleteWhenDone: false,
};

/** The three ways a credential reaches the client: the credential test and the two Kubernetes nodes. */
function surfaces(
	credential: object,
): Array<[string, () => Promise<unknown>, (c: Capture<unknown>) => string]> {
	return [
		[
			'credential test',
			() =>
				create.methods.credentialTest.kubernetesApiConnectionTest.call(
					credentialTestContext(),
					decrypted('kubernetesApi', credential),
				),
			(c) => {
				expect((c.value as { status: string }).status).toBe('Error');
				return (c.value as { message: string }).message;
			},
		],
		[
			'Create BuildKit Job',
			() =>
				create.execute.call(
					executeContext({ params: createParams, credentials: { kubernetesApi: credential } }),
				),
			(c) => (c.error as Error).message,
		],
		[
			'Wait for Job',
			() =>
				wait.execute.call(
					executeContext({ params: waitParams, credentials: { kubernetesApi: credential } }),
				),
			(c) => (c.error as Error).message,
		],
	];
}

async function run(
	name: string,
	credential: object,
	check: (message: string) => void,
): Promise<void> {
	for (const [surface, call, messageOf] of surfaces(credential)) {
		const before = authorizations.length;
		const result = await capture(call);
		counts.tried++;
		const leaked = leakedCanaries(result.everything, canaries);
		const sent = authorizations
			.slice(before)
			.filter((a) => a.includes(FILE_SECRET) || leakedCanaries(a, canaries).length > 0);
		if (leaked.length) {
			counts.leaks += leaked.length;
			counts.leakDetails.push(`${name} / ${surface}: ${leaked.slice(0, 3).join(', ')}`);
		}
		counts.fileContentsSent += sent.length;
		if (existsSync(sentinel())) counts.commandsRun++;
		expect({ surface, leaked, sent, commandRan: existsSync(sentinel()) }).toEqual({
			surface,
			leaked: [],
			sent: [],
			commandRan: false,
		});
		check(messageOf(result));
		counts.refused++;
	}
}

describe('a pasted kubeconfig never reads host files or runs commands', () => {
	test.each(ROWS.map((row) => [row.name, row] as const))(
		'%s: refused naming the field, nothing read, sent or shown',
		async (_name, row) => {
			await run(row.name, { authentication: 'kubeconfig', kubeconfig: row.config() }, (message) => {
				expect(message).toMatch(/kubeconfig/i);
				expect(message).toMatch(row.says);
			});
		},
	);
});

describe('credential data never chooses where the in-cluster files are read from', () => {
	const saved = {
		host: process.env.KUBERNETES_SERVICE_HOST,
		port: process.env.KUBERNETES_SERVICE_PORT,
	};
	afterEach(() => {
		for (const [key, value] of [
			['KUBERNETES_SERVICE_HOST', saved.host],
			['KUBERNETES_SERVICE_PORT', saved.port],
		] as const) {
			if (value === undefined) delete process.env[key];
			else process.env[key] = value;
		}
	});

	test('serviceAccountRoot in the credential data is ignored (outside a pod: refused)', async () => {
		delete process.env.KUBERNETES_SERVICE_HOST;
		await run(
			'serviceAccountRoot outside a pod',
			{ authentication: 'serviceAccount', serviceAccountRoot: join(dir, 'root') },
			(message) => expect(message).toMatch(/not running in a Kubernetes pod/),
		);
	});

	test('serviceAccountRoot in the credential data is ignored (inside a pod: the real mount, not the given one)', async () => {
		process.env.KUBERNETES_SERVICE_HOST = '127.0.0.1';
		process.env.KUBERNETES_SERVICE_PORT = new URL(serverUrl).port;
		await run(
			'serviceAccountRoot inside a pod',
			{ authentication: 'serviceAccount', serviceAccountRoot: join(dir, 'root') },
			(message) => expect(message).not.toMatch(/allowed to create/),
		);
	});
});
