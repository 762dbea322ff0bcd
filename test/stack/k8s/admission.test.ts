import { evaluate } from './server/admission/cel';
import {
	admitWithPolicies,
	BINDINGS,
	POLICIES,
	type AdmissionAttributes,
} from './server/admission/policies';
import { parseQuantity } from './server/admission/quantity';
import { Store } from './server/store';

/**
 * The stand-in's ValidatingAdmissionPolicy plugin, below the HTTP layer: Kubernetes' quantity library against
 * the examples in its own documentation (k8s.io/apiserver/pkg/cel/library/quantity.go), the strings extension
 * functions the policy in deploy/admission uses, and the plugin's semantics (matching, params, messages,
 * reasons, actions) against the upstream dispatcher/validator. The policy itself is tested in
 * test/hardening/admission.test.ts.
 */

const value = (expression: string, bindings: Record<string, unknown> = {}) => {
	const r = evaluate(expression, bindings);
	if ('error' in r) throw new Error(r.error);
	return r.value;
};
const error = (expression: string) => {
	const r = evaluate(expression, {});
	return 'error' in r ? r.error : undefined;
};

describe('quantity library: the documented examples', () => {
	test.each(["quantity('1.5G')", "quantity('200k')"])('%s is a Quantity', (e) => {
		expect(error(e)).toBeUndefined();
	});
	test.each(["quantity('200K')", "quantity('Three')", "quantity('Mi')"])('%s is an error', (e) => {
		expect(error(e)).toMatch(
			/^expression '.*' resulted in error: quantities must match the regular expression/,
		);
	});
	test.each([
		["isQuantity('1.3G')", true],
		["isQuantity('1.3Gi')", true],
		["isQuantity('1,3G')", false],
		["isQuantity('10000k')", true],
		["isQuantity('200K')", false],
		["isQuantity('Three')", false],
		["isQuantity('Mi')", false],
		['quantity("50000000G").isInteger()', true],
		['quantity("50k").isInteger()', true],
		['quantity("9999999999999999999999999999999999999G").isInteger()', false],
		['quantity("50k").asInteger() == 50000', true],
		['quantity("50k").sub(20000).asApproximateFloat() == 30000.0', true],
		['quantity("50k").add(20) == quantity("50020")', true],
		['quantity("50k").sub(20000) == quantity("30k")', true],
		['quantity("50k").add(20).sub(quantity("100k")).sub(-50000) == quantity("20")', true],
		['quantity("200M").compareTo(quantity("0.2G")) == 0', true],
		['quantity("50M").compareTo(quantity("50Mi")) == -1', true],
		['quantity("50Mi").compareTo(quantity("50M")) == 1', true],
		['quantity("150Mi").isGreaterThan(quantity("100Mi"))', true],
		['quantity("50Mi").isGreaterThan(quantity("100Mi"))', false],
		['quantity("50M").isLessThan(quantity("100M"))', true],
		['quantity("100M").isLessThan(quantity("50M"))', false],
	])('%s is %s', (e, expected) => {
		expect(value(e)).toBe(expected);
	});
	test('asInteger past int64 is the documented error; sign in both forms', () => {
		expect(error('quantity("9999999999999999999999999999999999999G").asInteger()')).toMatch(
			/cannot convert value to integer$/,
		);
		expect([
			value("quantity('-1m').sign()"),
			value("sign(quantity('0'))"),
			value("quantity('2Ki').sign()"),
		]).toEqual([-1n, 0n, 1n]);
	});
	test('values are exact decimals: no float rounding at the limit', () => {
		expect(parseQuantity('1.5Gi')).toEqual({ mantissa: 1610612736n, exp: 0 });
		expect(value("quantity('8Gi').compareTo(quantity('8589934592'))")).toBe(0n);
		expect(value("quantity('8589934592001m').isGreaterThan(quantity('8Gi'))")).toBe(true);
		expect(value("quantity('1E').compareTo(quantity('1e18'))")).toBe(0n);
	});
});

describe('strings extension functions the policy uses', () => {
	test('split, trim, join', () => {
		expect(
			value("' a, b ,,c'.split(',').map(s, s.trim()).filter(s, s != '') == ['a', 'b', 'c']"),
		).toBe(true);
		expect(value("['a', 'b'].join(', ')")).toBe('a, b');
	});
	test('objects are maps with int numbers, as admission sees unstructured objects', () => {
		const o = { spec: { runAsUser: 1000, ports: [{ hostPort: 0 }] } };
		expect(
			value("object.spec == {'runAsUser': 1000, 'ports': [{'hostPort': 0}]}", {
				object: { spec: { runAsUser: 1000n, ports: [{ hostPort: 0n }] } },
			}),
		).toBe(true);
		expect(value("has(object.spec.hostPID) || 'runAsUser' in object.spec", { object: o })).toBe(
			true,
		);
	});
});

// ---------------------------------------------------------------------------------------------- the plugin

const USER = {
	user: 'system:serviceaccount:automation:n8n',
	groups: ['system:serviceaccounts', 'system:authenticated'],
	uid: '',
};

function cluster(policy: object, binding: object, params?: object): Store {
	const store = new Store(100);
	store.create('/namespaces', {
		apiVersion: 'v1',
		kind: 'Namespace',
		metadata: {
			name: 'build-system',
			labels: { 'kubernetes.io/metadata.name': 'build-system', team: 'builds' },
		},
	});
	store.create(POLICIES, {
		apiVersion: 'admissionregistration.k8s.io/v1',
		kind: 'ValidatingAdmissionPolicy',
		metadata: { name: 'p' },
		spec: policy,
	});
	store.create(BINDINGS, {
		apiVersion: 'admissionregistration.k8s.io/v1',
		kind: 'ValidatingAdmissionPolicyBinding',
		metadata: { name: 'b' },
		spec: { policyName: 'p', ...binding },
	});
	if (params)
		store.create('/configmaps', {
			apiVersion: 'v1',
			kind: 'ConfigMap',
			metadata: { name: 'params', namespace: 'build-system' },
			...params,
		});
	return store;
}
const JOBS = {
	resourceRules: [
		{
			apiGroups: ['batch'],
			apiVersions: ['v1'],
			operations: ['CREATE', 'UPDATE'],
			resources: ['jobs'],
		},
	],
};
function request(over: Partial<AdmissionAttributes> = {}): AdmissionAttributes {
	return {
		operation: 'CREATE',
		group: 'batch',
		version: 'v1',
		resource: 'jobs',
		subresource: '',
		kind: 'Job',
		namespace: 'build-system',
		name: 'j',
		object: { metadata: { name: 'j', labels: { app: 'x' } }, spec: { parallelism: 3 } },
		user: USER,
		dryRun: false,
		...over,
	};
}
const denial = (store: Store, a = request()) => admitWithPolicies(store, a).denied?.status;

describe('the ValidatingAdmissionPolicy plugin', () => {
	test("a failed validation: the apiserver's message, reason Invalid (422) by default, Forbidden (403) when asked, the message as the cause", () => {
		const store = cluster(
			{ matchConstraints: JOBS, validations: [{ expression: 'object.spec.parallelism <= 2' }] },
			{ validationActions: ['Deny'] },
		);
		expect(denial(store)).toEqual({
			kind: 'Status',
			apiVersion: 'v1',
			metadata: {},
			status: 'Failure',
			code: 422,
			reason: 'Invalid',
			message:
				"jobs.batch \"j\" is forbidden: ValidatingAdmissionPolicy 'p' with binding 'b' denied request: failed expression: object.spec.parallelism <= 2",
			details: {
				name: 'j',
				group: 'batch',
				kind: 'jobs',
				causes: [
					{
						message:
							"ValidatingAdmissionPolicy 'p' with binding 'b' denied request: failed expression: object.spec.parallelism <= 2",
					},
				],
			},
		});
		const forbidden = cluster(
			{
				matchConstraints: JOBS,
				validations: [{ expression: 'false', reason: 'Forbidden', message: 'no' }],
			},
			{ validationActions: ['Deny'] },
		);
		expect(denial(forbidden)).toMatchObject({
			code: 403,
			reason: 'Forbidden',
			message: expect.stringMatching(/denied request: no$/),
		});
	});

	test('messageExpression wins; one that fails, or gives a non-string or a multi-line string, falls back to message', () => {
		const message = (messageExpression: string) => {
			const store = cluster(
				{
					matchConstraints: JOBS,
					validations: [{ expression: 'false', message: 'static', messageExpression }],
				},
				{ validationActions: ['Deny'] },
			);
			return denial(store)!.message!.replace(/^.*denied request: /, '');
		};
		expect(message("'parallelism ' + string(object.spec.parallelism)")).toBe('parallelism 3');
		expect(message('object.nope')).toBe('static');
		expect(message('1')).toBe('static');
		expect(message("'a\\nb'")).toBe('static');
	});

	test('an evaluation error denies with failurePolicy Fail (default) and admits with Ignore', () => {
		const spec = {
			matchConstraints: JOBS,
			validations: [{ expression: 'object.spec.missing == 1' }],
		};
		expect(denial(cluster(spec, { validationActions: ['Deny'] }))?.message).toMatch(
			/denied request: expression 'object.spec.missing == 1' resulted in error: /,
		);
		expect(
			denial(cluster({ ...spec, failurePolicy: 'Ignore' }, { validationActions: ['Deny'] })),
		).toBeUndefined();
	});

	test("matchConstraints, matchConditions and the binding's namespaceSelector decide what is evaluated", () => {
		const spec = {
			matchConstraints: JOBS,
			matchConditions: [
				{
					name: 'n8n',
					expression: "request.userInfo.username == 'system:serviceaccount:automation:n8n'",
				},
			],
			validations: [{ expression: 'false' }],
		};
		const store = cluster(spec, {
			validationActions: ['Deny'],
			matchResources: { namespaceSelector: { matchLabels: { team: 'builds' } } },
		});
		expect(denial(store)).toBeDefined();
		expect(
			denial(
				store,
				request({ user: { user: 'alice', groups: ['system:authenticated'], uid: '' } }),
			),
		).toBeUndefined();
		expect(denial(store, request({ subresource: 'status', operation: 'UPDATE' }))).toBeUndefined();
		expect(denial(store, request({ resource: 'cronjobs', kind: 'CronJob' }))).toBeUndefined();
		expect(denial(store, request({ namespace: 'default' }))).toBeUndefined();
		const other = cluster(spec, {
			validationActions: ['Deny'],
			matchResources: {
				namespaceSelector: {
					matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['builds'] }],
				},
			},
		});
		expect(denial(other)).toBeUndefined();
	});

	test('params: by name; missing params deny with parameterNotFoundAction Deny and skip the binding with Allow', () => {
		const spec = {
			matchConstraints: JOBS,
			paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
			validations: [
				{
					expression: 'object.spec.parallelism <= int(params.data.max)',
					messageExpression: "'at most ' + params.data.max",
				},
			],
		};
		const ref = (action: string) => ({
			validationActions: ['Deny'],
			paramRef: { name: 'params', namespace: 'build-system', parameterNotFoundAction: action },
		});
		expect(denial(cluster(spec, ref('Deny'), { data: { max: '2' } }))?.message).toMatch(
			/denied request: at most 2$/,
		);
		expect(denial(cluster(spec, ref('Deny'), { data: { max: '5' } }))).toBeUndefined();
		expect(denial(cluster(spec, ref('Deny')))?.message).toBe(
			"jobs.batch \"j\" is forbidden: ValidatingAdmissionPolicy 'p' with binding 'b' denied request: failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction",
		);
		expect(denial(cluster(spec, ref('Allow')))).toBeUndefined();
	});

	test('variables compose and see earlier variables; namespaceObject and oldObject are there', () => {
		const spec = {
			matchConstraints: JOBS,
			variables: [
				{ name: 'p', expression: 'object.spec.parallelism' },
				{ name: 'twice', expression: 'variables.p * 2' },
			],
			validations: [
				{
					expression: "variables.twice == 6 && namespaceObject.metadata.labels.team == 'builds'",
					message: 'first',
				},
				{
					expression: 'oldObject == null || oldObject.spec.parallelism == object.spec.parallelism',
					message: 'parallelism is immutable here',
				},
			],
		};
		const store = cluster(spec, { validationActions: ['Deny'] });
		expect(denial(store)).toBeUndefined();
		expect(
			denial(
				store,
				request({
					operation: 'UPDATE',
					oldObject: { metadata: { name: 'j' }, spec: { parallelism: 1 } },
				}),
			)?.message,
		).toMatch(/parallelism is immutable here$/);
	});

	test('validationActions Warn answers with a warning instead of a denial', () => {
		const store = cluster(
			{ matchConstraints: JOBS, validations: [{ expression: 'false', message: 'careful' }] },
			{ validationActions: ['Warn', 'Audit'] },
		);
		expect(admitWithPolicies(store, request())).toEqual({
			denied: undefined,
			warnings: [
				"299 - \"Validation failed for ValidatingAdmissionPolicy 'p' with binding 'b': careful\"",
			],
		});
	});
});
