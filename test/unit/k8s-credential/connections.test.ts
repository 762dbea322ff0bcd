import * as k8s from '@kubernetes/client-node';
import { closeKubernetesConnections } from '../../../lib/k8s/connections';
import { kubeConfigFromCredential, type KubernetesCredential } from '../../../lib/k8s/kubeConfig';

// Which undici dispatcher a request of this KubeConfig would be sent with (the client sets it per request).
async function dispatcherOf(kc: k8s.KubeConfig): Promise<unknown> {
	const ctx = new k8s.RequestContext(
		'https://10.0.0.1:6443/api/v1/namespaces/default/pods',
		k8s.HttpMethod.GET,
	);
	await kc.applySecurityAuthentication(ctx);
	return ctx.getDispatcher();
}

const credential = (ca: string, token = 'token-a'): KubernetesCredential => ({
	authentication: 'token',
	server: 'https://10.0.0.1:6443',
	token,
	caCertificate: ca,
});

afterEach(() => closeKubernetesConnections());

describe('shared Kubernetes connections', () => {
	it('gives every request of one TLS identity the same dispatcher, across KubeConfigs and tokens', async () => {
		const a = kubeConfigFromCredential(credential('CA-1'));
		const first = await dispatcherOf(a);
		expect(first).toBeDefined();
		expect(await dispatcherOf(a)).toBe(first);
		// Another execution with the same credential, or another token to the same server: the token is a header.
		expect(await dispatcherOf(kubeConfigFromCredential(credential('CA-1')))).toBe(first);
		expect(await dispatcherOf(kubeConfigFromCredential(credential('CA-1', 'token-b')))).toBe(first);
	});

	it('keeps TLS identities apart (another CA is another dispatcher)', async () => {
		const one = await dispatcherOf(kubeConfigFromCredential(credential('CA-1')));
		const two = await dispatcherOf(kubeConfigFromCredential(credential('CA-2')));
		expect(two).not.toBe(one);
	});

	it('keeps client certificates apart: the certificate identifies the connection, not a header', async () => {
		const b64 = (text: string) => Buffer.from(text).toString('base64');
		const withClientCertificate = (name: string): KubernetesCredential => ({
			authentication: 'kubeconfig',
			kubeconfig: [
				'apiVersion: v1',
				'kind: Config',
				'clusters: [{name: c, cluster: {server: "https://10.0.0.1:6443", certificate-authority-data: ' +
					b64('CA-1') +
					'}}]',
				`users: [{name: u, user: {client-certificate-data: ${b64(`CERT-${name}`)}, client-key-data: ${b64(`KEY-${name}`)}}}]`,
				'contexts: [{name: x, context: {cluster: c, user: u}}]',
				'current-context: x',
			].join('\n'),
		});
		const alice = await dispatcherOf(kubeConfigFromCredential(withClientCertificate('alice')));
		expect(await dispatcherOf(kubeConfigFromCredential(withClientCertificate('alice')))).toBe(
			alice,
		);
		expect(await dispatcherOf(kubeConfigFromCredential(withClientCertificate('bob')))).not.toBe(
			alice,
		);
	});

	it('closes the least recently used dispatcher beyond 16 identities', async () => {
		const first = (await dispatcherOf(kubeConfigFromCredential(credential('CA-0')))) as {
			closed: boolean;
		};
		const second = (await dispatcherOf(kubeConfigFromCredential(credential('CA-1')))) as {
			closed: boolean;
		};
		await dispatcherOf(kubeConfigFromCredential(credential('CA-0'))); // used again: CA-1 is now the oldest
		for (let i = 2; i <= 16; i++)
			await dispatcherOf(kubeConfigFromCredential(credential(`CA-${i}`)));
		await new Promise((r) => setImmediate(r));
		expect(second.closed).toBe(true);
		expect(first.closed).toBe(false);
	});
});
