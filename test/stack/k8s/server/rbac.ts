import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import type { TokenIdentity } from '../tokens';
import type { Store } from './store';

/**
 * RBAC as kube-apiserver evaluates it: the Roles/RoleBindings/ClusterRoles/ClusterRoleBindings in the store
 * (seeded from the kustomization in deploy/ plus the default cluster roles every cluster has), matched against
 * the request's user, groups, verb, API group, resource/subresource, name and namespace. `system:masters` is
 * allowed everything without consulting RBAC, as in the real authorizer chain.
 */
export interface Attributes {
	verb: string;
	namespace?: string;
	group?: string;
	resource?: string;
	subresource?: string;
	name?: string;
	/** Non-resource request (discovery, /version). */
	path?: string;
}

export interface Decision {
	allowed: boolean;
	reason: string;
}

interface Rule {
	apiGroups?: string[];
	resources?: string[];
	verbs: string[];
	resourceNames?: string[];
	nonResourceURLs?: string[];
}

/**
 * Reads every object of the kustomization in `dir` (only its plain `resources:` files and directories with a
 * kustomization of their own; no kustomize needed).
 */
export function loadKustomization(dir: string): any[] {
	const kustomization = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) ?? {};
	const objects: any[] = [];
	for (const file of (kustomization.resources ?? []) as string[]) {
		const path = join(dir, file);
		if (statSync(path).isDirectory()) {
			objects.push(...loadKustomization(path));
			continue;
		}
		const text = readFileSync(path, 'utf8');
		for (const doc of parseAllDocuments(text)) {
			const obj = doc.toJS();
			if (obj && typeof obj === 'object' && obj.kind) objects.push(obj);
		}
	}
	const ns = kustomization.namespace as string | undefined;
	if (ns)
		for (const o of objects)
			if (o.kind !== 'Namespace' && !o.kind.startsWith('Cluster')) o.metadata.namespace ??= ns;
	return objects;
}

/** The default roles and bindings of a fresh cluster that matter to what clients do here. */
export function defaultRbacObjects(): any[] {
	const rbac = 'rbac.authorization.k8s.io/v1';
	const discoveryUrls = [
		'/api',
		'/api/*',
		'/apis',
		'/apis/*',
		'/healthz',
		'/livez',
		'/readyz',
		'/openapi',
		'/openapi/*',
		'/version',
		'/version/',
	];
	const role = (name: string, rules: Rule[]) => ({
		apiVersion: rbac,
		kind: 'ClusterRole',
		metadata: { name },
		rules,
	});
	const binding = (name: string, roleName: string, groups: string[]) => ({
		apiVersion: rbac,
		kind: 'ClusterRoleBinding',
		metadata: { name },
		roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
		subjects: groups.map((g) => ({
			apiGroup: 'rbac.authorization.k8s.io',
			kind: 'Group',
			name: g,
		})),
	});
	return [
		role('cluster-admin', [
			{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
			{ nonResourceURLs: ['*'], verbs: ['*'] },
		]),
		binding('cluster-admin', 'cluster-admin', ['system:masters']),
		role('system:discovery', [{ nonResourceURLs: discoveryUrls, verbs: ['get'] }]),
		binding('system:discovery', 'system:discovery', ['system:authenticated']),
		role('system:public-info-viewer', [
			{
				nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'],
				verbs: ['get'],
			},
		]),
		binding('system:public-info-viewer', 'system:public-info-viewer', [
			'system:authenticated',
			'system:unauthenticated',
		]),
		role('system:basic-user', [
			{
				apiGroups: ['authorization.k8s.io'],
				resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
				verbs: ['create'],
			},
		]),
		binding('system:basic-user', 'system:basic-user', ['system:authenticated']),
	];
}

function matchesSubject(
	subject: any,
	bindingNamespace: string | undefined,
	who: TokenIdentity,
): boolean {
	switch (subject.kind) {
		case 'User':
			return subject.name === who.user;
		case 'Group':
			return who.groups.includes(subject.name);
		case 'ServiceAccount':
			return (
				who.user ===
				`system:serviceaccount:${subject.namespace ?? bindingNamespace}:${subject.name}`
			);
		default:
			return false;
	}
}

const has = (list: string[] | undefined, value: string) =>
	!!list && (list.includes('*') || list.includes(value));

function ruleAllows(rule: Rule, a: Attributes): boolean {
	if (!has(rule.verbs, a.verb)) return false;
	if (a.path !== undefined) {
		return (rule.nonResourceURLs ?? []).some(
			(u) => u === '*' || u === a.path || (u.endsWith('*') && a.path!.startsWith(u.slice(0, -1))),
		);
	}
	if (!has(rule.apiGroups, a.group ?? '')) return false;
	const resources = rule.resources ?? [];
	const wanted = a.subresource ? `${a.resource}/${a.subresource}` : a.resource!;
	const resourceOk =
		resources.includes('*') ||
		resources.includes(wanted) ||
		(!!a.subresource && resources.includes(`*/${a.subresource}`));
	if (!resourceOk) return false;
	return !rule.resourceNames?.length || (!!a.name && rule.resourceNames.includes(a.name));
}

interface Grant {
	binding: any;
	role: any;
}

export class Authorizer {
	constructor(private readonly store: Store) {}

	private role(roleRef: any, namespace: string | undefined): any {
		return roleRef.kind === 'ClusterRole'
			? this.store.get('rbac.authorization.k8s.io/clusterroles', undefined, roleRef.name)
			: this.store.get('rbac.authorization.k8s.io/roles', namespace, roleRef.name);
	}

	/** Every (binding, role) granting something to `who` that applies in `namespace` (cluster-wide ones always). */
	private grants(who: TokenIdentity, namespace: string | undefined): Grant[] {
		const out: Grant[] = [];
		for (const b of this.store.list('rbac.authorization.k8s.io/clusterrolebindings')) {
			if ((b.subjects ?? []).some((s: any) => matchesSubject(s, undefined, who))) {
				const role = this.role(b.roleRef, undefined);
				if (role) out.push({ binding: b, role });
			}
		}
		if (namespace) {
			for (const b of this.store.list('rbac.authorization.k8s.io/rolebindings', namespace)) {
				if ((b.subjects ?? []).some((s: any) => matchesSubject(s, namespace, who))) {
					const role = this.role(b.roleRef, namespace);
					if (role) out.push({ binding: b, role });
				}
			}
		}
		return out;
	}

	authorize(who: TokenIdentity, a: Attributes): Decision {
		if (who.groups.includes('system:masters')) return { allowed: true, reason: '' };
		for (const g of this.grants(who, a.path === undefined ? a.namespace : undefined)) {
			if ((g.role.rules ?? []).some((r: Rule) => ruleAllows(r, a))) {
				const bindingName = g.binding.metadata.namespace
					? `${g.binding.metadata.name}/${g.binding.metadata.namespace}`
					: g.binding.metadata.name;
				const subject = (g.binding.subjects as any[]).find((s) =>
					matchesSubject(s, g.binding.metadata.namespace, who),
				);
				const subjectName =
					subject.kind === 'ServiceAccount'
						? `${subject.name}/${subject.namespace ?? g.binding.metadata.namespace}`
						: subject.name;
				return {
					allowed: true,
					reason: `RBAC: allowed by ${g.binding.kind} "${bindingName}" of ${g.role.kind} "${g.role.metadata.name}" to ${subject.kind} "${subjectName}"`,
				};
			}
		}
		return { allowed: false, reason: '' };
	}

	/** The SelfSubjectRulesReview answer: what `who` may do in `namespace`. */
	rules(who: TokenIdentity, namespace: string) {
		if (who.groups.includes('system:masters')) {
			return {
				resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
				nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
				incomplete: false,
			};
		}
		const resourceRules: Rule[] = [];
		const nonResourceRules: Rule[] = [];
		for (const g of this.grants(who, namespace)) {
			for (const r of (g.role.rules ?? []) as Rule[]) {
				if (r.nonResourceURLs)
					nonResourceRules.push({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs });
				else
					resourceRules.push({
						verbs: r.verbs,
						apiGroups: r.apiGroups,
						resources: r.resources,
						...(r.resourceNames ? { resourceNames: r.resourceNames } : {}),
					});
			}
		}
		return { resourceRules, nonResourceRules, incomplete: false };
	}
}
