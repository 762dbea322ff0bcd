import type * as k8s from '@kubernetes/client-node';
import { kubernetesClient } from './kubernetesClient';
import { describeKubernetesError } from './apiError';

/**
 * The credential test: may this identity create Jobs in the namespace? One SelfSubjectAccessReview, which
 * every authenticated identity may post, so it checks reachability, TLS, the token and RBAC at once.
 */
export async function checkCanCreateJobs(
	kc: k8s.KubeConfig,
	namespace: string,
): Promise<{ ok: boolean; message: string }> {
	const api = kc.makeApiClient(kubernetesClient().AuthorizationV1Api);
	try {
		const review = await api.createSelfSubjectAccessReview({
			body: {
				spec: {
					resourceAttributes: { namespace, verb: 'create', group: 'batch', resource: 'jobs' },
				},
			},
		});
		if (review.status?.allowed)
			return { ok: true, message: `Connected: allowed to create Jobs in "${namespace}"` };
		return {
			ok: false,
			message: `Connected, but this identity may not create Jobs in "${namespace}": apply deploy/ (Role build-job-manager) and bind it to the identity`,
		};
	} catch (error) {
		const failure = describeKubernetesError(error);
		return { ok: false, message: `Could not reach the Kubernetes API: ${failure.message}` };
	}
}
