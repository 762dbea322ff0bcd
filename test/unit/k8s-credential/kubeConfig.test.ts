import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
	KubernetesCredentialError,
	defaultNamespace,
	kubeConfigFromCredential,
	type KubernetesCredential,
} from '../../../lib/k8s/kubeConfig';

const TOKEN = 'canary-kube-token-7f3a';

const kubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: home
  cluster: { server: https://10.0.0.1:6443, insecure-skip-tls-verify: true }
- name: lab
  cluster: { server: https://10.0.0.2:6443, insecure-skip-tls-verify: true }
users:
- name: u
  user: { token: ${TOKEN} }
contexts:
- name: home-ctx
  context: { cluster: home, user: u, namespace: apps }
- name: lab-ctx
  context: { cluster: lab, user: u }
current-context: home-ctx
`;

function fieldOf(fn: () => unknown): { field: string; message: string } {
	try {
		fn();
	} catch (e) {
		expect(e).toBeInstanceOf(KubernetesCredentialError);
		return { field: (e as KubernetesCredentialError).field, message: (e as Error).message };
	}
	throw new Error('expected a KubernetesCredentialError');
}

describe('kubeConfigFromCredential', () => {
	it('uses the current context of a pasted kubeconfig, and its namespace', () => {
		const cred = { authentication: 'kubeconfig' as const, kubeconfig };
		const kc = kubeConfigFromCredential(cred);
		expect(kc.getCurrentCluster()?.server).toBe('https://10.0.0.1:6443');
		expect(defaultNamespace(kc, cred)).toBe('apps');
	});

	it('switches to the chosen context', () => {
		const kc = kubeConfigFromCredential({
			authentication: 'kubeconfig',
			kubeconfig,
			context: 'lab-ctx',
		});
		expect(kc.getCurrentCluster()?.server).toBe('https://10.0.0.2:6443');
	});

	it('names the known contexts when the chosen one is missing, without the token', () => {
		const { field, message } = fieldOf(() =>
			kubeConfigFromCredential({ authentication: 'kubeconfig', kubeconfig, context: 'nope' }),
		);
		expect(field).toBe('context');
		expect(message).toContain('home-ctx, lab-ctx');
		expect(message).not.toContain(TOKEN);
	});

	it('rejects an empty or unparseable kubeconfig naming the field', () => {
		expect(
			fieldOf(() => kubeConfigFromCredential({ authentication: 'kubeconfig', kubeconfig: '  ' }))
				.field,
		).toBe('kubeconfig');
		const bad = fieldOf(() =>
			kubeConfigFromCredential({
				authentication: 'kubeconfig',
				kubeconfig: `token: ${TOKEN}\n  : [`,
			}),
		);
		expect(bad.field).toBe('kubeconfig');
		expect(bad.message).not.toContain(TOKEN);
	});

	it('builds server + token + CA, with the CA inline', () => {
		const kc = kubeConfigFromCredential({
			authentication: 'token',
			server: 'https://192.168.1.10:6443/',
			token: TOKEN,
			caCertificate: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
			namespace: 'ci',
		});
		const cluster = kc.getCurrentCluster();
		expect(cluster?.server).toBe('https://192.168.1.10:6443');
		expect(Buffer.from(cluster?.caData ?? '', 'base64').toString()).toContain('BEGIN CERTIFICATE');
		expect(cluster?.skipTLSVerify).toBe(false);
		expect(kc.getCurrentUser()?.token).toBe(TOKEN);
	});

	it('rejects a server that is not a URL, and an empty token', () => {
		expect(
			fieldOf(() =>
				kubeConfigFromCredential({
					authentication: 'token',
					server: '10.0.0.1:6443x y',
					token: TOKEN,
				}),
			).field,
		).toBe('server');
		expect(
			fieldOf(() =>
				kubeConfigFromCredential({ authentication: 'token', server: 'ftp://x', token: TOKEN }),
			).field,
		).toBe('server');
		expect(
			fieldOf(() =>
				kubeConfigFromCredential({ authentication: 'token', server: 'https://x', token: '' }),
			).field,
		).toBe('token');
	});

	it('reads the in-cluster service account files', () => {
		const root = mkdtempSync(join(tmpdir(), 'sa-'));
		const dir = join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
		mkdirSync(dir, { recursive: true });
		writeFileSync(join(dir, 'token'), TOKEN);
		writeFileSync(
			join(dir, 'ca.crt'),
			'-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
		);
		writeFileSync(join(dir, 'namespace'), 'automation');
		process.env.KUBERNETES_SERVICE_HOST = '10.96.0.1';
		process.env.KUBERNETES_SERVICE_PORT = '443';
		try {
			const cred = { authentication: 'serviceAccount' as const };
			const kc = kubeConfigFromCredential(cred, { serviceAccountRoot: root });
			expect(kc.getCurrentCluster()?.server).toBe('https://10.96.0.1:443');
			expect(defaultNamespace(kc, cred)).toBe('automation');
		} finally {
			delete process.env.KUBERNETES_SERVICE_HOST;
			delete process.env.KUBERNETES_SERVICE_PORT;
		}
	});

	it('explains that in-cluster auth needs a pod', () => {
		delete process.env.KUBERNETES_SERVICE_HOST;
		expect(
			fieldOf(() => kubeConfigFromCredential({ authentication: 'serviceAccount' })).field,
		).toBe('authentication');
	});
});

describe('kubeConfigFromCredential refuses what would reach the n8n host', () => {
	const withUser = (user: string, cluster = 'server: https://10.0.0.1:6443') => `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: { ${cluster} }
users:
- name: u
  user:
${user}
contexts:
- name: ctx
  context: { cluster: c, user: u }
current-context: ctx
`;

	it.each([
		[
			'an exec command',
			'    exec: { apiVersion: client.authentication.k8s.io/v1, command: /bin/sh, args: ["-c", "touch /tmp/pwned"] }',
			/user "u" sets exec, which runs a command on the n8n host: paste a service account token as token:/,
		],
		[
			'an auth-provider command',
			'    auth-provider: { name: gcp, config: { cmd-path: /bin/sh } }',
			/sets auth-provider, which runs a command/,
		],
		[
			'a client certificate file',
			'    client-certificate: /etc/passwd\n    client-key: /etc/shadow',
			/sets client-certificate, which reads a file on the n8n host: inline it as client-certificate-data:/,
		],
		[
			'a client key file',
			'    client-certificate-data: LS0t\n    client-key: /etc/shadow',
			/sets client-key, .*client-key-data:/,
		],
		[
			'a token file',
			'    token-file: /proc/self/environ',
			/sets token-file, which reads a file on the n8n host: paste the token itself as token:/,
		],
		[
			'a token file, camelCase',
			'    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token',
			/sets tokenFile, .*token:/,
		],
		[
			'a token file behind a YAML merge key',
			'    <<: { token-file: /etc/hostname }',
			/sets token-file/,
		],
	])('refuses %s naming the kubeconfig field', (_what, user, message) => {
		const { field, message: text } = fieldOf(() =>
			kubeConfigFromCredential({ authentication: 'kubeconfig', kubeconfig: withUser(user) }),
		);
		expect(field).toBe('kubeconfig');
		expect(text).toMatch(message);
	});

	it('refuses a CA file path, and accepts inline data', () => {
		const caFile = withUser(
			`    token: ${TOKEN}`,
			'server: https://10.0.0.1:6443, certificate-authority: /etc/ssl/private/ca.pem',
		);
		expect(
			fieldOf(() => kubeConfigFromCredential({ authentication: 'kubeconfig', kubeconfig: caFile }))
				.message,
		).toMatch(/cluster "c" sets certificate-authority, .*certificate-authority-data:/);
		const inline = withUser(
			`    token: ${TOKEN}`,
			'server: https://10.0.0.1:6443, certificate-authority-data: LS0tLS1CRUdJTg==',
		);
		expect(
			kubeConfigFromCredential({
				authentication: 'kubeconfig',
				kubeconfig: inline,
			}).getCurrentUser()?.token,
		).toBe(TOKEN);
	});

	it('never hands the pasted text to the client: fields it would read are not even passed on', () => {
		const kc = kubeConfigFromCredential({
			authentication: 'kubeconfig',
			kubeconfig: withUser(
				`    token: ${TOKEN}\n    extensions: [{ name: x, extension: { token-file: /etc/hostname } }]`,
			),
		});
		expect(kc.getCurrentUser()).toEqual({
			name: 'u',
			token: TOKEN,
			certData: undefined,
			keyData: undefined,
			username: undefined,
			password: undefined,
			impersonateUser: undefined,
		});
	});

	it('allows an http(s) or socks proxy-url and refuses any other scheme', () => {
		const withProxy = (url: string) =>
			withUser(`    token: ${TOKEN}`, `server: https://10.0.0.1:6443, proxy-url: "${url}"`);
		expect(
			kubeConfigFromCredential({
				authentication: 'kubeconfig',
				kubeconfig: withProxy('socks5://127.0.0.1:1080'),
			}).getCurrentCluster()?.proxyUrl,
		).toBe('socks5://127.0.0.1:1080');
		expect(
			fieldOf(() =>
				kubeConfigFromCredential({
					authentication: 'kubeconfig',
					kubeconfig: withProxy('file:///etc/passwd'),
				}),
			).message,
		).toMatch(/proxy-url/);
	});

	it('refuses a token with a line break instead of sending it as a header', () => {
		const { field, message } = fieldOf(() =>
			kubeConfigFromCredential({
				authentication: 'kubeconfig',
				kubeconfig: withUser(`    token: "${TOKEN}\\nX"`),
			}),
		);
		expect(field).toBe('kubeconfig');
		expect(message).toMatch(/line break/);
		expect(message).not.toContain(TOKEN);
		expect(
			fieldOf(() =>
				kubeConfigFromCredential({
					authentication: 'token',
					server: 'https://x',
					token: `${TOKEN}\nsecond line`,
				}),
			).field,
		).toBe('token');
	});

	it('never reads the in-cluster files from a root given in credential data', () => {
		delete process.env.KUBERNETES_SERVICE_HOST;
		const data = {
			authentication: 'serviceAccount',
			serviceAccountRoot: tmpdir(),
		} as unknown as KubernetesCredential;
		expect(fieldOf(() => kubeConfigFromCredential(data)).field).toBe('authentication');
	});
});
