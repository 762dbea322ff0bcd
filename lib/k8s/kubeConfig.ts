import type * as k8s from '@kubernetes/client-node';
import { InputError } from '../errors';
import { shareConnections } from './connections';
import { kubernetesClient } from './kubernetesClient';

/** The fields of the `kubernetesApi` credential, as plain data (lib/ never sees n8n types). */
export interface KubernetesCredential {
	authentication: 'serviceAccount' | 'kubeconfig' | 'token';
	kubeconfig?: string;
	context?: string;
	server?: string;
	token?: string;
	caCertificate?: string;
	skipTlsVerify?: boolean;
	namespace?: string;
}

/** Settings that only code may choose, never credential data. */
export interface KubeConfigHostOptions {
	/** Test seam: where the in-cluster files live (default: the real service-account mount). */
	serviceAccountRoot?: string;
}
/** A bad credential: the message names the field and the fix, and never carries a secret. */
export class KubernetesCredentialError extends InputError {
	constructor(message: string, field: string) {
		super(field, message, { credential: 'Kubernetes API' });
	}
}

/**
 * Builds a KubeConfig from the credential, rejecting shapes that would silently talk to the wrong place. Its
 * requests share keep-alive connections with every other KubeConfig of the same TLS identity (connections.ts).
 */
export function kubeConfigFromCredential(
	cred: KubernetesCredential,
	host: KubeConfigHostOptions = {},
): k8s.KubeConfig {
	const kc = shareConnections(new (kubernetesClient().KubeConfig)());
	switch (cred.authentication) {
		case 'serviceAccount':
			// serviceAccountRoot lets tests point at a temp dir holding var/run/secrets/kubernetes.io/serviceaccount/*.
			if (!process.env.KUBERNETES_SERVICE_HOST && !host.serviceAccountRoot) {
				throw new KubernetesCredentialError(
					'In-cluster service account chosen, but n8n is not running in a Kubernetes pod (KUBERNETES_SERVICE_HOST is unset). Use "Kubeconfig" or "Server + Token" instead.',
					'authentication',
				);
			}
			kc.loadFromCluster(host.serviceAccountRoot);
			return kc;
		case 'kubeconfig': {
			const text = (cred.kubeconfig ?? '').trim();
			if (!text)
				throw new KubernetesCredentialError(
					'Kubeconfig is empty: paste the whole kubeconfig YAML.',
					'kubeconfig',
				);
			// The client never sees the pasted text: it would read token-file while parsing it.
			kc.loadFromOptions(pastedKubeconfig(text));
			const context = cred.context?.trim();
			if (context) {
				if (!kc.getContextObject(context)) {
					const known =
						kc
							.getContexts()
							.map((c) => c.name)
							.join(', ') || 'none';
					throw new KubernetesCredentialError(
						`Context "${context}" is not in the kubeconfig (it has: ${known}).`,
						'context',
					);
				}
				kc.setCurrentContext(context);
			}
			if (!kc.getCurrentCluster()) {
				throw new KubernetesCredentialError(
					'Kubeconfig has no current context with a cluster: set "Context" or current-context.',
					'context',
				);
			}
			return kc;
		}
		case 'token': {
			const server = (cred.server ?? '').trim();
			let url: URL;
			try {
				url = new URL(server);
			} catch {
				throw new KubernetesCredentialError(
					'Server must be a URL such as https://192.168.1.10:6443.',
					'server',
				);
			}
			if (url.protocol !== 'https:' && url.protocol !== 'http:') {
				throw new KubernetesCredentialError(
					'Server must start with https:// (or http:// for a local proxy).',
					'server',
				);
			}
			const token = (cred.token ?? '').trim();
			if (!token)
				throw new KubernetesCredentialError(
					'Token is empty: give a service account token.',
					'token',
				);
			refuseControlCharacters(token, 'Token', 'token');
			const ca = cred.caCertificate?.trim();
			kc.loadFromOptions({
				clusters: [
					{
						name: 'cluster',
						server: url.toString().replace(/\/$/, ''),
						caData: ca ? Buffer.from(ca).toString('base64') : undefined,
						// The client refuses plain http unless TLS verification is off; http has nothing to verify.
						skipTLSVerify: cred.skipTlsVerify === true || url.protocol === 'http:',
					},
				],
				users: [{ name: 'user', token }],
				contexts: [
					{ name: 'ctx', cluster: 'cluster', user: 'user', namespace: cred.namespace || undefined },
				],
				currentContext: 'ctx',
			});
			return kc;
		}
		default:
			throw new KubernetesCredentialError(
				`Unknown authentication "${String((cred as { authentication: unknown }).authentication)}": choose In-Cluster Service Account, Kubeconfig or Server + Token.`,
				'authentication',
			);
	}
}

const READS_A_FILE = 'reads a file on the n8n host';
const TOKEN_INSTEAD =
	'paste a service account token as token: (kubectl -n automation create token n8n) or inline client-certificate-data: and client-key-data:';
/**
 * Kubeconfig fields that make the client read a file on the n8n host or run a command there, with what to paste
 * instead. Whoever can save a credential must not get to read files (token-file is even sent to the server as a
 * bearer token, and shown back in errors) or run programs on the n8n host through it.
 */
const HOST_ACCESS_FIELDS: Record<
	'user' | 'cluster',
	Record<string, [what: string, fix: string]>
> = {
	user: {
		'token-file': [READS_A_FILE, 'paste the token itself as token:'],
		tokenFile: [READS_A_FILE, 'paste the token itself as token:'],
		'client-certificate': [READS_A_FILE, 'inline it as client-certificate-data: (base64 PEM)'],
		'client-key': [READS_A_FILE, 'inline it as client-key-data: (base64 PEM)'],
		exec: ['runs a command on the n8n host', TOKEN_INSTEAD],
		'auth-provider': ['runs a command or reads files on the n8n host', TOKEN_INSTEAD],
	},
	cluster: {
		'certificate-authority': [
			READS_A_FILE,
			'inline it as certificate-authority-data: (base64 PEM)',
		],
	},
};

const PROXY_SCHEMES = new Set([
	'http:',
	'https:',
	'socks:',
	'socks4:',
	'socks4a:',
	'socks5:',
	'socks5h:',
]);

type YamlMap = Record<string, unknown>;
const isMap = (v: unknown): v is YamlMap =>
	typeof v === 'object' && v !== null && !Array.isArray(v);
/** A scalar as the string kubectl would read (YAML may type `token: 12345` as a number). */
const scalar = (v: unknown): string | undefined =>
	typeof v === 'string'
		? v
		: typeof v === 'number' || typeof v === 'boolean'
			? String(v)
			: undefined;

/**
 * Reads a pasted kubeconfig into the client's options, keeping only inline data: server, CA data, TLS server
 * name, skip-verify and proxy URL of clusters; token, client certificate/key data, basic auth and `as` of users;
 * cluster, user and namespace of contexts. Any field that would reach the n8n host is refused, naming it.
 */
function pastedKubeconfig(text: string): {
	clusters: k8s.Cluster[];
	users: k8s.User[];
	contexts: k8s.Context[];
	currentContext?: string;
} {
	let doc: unknown;
	try {
		// Merge keys as kubectl reads them, so a `<<:` cannot hide a field from the checks below.
		// yaml on first use, as the Kubernetes client: n8n loads this file in every process.
		doc = (require('yaml') as typeof import('yaml')).parse(text, {
			merge: true,
			maxAliasCount: 100,
		});
	} catch {
		throw new KubernetesCredentialError(
			'Kubeconfig could not be parsed as YAML: paste the file exactly as kubectl writes it.',
			'kubeconfig',
		);
	}
	if (!isMap(doc))
		throw new KubernetesCredentialError(
			'Kubeconfig is not a kubeconfig: expected clusters, users and contexts.',
			'kubeconfig',
		);
	const entries = (
		key: 'clusters' | 'users' | 'contexts',
		inner: 'cluster' | 'user' | 'context',
	): Array<{ name: string; body: YamlMap }> => {
		const list = doc[key] ?? [];
		if (!Array.isArray(list))
			throw new KubernetesCredentialError(`Kubeconfig ${key} must be a list.`, 'kubeconfig');
		return list.map((entry, i) => {
			const name = isMap(entry) ? scalar(entry.name) : undefined;
			if (!name)
				throw new KubernetesCredentialError(`Kubeconfig ${key}[${i}] has no name.`, 'kubeconfig');
			const body = (entry as YamlMap)[inner] ?? {};
			if (!isMap(body))
				throw new KubernetesCredentialError(
					`Kubeconfig ${inner} "${name}" must be a mapping.`,
					'kubeconfig',
				);
			return { name, body };
		});
	};
	const refuseHostAccess = (kind: 'user' | 'cluster', name: string, body: YamlMap): void => {
		for (const [field, [what, fix]] of Object.entries(HOST_ACCESS_FIELDS[kind])) {
			if (body[field] !== undefined && body[field] !== null && body[field] !== '') {
				throw new KubernetesCredentialError(
					`Kubeconfig ${kind} "${name}" sets ${field}, which ${what}: ${fix}.`,
					'kubeconfig',
				);
			}
		}
	};

	const clusters = entries('clusters', 'cluster').map(({ name, body }): k8s.Cluster => {
		refuseHostAccess('cluster', name, body);
		const server = scalar(body.server)?.trim() ?? '';
		if (!/^https?:\/\/./.test(server))
			throw new KubernetesCredentialError(
				`Kubeconfig cluster "${name}" needs a server such as https://192.168.1.10:6443.`,
				'kubeconfig',
			);
		const proxyUrl = scalar(body['proxy-url']);
		if (proxyUrl !== undefined && !PROXY_SCHEMES.has(protocolOf(proxyUrl))) {
			throw new KubernetesCredentialError(
				`Kubeconfig cluster "${name}" has a proxy-url that is not an http://, https:// or socks5:// URL.`,
				'kubeconfig',
			);
		}
		return {
			name,
			server: server.replace(/\/$/, ''),
			caData: scalar(body['certificate-authority-data']),
			tlsServerName: scalar(body['tls-server-name']),
			skipTLSVerify: body['insecure-skip-tls-verify'] === true,
			proxyUrl,
		};
	});
	const users = entries('users', 'user').map(({ name, body }): k8s.User => {
		refuseHostAccess('user', name, body);
		const token = scalar(body.token)?.trim() || undefined;
		if (token) refuseControlCharacters(token, `Kubeconfig user "${name}" token`, 'kubeconfig');
		return {
			name,
			token,
			certData: scalar(body['client-certificate-data']),
			keyData: scalar(body['client-key-data']),
			username: scalar(body.username),
			password: scalar(body.password),
			impersonateUser: scalar(body.as),
		};
	});
	const contexts = entries('contexts', 'context').map(({ name, body }): k8s.Context => {
		const cluster = scalar(body.cluster);
		if (!cluster)
			throw new KubernetesCredentialError(
				`Kubeconfig context "${name}" names no cluster.`,
				'kubeconfig',
			);
		return {
			name,
			cluster,
			user: scalar(body.user) ?? '',
			namespace: scalar(body.namespace) || undefined,
		};
	});
	return { clusters, users, contexts, currentContext: scalar(doc['current-context']) };
}

const protocolOf = (url: string): string => {
	try {
		return new URL(url).protocol;
	} catch {
		return '';
	}
};

/** A token with a line break or control character is not one header value; say so instead of sending it. */
function refuseControlCharacters(token: string, what: string, field: string): void {
	if (/\p{Cc}/u.test(token))
		throw new KubernetesCredentialError(
			`${what} contains a line break or control character: paste it as one line.`,
			field,
		);
}

/** The namespace to default to: the credential's, else the kubeconfig context's, else build-system. */
export function defaultNamespace(kc: k8s.KubeConfig, cred: KubernetesCredential): string {
	return cred.namespace || kc.getContextObject(kc.getCurrentContext())?.namespace || 'build-system';
}
