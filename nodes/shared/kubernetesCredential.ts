import {
	NodeOperationError,
	type ICredentialTestFunctions,
	type ICredentialsDecrypted,
	type INode,
	type INodeCredentialTestResult,
} from 'n8n-workflow';
import type * as k8s from '@kubernetes/client-node';
import { checkCanCreateJobs } from '../../lib/k8s/checkAccess';
import { defaultNamespace, kubeConfigFromCredential, KubernetesCredentialError, type KubernetesCredential } from '../../lib/k8s/kubeConfig';

/** The kubernetesApi credential test shared by the Kubernetes nodes (`testedBy: 'kubernetesApiConnectionTest'`). */
export async function kubernetesApiConnectionTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const cred = credential.data as unknown as KubernetesCredential;
	try {
		const kc = kubeConfigFromCredential(cred);
		const result = await checkCanCreateJobs(kc, defaultNamespace(kc, cred));
		return { status: result.ok ? 'OK' : 'Error', message: result.message };
	} catch (error) {
		// Only our own credential errors are shown: any other message could carry what the client read.
		return { status: 'Error', message: error instanceof KubernetesCredentialError ? error.message : 'The Kubernetes API credential could not be used' };
	}
}

/** The KubeConfig for an execution; a bad credential fails the node naming the field to fix. */
export function kubeConfigForNode(node: INode, cred: KubernetesCredential): k8s.KubeConfig {
	try {
		return kubeConfigFromCredential(cred);
	} catch (error) {
		if (error instanceof KubernetesCredentialError) {
			throw new NodeOperationError(node, error.message, { description: `Fix the "${error.field}" field of the Kubernetes API credential` });
		}
		throw new NodeOperationError(node, 'The Kubernetes API credential could not be used', { description: 'Check the Kubernetes API credential' });
	}
}
