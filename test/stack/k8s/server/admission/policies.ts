import type { TokenIdentity } from '../../tokens';
import { ApiError, qualified, type StatusBody, type StatusCause } from '../status';
import type { Store } from '../store';
import { evaluate, toCel, type Bindings } from './cel';

/**
 * The ValidatingAdmissionPolicy plugin (k8s.io/apiserver/pkg/admission/plugin/policy/validating) over the
 * stand-in's stored policies, bindings and param objects: match constraints (resource rules, namespace and
 * object selectors), binding match resources, params (paramRef by name or selector, parameterNotFoundAction),
 * matchConditions, variables, validations with message/messageExpression and reason, validationActions Deny
 * and Warn, failurePolicy. The first denial is answered as the apiserver does: 403 wording from
 * admission.NewForbidden, then reason and code from the validation's `reason` (default Invalid, 422).
 */
export const POLICIES = 'admissionregistration.k8s.io/validatingadmissionpolicies';
export const BINDINGS = 'admissionregistration.k8s.io/validatingadmissionpolicybindings';

export interface AdmissionAttributes {
	operation: 'CREATE' | 'UPDATE';
	group: string;
	version: string;
	resource: string;
	subresource: string;
	kind: string;
	namespace?: string;
	name: string;
	object: any;
	oldObject?: any;
	user: TokenIdentity;
	dryRun: boolean;
}

export interface AdmissionResult {
	denied?: ApiError;
	warnings: string[];
}

interface Decision {
	message: string;
	reason?: string;
}

interface Denial extends Decision {
	policy: string;
	binding?: string;
}

type Selector = {
	matchLabels?: Record<string, string>;
	matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
};

/** metav1.LabelSelector; an absent selector matches everything, an empty one too. */
function selectorMatches(
	selector: Selector | undefined,
	labels: Record<string, string> = {},
): boolean {
	if (!selector) return true;
	for (const [k, v] of Object.entries(selector.matchLabels ?? {}))
		if (labels[k] !== v) return false;
	return (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
		switch (operator) {
			case 'In':
				return key in labels && values.includes(labels[key]);
			case 'NotIn':
				return !(key in labels) || !values.includes(labels[key]);
			case 'Exists':
				return key in labels;
			case 'DoesNotExist':
				return !(key in labels);
			default:
				return false;
		}
	});
}

const listed = (list: string[] | undefined, value: string) =>
	(list ?? []).some((x) => x === '*' || x === value);

interface Rule {
	apiGroups?: string[];
	apiVersions?: string[];
	operations?: string[];
	resources?: string[];
	resourceNames?: string[];
	scope?: string;
}

function ruleMatches(rule: Rule, a: AdmissionAttributes): boolean {
	const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
	const resourceOk = (rule.resources ?? []).some((r) =>
		r === '*'
			? !a.subresource
			: r === '*/*' ||
				r === resource ||
				(a.subresource && r === `*/${a.subresource}`) ||
				(a.subresource && r === `${a.resource}/*`),
	);
	const scope = rule.scope ?? '*';
	const scopeOk =
		scope === '*' ||
		(scope === 'Namespaced' ? a.namespace !== undefined : a.namespace === undefined);
	const nameOk = !rule.resourceNames?.length || rule.resourceNames.includes(a.name);
	return (
		listed(rule.apiGroups, a.group) &&
		listed(rule.apiVersions, a.version) &&
		listed(rule.operations, a.operation) &&
		resourceOk &&
		scopeOk &&
		nameOk
	);
}

/** MatchResources of a policy (matchConstraints) or a binding (matchResources; absent = everything). */
function resourcesMatch(
	match: any,
	a: AdmissionAttributes,
	namespaceLabels: Record<string, string> | undefined,
	requireRules: boolean,
): boolean {
	if (!match) return !requireRules;
	if (a.namespace !== undefined && !selectorMatches(match.namespaceSelector, namespaceLabels))
		return false;
	const objectLabels = [
		a.object?.metadata?.labels,
		...(a.oldObject ? [a.oldObject.metadata?.labels] : []),
	];
	if (
		match.objectSelector &&
		!objectLabels.some((l) => selectorMatches(match.objectSelector, l ?? {}))
	)
		return false;
	const rules: Rule[] | undefined = match.resourceRules;
	if (rules?.length ? !rules.some((r) => ruleMatches(r, a)) : requireRules) return false;
	return !(match.excludeResourceRules ?? []).some((r: Rule) => ruleMatches(r, a));
}

/** The AdmissionRequest as CEL sees it (cel.CreateAdmissionRequest, empty fields omitted as in JSON). */
function requestObject(a: AdmissionAttributes): Record<string, unknown> {
	const gvk = { group: a.group, version: a.version, kind: a.kind };
	const gvr = { group: a.group, version: a.version, resource: a.resource };
	return {
		kind: gvk,
		resource: gvr,
		requestKind: gvk,
		requestResource: gvr,
		...(a.subresource ? { subResource: a.subresource, requestSubResource: a.subresource } : {}),
		name: a.name,
		...(a.namespace !== undefined ? { namespace: a.namespace } : {}),
		operation: a.operation,
		userInfo: {
			username: a.user.user,
			...(a.user.uid ? { uid: a.user.uid } : {}),
			groups: a.user.groups,
		},
		dryRun: a.dryRun,
		options: {
			kind: a.operation === 'CREATE' ? 'CreateOptions' : 'UpdateOptions',
			apiVersion: 'meta.k8s.io/v1',
		},
	};
}

/** ToUnstructured omits nothing the stand-in stores; strips undefined and copies. */
const plain = (o: unknown) =>
	o === undefined || o === null ? null : JSON.parse(JSON.stringify(o));

/** Params for a binding: the objects, or a configuration error (generic.CollectParams). */
function collectParams(
	store: Store,
	policy: any,
	binding: any,
	a: AdmissionAttributes,
): any[] | { error: string } {
	const paramKind = policy.spec?.paramKind;
	if (!paramKind) return [null];
	const ref = binding.spec?.paramRef;
	if (!ref)
		return {
			error: `policy ${policy.metadata.name} has a paramKind but binding ${binding.metadata.name} has no paramRef`,
		};
	// ConfigMaps and Secrets are the core kinds a stand-in can hold; others are configuration errors.
	const kinds: Record<string, string> = { 'v1/ConfigMap': '/configmaps', 'v1/Secret': '/secrets' };
	const resource = kinds[`${paramKind.apiVersion}/${paramKind.kind}`];
	if (!resource)
		return {
			error: `failed to find resource referenced by paramKind: '${paramKind.apiVersion}, Kind=${paramKind.kind}'`,
		};
	const namespace = ref.namespace ?? a.namespace;
	let params: any[];
	if (ref.name) {
		const found = store.get(resource, namespace, ref.name);
		params = found ? [found] : [];
	} else {
		params = store
			.list(resource, namespace)
			.filter((o) => selectorMatches(ref.selector, o.metadata?.labels ?? {}));
	}
	if (params.length === 0 && ref.parameterNotFoundAction === 'Deny')
		return { error: 'no params found for policy binding with `Deny` parameterNotFoundAction' };
	return params;
}

/** validator.Validate for one binding and one param: the decisions that deny, in validation order. */
function validate(policy: any, bindings: Bindings): Decision[] {
	const spec = policy.spec ?? {};
	const fail = (spec.failurePolicy ?? 'Fail') === 'Fail';
	const errors: string[] = [];
	for (const condition of spec.matchConditions ?? []) {
		const r = evaluate(condition.expression, bindings);
		if ('error' in r) errors.push(r.error);
		else if (r.value === false) return [];
	}
	if (errors.length)
		return fail ? [{ message: errors.length === 1 ? errors[0] : `[${errors.join(', ')}]` }] : [];
	const variables: Record<string, unknown> = {};
	const failedVariables = new Map<string, string>();
	for (const v of spec.variables ?? []) {
		const r = evaluate(v.expression, { ...bindings, variables });
		if ('error' in r) failedVariables.set(v.name, r.error);
		else variables[v.name] = r.value;
	}
	const decisions: Decision[] = [];
	for (const validation of spec.validations ?? []) {
		const expression: string = validation.expression;
		// Variables are lazy upstream: a failed one is an error only in the expressions that use it.
		const failedVar = [...failedVariables].find(([name]) =>
			new RegExp(`\\bvariables\\.${name}\\b`).test(expression),
		);
		const r = failedVar
			? { error: failedVar[1] }
			: evaluate(expression, { ...bindings, variables });
		if ('error' in r) {
			if (fail) decisions.push({ message: r.error });
			continue;
		}
		if (r.value === true) continue;
		let message = '';
		if (validation.messageExpression) {
			const m = evaluate(validation.messageExpression, { ...bindings, variables });
			if ('value' in m && typeof m.value === 'string') {
				message = m.value.trim();
				if (message.length > 5 * 1024 || message.includes('\n')) message = '';
			}
		}
		if (!message && validation.message) message = String(validation.message).trim();
		if (!message) message = `failed expression: ${expression.trim()}`;
		decisions.push({ message, reason: validation.reason ?? 'Invalid' });
	}
	return decisions;
}

function reasonToCode(reason: string): number {
	return (
		({ Forbidden: 403, Unauthorized: 401, RequestEntityTooLarge: 413 } as Record<string, number>)[
			reason
		] ?? 422
	);
}

function denialStatus(a: AdmissionAttributes, denial: Denial): ApiError {
	const message = denial.binding
		? `ValidatingAdmissionPolicy '${denial.policy}' with binding '${denial.binding}' denied request: ${denial.message}`
		: `ValidatingAdmissionPolicy '${denial.policy}' denied request: ${denial.message}`;
	const gr = { group: a.group, resource: a.resource };
	const reason = denial.reason ?? 'Invalid';
	const body: StatusBody = {
		kind: 'Status',
		apiVersion: 'v1',
		metadata: {},
		status: 'Failure',
		message: `${qualified(gr)} "${a.name}" is forbidden: ${message}`,
		reason,
		details: {
			name: a.name,
			group: a.group,
			kind: a.resource,
			causes: [{ message } as StatusCause],
		},
		code: reasonToCode(reason),
	};
	return new ApiError(body);
}

/** Runs every stored policy against a create or update; `denied` is the first denial, as upstream. */
export function admitWithPolicies(store: Store, a: AdmissionAttributes): AdmissionResult {
	const warnings: string[] = [];
	const denials: Denial[] = [];
	const namespaceObject =
		a.namespace !== undefined && a.kind !== 'Namespace'
			? store.get('/namespaces', undefined, a.namespace)
			: undefined;
	const policies = store
		.list(POLICIES, undefined)
		.sort((x, y) => x.metadata.name.localeCompare(y.metadata.name));
	if (policies.length === 0) return { warnings };
	const allBindings = store.list(BINDINGS, undefined);
	for (const policy of policies) {
		if (!resourcesMatch(policy.spec?.matchConstraints, a, namespaceObject?.metadata?.labels, true))
			continue;
		const fail = (policy.spec?.failurePolicy ?? 'Fail') === 'Fail';
		for (const binding of allBindings.filter((b) => b.spec?.policyName === policy.metadata.name)) {
			if (
				!resourcesMatch(binding.spec?.matchResources, a, namespaceObject?.metadata?.labels, false)
			)
				continue;
			const params = collectParams(store, policy, binding, a);
			if (!Array.isArray(params)) {
				if (fail)
					denials.push({
						policy: policy.metadata.name,
						binding: binding.metadata.name,
						message: `failed to configure binding: ${params.error}`,
					});
				continue;
			}
			for (const param of params) {
				const bindings: Bindings = {
					object: toCel(plain(a.object)),
					oldObject: toCel(plain(a.oldObject)),
					params: toCel(plain(param)),
					request: toCel(requestObject(a)),
					namespaceObject: toCel(
						plain(
							namespaceObject && {
								metadata: namespaceObject.metadata,
								spec: namespaceObject.spec,
								status: namespaceObject.status,
							},
						),
					),
				};
				for (const decision of validate(policy, bindings)) {
					const actions: string[] = binding.spec?.validationActions ?? [];
					if (actions.includes('Deny'))
						denials.push({
							...decision,
							policy: policy.metadata.name,
							binding: binding.metadata.name,
						});
					if (actions.includes('Warn')) {
						warnings.push(
							`299 - ${JSON.stringify(`Validation failed for ValidatingAdmissionPolicy '${policy.metadata.name}' with binding '${binding.metadata.name}': ${decision.message}`)}`,
						);
					}
				}
			}
		}
	}
	return { denied: denials.length ? denialStatus(a, denials[0]) : undefined, warnings };
}
