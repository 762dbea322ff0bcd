import type * as k8s from '@kubernetes/client-node';
import { kubernetesClient } from '../kubernetesClient';
import type { PodLike } from './podDiagnosis';

/**
 * The Job's pods: by `batch.kubernetes.io/controller-uid` (unique even when a Job is re-created under the same
 * name), falling back to `job-name` for clusters older than 1.27 that only set the unprefixed labels, keeping
 * only pods owned by this Job when owner references say so.
 */
export async function listJobPods(
	kc: k8s.KubeConfig,
	namespace: string,
	jobName: string,
	uid: string | undefined,
): Promise<PodLike[]> {
	const core = kc.makeApiClient(kubernetesClient().CoreV1Api);
	if (uid) {
		const byUid = await core.listNamespacedPod({
			namespace,
			labelSelector: `batch.kubernetes.io/controller-uid=${uid}`,
		});
		if (byUid.items.length > 0) return byUid.items;
	}
	const byName = await core.listNamespacedPod({ namespace, labelSelector: `job-name=${jobName}` });
	return byName.items.filter((pod) => {
		const owners = pod.metadata?.ownerReferences ?? [];
		return !uid || owners.length === 0 || owners.some((o) => o.uid === uid);
	});
}
