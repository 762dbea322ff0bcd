import { NodeOperationError, type IExecuteFunctions } from 'n8n-workflow';
import type * as k8s from '@kubernetes/client-node';
import type { KubernetesCredential } from '../../lib/k8s/kubeConfig';
import { toNodeError } from './nodeErrors';

/** The credential and KubeConfig of an execution; a bad credential fails the node naming the credential field to fix. */
export async function kubernetesAccess(
	context: IExecuteFunctions,
): Promise<{ cred: KubernetesCredential; kc: k8s.KubeConfig }> {
	const cred = (await context.getCredentials('kubernetesApi')) as unknown as KubernetesCredential;
	const { kubeConfigFromCredential, KubernetesCredentialError } =
		await import('../../lib/k8s/kubeConfig');
	try {
		return { cred, kc: kubeConfigFromCredential(cred) };
	} catch (error) {
		if (error instanceof KubernetesCredentialError)
			throw toNodeError(context.getNode(), error, { properties: [] });
		// Anything else may carry what the client read; show a fixed text.
		throw new NodeOperationError(
			context.getNode(),
			'The Kubernetes API credential could not be used',
			{ description: 'Check the Kubernetes API credential' },
		);
	}
}
