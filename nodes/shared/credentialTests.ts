// Every credential test of the package, named by the nodes' `testedBy`. n8n runs a function credential test from
// a node's `methods.credentialTest`, so each node that uses a credential lists the test from here.
import type {
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	INodeCredentialTestResult,
} from 'n8n-workflow';
import type { GitCredential } from '../../lib/gitops';
import type { KubernetesCredential } from '../../lib/k8s/kubeConfig';
import type { RegistryConnection } from '../../lib/registry';

// file:// remotes are for tests and local mirrors only; an operator opts in for the whole instance.
export const allowFileProtocol = () => process.env.N8N_BUILDKIT_GIT_ALLOW_FILE === 'true';

/** kubernetesApi: can the credential's identity create Jobs in its default namespace? */
export async function kubernetesApiConnectionTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const cred = credential.data as unknown as KubernetesCredential;
	const { defaultNamespace, kubeConfigFromCredential, KubernetesCredentialError } =
		await import('../../lib/k8s/kubeConfig');
	const { checkCanCreateJobs } = await import('../../lib/k8s/checkAccess');
	try {
		const kc = kubeConfigFromCredential(cred);
		const result = await checkCanCreateJobs(kc, defaultNamespace(kc, cred));
		return { status: result.ok ? 'OK' : 'Error', message: result.message };
	} catch (error) {
		// Only our own credential errors are shown: any other message could carry what the client read.
		return {
			status: 'Error',
			message:
				error instanceof KubernetesCredentialError
					? error.message
					: 'The Kubernetes API credential could not be used',
		};
	}
}

/** gitRepositoryApi: can the credential read (and push to) its test repository? */
export async function gitRepositoryApiConnectionTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const cred = credential.data as unknown as GitCredential & { testRepositoryUrl?: string };
	const { checkGitAccess } = await import('../../lib/gitops');
	// The test URL sits beside the token in the credential, so its owner chose where the token goes: http:// is
	// accepted there (redirects are still not followed).
	const result = await checkGitAccess(cred, cred.testRepositoryUrl ?? '', {
		allowFileProtocol: allowFileProtocol(),
		allowPlainHttp: true,
	});
	return { status: result.ok ? 'OK' : 'Error', message: result.message };
}

/** containerRegistryApi: does the registry accept the credential? */
export async function containerRegistryApiConnectionTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const { checkRegistryAccess } = await import('../../lib/registry');
	const result = await checkRegistryAccess(credential.data as unknown as RegistryConnection);
	return { status: result.ok ? 'OK' : 'Error', message: result.message };
}

/** webhookSigningSecretApi: is the secret long and random enough to sign deliveries? */
export async function webhookSigningSecretTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const { checkSigningSecret } = await import('../../lib/webhook');
	const result = checkSigningSecret(credential.data?.secret);
	return { status: result.ok ? 'OK' : 'Error', message: result.message };
}
