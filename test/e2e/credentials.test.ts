import { type GitServer, startGitServer } from '../stack/git';
import { type KubeStandIn, startKubeStandIn } from '../stack/k8s';
import { type N8nInstance, startN8n } from '../stack/n8n';
import { startRegistry } from '../stack/registry';

// The credential tests as n8n runs them when a user presses "Test" in the editor (POST /rest/credentials/test,
// which calls the node's `methods.credentialTest`), against real servers on 127.0.0.1.
jest.setTimeout(240_000);

type Running = { stop(): Promise<void> };

describe('credential tests in real n8n', () => {
	let n8n: N8nInstance;
	const started: Running[] = [];

	beforeAll(async () => {
		n8n = await startN8n();
	});

	afterAll(async () => {
		for (const s of started.reverse()) await s.stop();
		await n8n?.stop();
	});

	/** Asserts n8n's answer and that no secret from `data` appears in it. */
	async function expectTest(
		type: string,
		data: Record<string, unknown>,
		status: 'OK' | 'Error',
		message: RegExp,
		secrets: string[],
	) {
		const result = await n8n.testCredential(type, data);
		expect(result).toMatchObject({ status, message: expect.stringMatching(message) });
		for (const secret of secrets) expect(result.message).not.toContain(secret);
		return result;
	}

	describe('containerRegistryApi (GET /v2/ on the real registry, htpasswd)', () => {
		let registry: Awaited<ReturnType<typeof startRegistry>>;

		beforeAll(async () => {
			registry = await startRegistry({ auth: 'htpasswd' });
			started.push(registry);
		});

		it('passes with the right password', async () => {
			const data = {
				registry: registry.host,
				username: registry.username,
				password: registry.password,
				plainHttp: true,
			};
			await expectTest('containerRegistryApi', data, 'OK', /./, [registry.password!]);
		});

		it('fails on 401 with a message that names the registry, not the password', async () => {
			const wrong = `wrong-${registry.password}`;
			const data = {
				registry: registry.host,
				username: registry.username,
				password: wrong,
				plainHttp: true,
			};
			const result = await expectTest(
				'containerRegistryApi',
				data,
				'Error',
				/401|unauthori[sz]ed|denied|credentials/i,
				[wrong, registry.password!],
			);
			expect(result.message).toContain(registry.host);
		});

		it('fails clearly when nothing listens', async () => {
			await expectTest(
				'containerRegistryApi',
				{ registry: '127.0.0.1:9', plainHttp: true, username: 'u', password: 'p-secret-9' },
				'Error',
				/127\.0\.0\.1:9/,
				['p-secret-9'],
			);
		});
	});

	describe('gitRepositoryApi (ls-remote on git http-backend with basic auth)', () => {
		let git: GitServer;
		let repoUrl: string;

		beforeAll(async () => {
			git = await startGitServer({ username: 'bot', password: 'tok-ens-3cr3t' });
			started.push(git);
			repoUrl = await git.createBareRepo('gitops', { 'README.md': 'gitops\n' });
		});

		it('passes with the right token', async () => {
			await expectTest(
				'gitRepositoryApi',
				{
					authentication: 'https',
					username: 'bot',
					token: 'tok-ens-3cr3t',
					testRepositoryUrl: repoUrl,
				},
				'OK',
				/./,
				['tok-ens-3cr3t'],
			);
		});

		it('fails with a wrong token, naming the repository but not the token', async () => {
			const result = await expectTest(
				'gitRepositoryApi',
				{
					authentication: 'https',
					username: 'bot',
					token: 'not-the-3cr3t',
					testRepositoryUrl: repoUrl,
				},
				'Error',
				/auth|401|denied|credential/i,
				['not-the-3cr3t', 'tok-ens-3cr3t'],
			);
			expect(result.message).toContain(new URL(repoUrl).host);
		});

		it('fails for a repository that does not exist', async () => {
			await expectTest(
				'gitRepositoryApi',
				{
					authentication: 'https',
					username: 'bot',
					token: 'tok-ens-3cr3t',
					testRepositoryUrl: git.repoUrl('nope'),
				},
				'Error',
				/not found|404|does not exist|nope/i,
				['tok-ens-3cr3t'],
			);
		});
	});

	describe('kubernetesApi (SelfSubjectAccessReview on the API stand-in, RBAC from deploy/)', () => {
		let kube: KubeStandIn;
		let n8nToken: string;

		beforeAll(async () => {
			kube = await startKubeStandIn();
			started.push(kube);
			n8nToken = kube.tokenFor('automation', 'n8n');
		});

		const tokenCredential = (token: string, namespace = 'build-system') => ({
			authentication: 'token',
			server: kube.url,
			token,
			caCertificate: kube.caPem,
			namespace,
		});

		it('passes for automation/n8n in build-system (server + token + CA)', async () => {
			await expectTest(
				'kubernetesApi',
				tokenCredential(n8nToken),
				'OK',
				/allowed to create Jobs in "build-system"/,
				[n8nToken],
			);
		});

		it('passes with a pasted kubeconfig', async () => {
			await expectTest(
				'kubernetesApi',
				{
					authentication: 'kubeconfig',
					kubeconfig: kube.kubeconfig(n8nToken),
					namespace: 'build-system',
				},
				'OK',
				/build-system/,
				[n8nToken],
			);
		});

		it('fails where the Role does not reach, saying what to apply', async () => {
			await expectTest(
				'kubernetesApi',
				tokenCredential(n8nToken, 'default'),
				'Error',
				/may not create Jobs in "default"/,
				[n8nToken],
			);
		});

		it('fails on a rejected token without echoing it', async () => {
			const forged = `${n8nToken.slice(0, -6)}AAAAAA`;
			await expectTest('kubernetesApi', tokenCredential(forged), 'Error', /401|unauthori[sz]ed/i, [
				forged,
				n8nToken,
			]);
		});

		it('fails on an untrusted server certificate', async () => {
			const data = { ...tokenCredential(n8nToken), caCertificate: '' };
			await expectTest('kubernetesApi', data, 'Error', /certificate|VERIFY|self[- ]signed/i, [
				n8nToken,
			]);
		});
	});
});
