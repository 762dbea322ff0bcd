import { NodeOperationError, type INode } from 'n8n-workflow';
import type * as k8s from '@kubernetes/client-node';
import { kubeConfigFromCredential, KubernetesCredentialError, type KubernetesCredential } from '../../lib/k8s/kubeConfig';

/** The KubeConfig for an execution; a bad credential fails the node naming the field to fix. */
export function kubeConfigForNode(node: INode, cred: KubernetesCredential): k8s.KubeConfig {
	try {
		return kubeConfigFromCredential(cred);
	} catch (error) {
		if (error instanceof KubernetesCredentialError) {
			throw new NodeOperationError(node, error.message, { description: `Fix the "${error.field}" field of the Kubernetes API credential` });
		}
		throw new NodeOperationError(node, error as Error);
	}
}
