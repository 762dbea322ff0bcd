import { DEFAULT_ROOTLESS_IMAGE } from '../../../lib/k8s/build';

/**
 * A BuildKit Job shaped like the one Create BuildKit Job produces (names, annotations and labels the simulator
 * reads; images, service account and security contexts that deploy/admission admits), for the stand-in's own
 * tests and anyone who needs a Job without going through the node.
 */
export interface TestJobOptions {
	name: string;
	namespace?: string;
	appName?: string;
	images?: string[];
	gitUrl?: string;
	revision?: string;
	attestations?: string;
	backoffLimit?: number;
	activeDeadlineSeconds?: number;
	ttlSecondsAfterFinished?: number;
	memoryLimit?: string;
	restartPolicy?: 'Never' | 'OnFailure';
	/** false: no resources on git-clone (a quota on memory then refuses the pod). */
	gitCloneResources?: boolean;
}

export function testJob(o: TestJobOptions) {
	return {
		apiVersion: 'batch/v1',
		kind: 'Job',
		metadata: {
			name: o.name,
			namespace: o.namespace ?? 'build-system',
			labels: { webapp: o.appName ?? 'app', 'app.kubernetes.io/managed-by': 'n8n-nodes-buildkit' },
			annotations: {
				'buildkit.n8n.io/images': (o.images ?? []).join(','),
				'buildkit.n8n.io/git-url': o.gitUrl ?? 'https://git.example/org/app.git',
				'buildkit.n8n.io/git-revision': o.revision ?? 'main',
				'buildkit.n8n.io/attestations': o.attestations ?? '',
			},
		},
		spec: {
			backoffLimit: o.backoffLimit ?? 0,
			...(o.activeDeadlineSeconds ? { activeDeadlineSeconds: o.activeDeadlineSeconds } : {}),
			...(o.ttlSecondsAfterFinished !== undefined
				? { ttlSecondsAfterFinished: o.ttlSecondsAfterFinished }
				: {}),
			template: {
				metadata: { labels: { webapp: o.appName ?? 'app' } },
				spec: {
					restartPolicy: o.restartPolicy ?? 'Never',
					serviceAccountName: 'buildkit-sa',
					automountServiceAccountToken: false,
					initContainers: [
						{
							name: 'git-clone',
							image: DEFAULT_ROOTLESS_IMAGE,
							args: ['clone', o.gitUrl ?? 'https://git.example/org/app.git', '/workspace/src'],
							securityContext: {
								runAsUser: 1000,
								runAsGroup: 1000,
								runAsNonRoot: true,
								allowPrivilegeEscalation: false,
								readOnlyRootFilesystem: true,
								capabilities: { drop: ['ALL'] },
								seccompProfile: { type: 'RuntimeDefault' },
							},
							...(o.gitCloneResources === false
								? {}
								: { resources: { limits: { memory: '256Mi' }, requests: { memory: '64Mi' } } }),
						},
					],
					containers: [
						{
							name: 'buildkit',
							image: DEFAULT_ROOTLESS_IMAGE,
							securityContext: {
								runAsUser: 1000,
								runAsGroup: 1000,
								runAsNonRoot: true,
								allowPrivilegeEscalation: true,
								seccompProfile: { type: 'Unconfined' },
								appArmorProfile: { type: 'Unconfined' },
							},
							resources: {
								limits: { memory: o.memoryLimit ?? '2Gi' },
								requests: { memory: '512Mi' },
							},
						},
					],
				},
			},
		},
	};
}
