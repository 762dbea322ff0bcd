import * as k8s from '@kubernetes/client-node';
import { InputError } from '../errors';

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
	/** Test seam: where the in-cluster files live (default: the real service-account mount). */
	serviceAccountRoot?: string;
}

/** A bad credential: the message names the field and the fix, and never carries a secret. */
export class KubernetesCredentialError extends InputError {
	constructor(message: string, field: string) {
		super(field, message, { credential: 'Kubernetes API' });
	}
}

/** Builds a KubeConfig from the credential, rejecting shapes that would silently talk to the wrong place. */
export function kubeConfigFromCredential(cred: KubernetesCredential): k8s.KubeConfig {
	const kc = new k8s.KubeConfig();
	switch (cred.authentication) {
		case 'serviceAccount':
			// pathPrefix lets tests point at a temp dir holding var/run/secrets/kubernetes.io/serviceaccount/*.
			if (!process.env.KUBERNETES_SERVICE_HOST && !cred.serviceAccountRoot) {
				throw new KubernetesCredentialError(
					'In-cluster service account chosen, but n8n is not running in a Kubernetes pod (KUBERNETES_SERVICE_HOST is unset). Use "Kubeconfig" or "Server + Token" instead.',
					'authentication',
				);
			}
			kc.loadFromCluster(cred.serviceAccountRoot);
			return kc;
		case 'kubeconfig': {
			const text = (cred.kubeconfig ?? '').trim();
			if (!text) throw new KubernetesCredentialError('Kubeconfig is empty: paste the whole kubeconfig YAML.', 'kubeconfig');
			try {
				kc.loadFromString(text);
			} catch {
				throw new KubernetesCredentialError('Kubeconfig could not be parsed as YAML: paste the file exactly as kubectl writes it.', 'kubeconfig');
			}
			refuseHostAccess(kc);
			const context = cred.context?.trim();
			if (context) {
				if (!kc.getContextObject(context)) {
					const known = kc.getContexts().map((c) => c.name).join(', ') || 'none';
					throw new KubernetesCredentialError(`Context "${context}" is not in the kubeconfig (it has: ${known}).`, 'context');
				}
				kc.setCurrentContext(context);
			}
			if (!kc.getCurrentCluster()) {
				throw new KubernetesCredentialError('Kubeconfig has no current context with a cluster: set "Context" or current-context.', 'context');
			}
			return kc;
		}
		case 'token': {
			const server = (cred.server ?? '').trim();
			let url: URL;
			try {
				url = new URL(server);
			} catch {
				throw new KubernetesCredentialError('Server must be a URL such as https://192.168.1.10:6443.', 'server');
			}
			if (url.protocol !== 'https:' && url.protocol !== 'http:') {
				throw new KubernetesCredentialError('Server must start with https:// (or http:// for a local proxy).', 'server');
			}
			if (!cred.token) throw new KubernetesCredentialError('Token is empty: give a service account token.', 'token');
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
				users: [{ name: 'user', token: cred.token }],
				contexts: [{ name: 'ctx', cluster: 'cluster', user: 'user', namespace: cred.namespace || undefined }],
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

/**
 * A pasted kubeconfig may only carry inline data. The client would otherwise run `exec` and `auth-provider`
 * commands on the n8n host, and read `tokenFile`, `client-key`, `client-certificate` or
 * `certificate-authority` paths from its disk (and send a file's contents to the server as a token): whoever can
 * save a credential must not get to run programs or read files on the n8n host through it.
 */
function refuseHostAccess(kc: k8s.KubeConfig): void {
	for (const user of kc.getUsers()) {
		if (user.exec || user.authProvider) {
			const what = user.exec ? 'an exec command' : `the auth provider "${String(user.authProvider?.name ?? '')}"`;
			throw new KubernetesCredentialError(
				`Kubeconfig user "${user.name}" uses ${what}, which would run on the n8n host: use a service account token (token:) or inline client certificates instead.`,
				'kubeconfig',
			);
		}
		if (user.certFile || user.keyFile) {
			throw new KubernetesCredentialError(
				`Kubeconfig user "${user.name}" points at certificate files on disk: inline them as client-certificate-data and client-key-data.`,
				'kubeconfig',
			);
		}
	}
	for (const cluster of kc.getClusters()) {
		if (cluster.caFile) {
			throw new KubernetesCredentialError(
				`Kubeconfig cluster "${cluster.name}" points at a CA file on disk: inline it as certificate-authority-data.`,
				'kubeconfig',
			);
		}
	}
}

/** The namespace to default to: the credential's, else the kubeconfig context's, else build-system. */
export function defaultNamespace(kc: k8s.KubeConfig, cred: KubernetesCredential): string {
	return cred.namespace || kc.getContextObject(kc.getCurrentContext())?.namespace || 'build-system';
}
