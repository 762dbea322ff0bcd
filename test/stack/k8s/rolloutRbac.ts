import { resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { loadKustomization } from './server/rbac';
import type { KubeStandIn } from './index';

const ROLLOUT_RBAC = resolve(__dirname, '../../../deploy/rollout');

/** Applies deploy/rollout once per namespace, as `kustomize edit set namespace <ns> && kubectl apply -k` would. */
export async function grantRolloutRead(standIn: KubeStandIn, namespaces: string[]): Promise<void> {
	const kc = new k8s.KubeConfig();
	kc.loadFromString(standIn.kubeconfig(standIn.adminToken));
	const core = kc.makeApiClient(k8s.CoreV1Api);
	const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
	for (const namespace of namespaces) {
		await core.createNamespace({ body: { metadata: { name: namespace } } }).catch(() => undefined);
		for (const obj of loadKustomization(ROLLOUT_RBAC)) {
			const body = { ...obj, metadata: { ...obj.metadata, namespace } };
			if (obj.kind === 'Role') await rbac.createNamespacedRole({ namespace, body });
			else if (obj.kind === 'RoleBinding')
				await rbac.createNamespacedRoleBinding({ namespace, body });
		}
	}
}
