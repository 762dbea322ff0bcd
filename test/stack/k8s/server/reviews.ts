import { serviceAccountIdentity, type TokenIdentity } from '../tokens';
import type { Attributes, Authorizer } from './rbac';
import { errors } from './status';

/**
 * The authorization.k8s.io review objects: SelfSubjectAccessReview (`kubectl auth can-i`, the credential
 * test), SelfSubjectRulesReview (`auth can-i --list`), SubjectAccessReview and LocalSubjectAccessReview.
 */
function attributes(spec: any): Attributes {
	if (spec?.nonResourceAttributes)
		return {
			verb: spec.nonResourceAttributes.verb ?? '',
			path: spec.nonResourceAttributes.path ?? '',
		};
	const ra = spec?.resourceAttributes;
	if (!ra)
		throw errors.badRequest('spec.resourceAttributes or spec.nonResourceAttributes is required');
	return {
		verb: ra.verb ?? '',
		namespace: ra.namespace || undefined,
		group: ra.group ?? '',
		resource: ra.resource ?? '',
		subresource: ra.subresource ?? '',
		name: ra.name || undefined,
	};
}

function identityOf(spec: any): TokenIdentity {
	const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(spec?.user ?? '');
	const base = m
		? serviceAccountIdentity(m[1], m[2])
		: { user: spec?.user ?? '', groups: [], uid: spec?.uid ?? '' };
	return { ...base, groups: [...new Set([...(base.groups ?? []), ...(spec?.groups ?? [])])] };
}

function reply(kind: string, spec: any, status: unknown, namespace?: string) {
	return {
		kind,
		apiVersion: 'authorization.k8s.io/v1',
		metadata: { creationTimestamp: null, ...(namespace ? { namespace } : {}) },
		spec,
		status,
	};
}

export function review(
	kind: string,
	body: any,
	who: TokenIdentity,
	authorizer: Authorizer,
	urlNamespace?: string,
) {
	if (body?.kind && body.kind !== kind)
		throw errors.badRequest(
			`the API version in the data does not match the expected kind ${kind} (got ${body.kind})`,
		);
	const spec = body?.spec ?? {};
	switch (kind) {
		case 'SelfSubjectAccessReview': {
			const d = authorizer.authorize(who, attributes(spec));
			return reply(kind, spec, { allowed: d.allowed, ...(d.reason ? { reason: d.reason } : {}) });
		}
		case 'SelfSubjectRulesReview':
			if (!spec.namespace)
				throw errors.invalid(kind, 'authorization.k8s.io', '', [
					{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.namespace' },
				]);
			return reply(kind, spec, authorizer.rules(who, spec.namespace));
		case 'SubjectAccessReview': {
			const d = authorizer.authorize(identityOf(spec), attributes(spec));
			return reply(kind, spec, { allowed: d.allowed, ...(d.reason ? { reason: d.reason } : {}) });
		}
		case 'LocalSubjectAccessReview': {
			const attrs = attributes(spec);
			if (attrs.namespace && attrs.namespace !== urlNamespace) {
				throw errors.badRequest(
					`spec.resourceAttributes.namespace must match metadata.namespace: ${attrs.namespace} != ${urlNamespace}`,
				);
			}
			const d = authorizer.authorize(identityOf(spec), { ...attrs, namespace: urlNamespace });
			return reply(
				kind,
				spec,
				{ allowed: d.allowed, ...(d.reason ? { reason: d.reason } : {}) },
				urlNamespace,
			);
		}
		default:
			throw errors.pathNotFound();
	}
}
