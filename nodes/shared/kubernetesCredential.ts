import { NodeOperationError, type INode } from 'n8n-workflow';
import type * as k8s from '@kubernetes/client-node';
import { kubeConfigFromCredential, KubernetesCredentialError, type KubernetesCredential } from '../../lib/k8s/kubeConfig';
import { toNodeError } from './nodeErrors';

/** The KubeConfig for an execution; a bad credential fails the node naming the credential field to fix. */
export function kubeConfigForNode(node: INode, cred: KubernetesCredential): k8s.KubeConfig {
	try {
		return kubeConfigFromCredential(cred);
	} catch (error) {
		if (error instanceof KubernetesCredentialError) throw toNodeError(node, error, { properties: [] });
		// Anything else may carry what the client read; show a fixed text.
		throw new NodeOperationError(node, 'The Kubernetes API credential could not be used', { description: 'Check the Kubernetes API credential' });
	}
}
