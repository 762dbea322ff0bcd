/**
 * The resources the stand-in serves and the discovery documents built from them. Everything the RBAC in
 * deploy/ denies (secrets, pods create, pods/exec, cluster-scoped reads) exists here too, so a denial is a
 * real 403 rather than a 404 that would prove nothing.
 */
export interface ResourceDef {
	group: string;
	version: string;
	plural: string;
	singular: string;
	kind: string;
	namespaced: boolean;
	verbs: string[];
	shortNames?: string[];
	categories?: string[];
	/** Subresources served (each becomes its own discovery entry). */
	subresources?: Record<string, { kind: string; verbs: string[] }>;
	/** Field selectors accepted beyond metadata.name / metadata.namespace. */
	fields?: string[];
	/** Not stored: create-only review objects (SelfSubjectAccessReview...). */
	virtual?: boolean;
}

const CRUD = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** apps/v1 workloads and the Flux (Kustomization, HelmRelease) / Argo CD custom resources the GitOps simulator (gitops/) drives. */
const statusOf = (kind: string) => ({ status: { kind, verbs: ['get', 'patch', 'update'] } });
const WORKLOAD_RESOURCES: ResourceDef[] = [
	...(['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet'] as const).map(
		(kind): ResourceDef => ({
			group: 'apps',
			version: 'v1',
			plural: `${kind.toLowerCase()}s`,
			singular: kind.toLowerCase(),
			kind,
			namespaced: true,
			verbs: CRUD,
			shortNames: [
				{ Deployment: 'deploy', ReplicaSet: 'rs', StatefulSet: 'sts', DaemonSet: 'ds' }[kind],
			],
			categories: ['all'],
			subresources: statusOf(kind),
		}),
	),
	{
		group: 'kustomize.toolkit.fluxcd.io',
		version: 'v1',
		plural: 'kustomizations',
		singular: 'kustomization',
		kind: 'Kustomization',
		namespaced: true,
		verbs: CRUD,
		shortNames: ['ks'],
		categories: ['all'],
		subresources: statusOf('Kustomization'),
	},
	{
		group: 'helm.toolkit.fluxcd.io',
		version: 'v2',
		plural: 'helmreleases',
		singular: 'helmrelease',
		kind: 'HelmRelease',
		namespaced: true,
		verbs: CRUD,
		shortNames: ['hr'],
		categories: ['all'],
		subresources: statusOf('HelmRelease'),
	},
	{
		group: 'argoproj.io',
		version: 'v1alpha1',
		plural: 'applications',
		singular: 'application',
		kind: 'Application',
		namespaced: true,
		verbs: CRUD,
		shortNames: ['app', 'apps'],
		categories: ['argo'],
	},
];

export const RESOURCES: ResourceDef[] = [
	{
		group: '',
		version: 'v1',
		plural: 'namespaces',
		singular: 'namespace',
		kind: 'Namespace',
		namespaced: false,
		verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
		shortNames: ['ns'],
		fields: ['status.phase'],
	},
	{
		group: '',
		version: 'v1',
		plural: 'pods',
		singular: 'pod',
		kind: 'Pod',
		namespaced: true,
		verbs: CRUD,
		shortNames: ['po'],
		categories: ['all'],
		fields: [
			'spec.nodeName',
			'spec.restartPolicy',
			'spec.schedulerName',
			'spec.serviceAccountName',
			'status.phase',
			'status.podIP',
			'status.nominatedNodeName',
		],
		subresources: {
			log: { kind: 'Pod', verbs: ['get'] },
			exec: { kind: 'PodExecOptions', verbs: ['create', 'get'] },
			attach: { kind: 'PodAttachOptions', verbs: ['create', 'get'] },
			portforward: { kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
			status: { kind: 'Pod', verbs: ['get', 'patch', 'update'] },
		},
	},
	{
		group: '',
		version: 'v1',
		plural: 'secrets',
		singular: 'secret',
		kind: 'Secret',
		namespaced: true,
		verbs: CRUD,
		fields: ['type'],
	},
	{
		group: '',
		version: 'v1',
		plural: 'configmaps',
		singular: 'configmap',
		kind: 'ConfigMap',
		namespaced: true,
		verbs: CRUD,
		shortNames: ['cm'],
	},
	{
		group: '',
		version: 'v1',
		plural: 'serviceaccounts',
		singular: 'serviceaccount',
		kind: 'ServiceAccount',
		namespaced: true,
		verbs: CRUD,
		shortNames: ['sa'],
		subresources: { token: { kind: 'TokenRequest', verbs: ['create'] } },
	},
	{
		group: '',
		version: 'v1',
		plural: 'events',
		singular: 'event',
		kind: 'Event',
		namespaced: true,
		verbs: CRUD,
		shortNames: ['ev'],
		fields: ['involvedObject.kind', 'involvedObject.name', 'involvedObject.uid', 'reason', 'type'],
	},
	{
		group: '',
		version: 'v1',
		plural: 'resourcequotas',
		singular: 'resourcequota',
		kind: 'ResourceQuota',
		namespaced: true,
		verbs: CRUD,
		shortNames: ['quota'],
	},
	{
		group: '',
		version: 'v1',
		plural: 'nodes',
		singular: 'node',
		kind: 'Node',
		namespaced: false,
		verbs: CRUD,
		shortNames: ['no'],
	},
	{
		group: 'batch',
		version: 'v1',
		plural: 'jobs',
		singular: 'job',
		kind: 'Job',
		namespaced: true,
		verbs: CRUD,
		categories: ['all'],
		fields: ['status.successful'],
		subresources: { status: { kind: 'Job', verbs: ['get', 'patch', 'update'] } },
	},
	{
		group: 'authorization.k8s.io',
		version: 'v1',
		plural: 'selfsubjectaccessreviews',
		singular: 'selfsubjectaccessreview',
		kind: 'SelfSubjectAccessReview',
		namespaced: false,
		verbs: ['create'],
		virtual: true,
	},
	{
		group: 'authorization.k8s.io',
		version: 'v1',
		plural: 'selfsubjectrulesreviews',
		singular: 'selfsubjectrulesreview',
		kind: 'SelfSubjectRulesReview',
		namespaced: false,
		verbs: ['create'],
		virtual: true,
	},
	{
		group: 'authorization.k8s.io',
		version: 'v1',
		plural: 'subjectaccessreviews',
		singular: 'subjectaccessreview',
		kind: 'SubjectAccessReview',
		namespaced: false,
		verbs: ['create'],
		virtual: true,
	},
	{
		group: 'authorization.k8s.io',
		version: 'v1',
		plural: 'localsubjectaccessreviews',
		singular: 'localsubjectaccessreview',
		kind: 'LocalSubjectAccessReview',
		namespaced: true,
		verbs: ['create'],
		virtual: true,
	},
	...WORKLOAD_RESOURCES,
	...(
		[
			['ValidatingAdmissionPolicy', 'validatingadmissionpolicies'],
			['ValidatingAdmissionPolicyBinding', 'validatingadmissionpolicybindings'],
		] as const
	).map(([kind, plural]): ResourceDef => ({
		group: 'admissionregistration.k8s.io',
		version: 'v1',
		plural,
		singular: kind.toLowerCase(),
		kind,
		namespaced: false,
		verbs: CRUD,
		categories: ['api-extensions'],
	})),
	...(['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'] as const).map(
		(kind): ResourceDef => ({
			group: 'rbac.authorization.k8s.io',
			version: 'v1',
			plural: `${kind.toLowerCase()}s`,
			singular: kind.toLowerCase(),
			kind,
			namespaced: !kind.startsWith('Cluster'),
			verbs: CRUD,
		}),
	),
];

export function findResource(
	group: string,
	version: string,
	plural: string,
): ResourceDef | undefined {
	return RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);
}

export function resourceByKind(apiVersion: string, kind: string): ResourceDef | undefined {
	const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
	return RESOURCES.find((r) => r.group === group && r.version === version && r.kind === kind);
}

export function apiVersionOf(def: ResourceDef): string {
	return def.group ? `${def.group}/${def.version}` : def.version;
}

export const SERVER_VERSION = {
	major: '1',
	minor: '32',
	gitVersion: 'v1.32.4-standin',
	gitCommit: '0000000000000000000000000000000000000000',
	gitTreeState: 'clean',
	buildDate: '2025-04-22T00:00:00Z',
	goVersion: 'go1.23.6',
	compiler: 'gc',
	platform: 'linux/amd64',
};

function groups(): string[] {
	return [...new Set(RESOURCES.filter((r) => r.group).map((r) => r.group))];
}

function groupDoc(group: string) {
	const version = RESOURCES.find((r) => r.group === group)!.version;
	const gv = { groupVersion: `${group}/${version}`, version };
	return { name: group, versions: [gv], preferredVersion: gv };
}

export function coreVersions(serverAddress: string) {
	return {
		kind: 'APIVersions',
		versions: ['v1'],
		serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
	};
}

export function groupList() {
	return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups().map(groupDoc) };
}

export function apiGroup(group: string) {
	return groups().includes(group)
		? { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(group) }
		: undefined;
}

export function resourceList(group: string, version: string) {
	const defs = RESOURCES.filter((r) => r.group === group && r.version === version);
	if (defs.length === 0) return undefined;
	const resources: object[] = [];
	for (const d of defs) {
		resources.push({
			name: d.plural,
			singularName: d.singular,
			namespaced: d.namespaced,
			kind: d.kind,
			verbs: d.verbs,
			...(d.shortNames ? { shortNames: d.shortNames } : {}),
			...(d.categories ? { categories: d.categories } : {}),
			storageVersionHash: Buffer.from(`${d.group}/${d.plural}`).toString('base64').slice(0, 11),
		});
		for (const [sub, s] of Object.entries(d.subresources ?? {})) {
			resources.push({
				name: `${d.plural}/${sub}`,
				singularName: '',
				namespaced: d.namespaced,
				kind: s.kind,
				verbs: s.verbs,
			});
		}
	}
	return {
		kind: 'APIResourceList',
		apiVersion: 'v1',
		groupVersion: group ? `${group}/${version}` : version,
		resources,
	};
}
