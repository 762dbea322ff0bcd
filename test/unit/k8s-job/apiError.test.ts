import { describeKubernetesError } from '../../../lib/k8s/apiError';

/** describeKubernetesError on an admission policy denial: the policy, binding and rule, as the apiserver words them. */

const status = (code: number, reason: string, message: string) => ({
	code,
	body: JSON.stringify({
		kind: 'Status',
		apiVersion: 'v1',
		status: 'Failure',
		code,
		reason,
		message,
	}),
});

test('a ValidatingAdmissionPolicy denial names the policy, the binding and the rule', () => {
	const message = `jobs.batch "web-1" is forbidden: ValidatingAdmissionPolicy 'build-job-shape' with binding 'build-job-shape' denied request: hostPID refused: a build pod shares no namespace with its node`;
	expect(describeKubernetesError(status(403, 'Forbidden', message))).toEqual({
		statusCode: 403,
		reason: 'Forbidden',
		message,
		admissionPolicy: {
			policy: 'build-job-shape',
			binding: 'build-job-shape',
			rule: 'hostPID refused: a build pod shares no namespace with its node',
		},
	});
});

test('a policy-level configuration error has no binding; other failures carry no admissionPolicy', () => {
	const noBinding = describeKubernetesError(
		status(
			422,
			'Invalid',
			`jobs.batch "x" is forbidden: ValidatingAdmissionPolicy 'p' denied request: failed to configure policy: boom`,
		),
	);
	expect(noBinding.admissionPolicy).toEqual({
		policy: 'p',
		rule: 'failed to configure policy: boom',
	});
	const rbac = describeKubernetesError(
		status(
			403,
			'Forbidden',
			'jobs.batch is forbidden: User "system:serviceaccount:automation:n8n" cannot create resource "jobs" in API group "batch" in the namespace "default"',
		),
	);
	expect(rbac).not.toHaveProperty('admissionPolicy');
});
