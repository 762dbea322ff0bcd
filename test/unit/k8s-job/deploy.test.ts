import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { BUILD_DEFAULTS } from '../../../lib/k8s/build/defaults';
import {
	DEFAULT_PRIVILEGED_IMAGE,
	DEFAULT_ROOTLESS_IMAGE,
	validateBuildJobInput,
} from '../../../lib/k8s/build/inputs';
import { parseQuantity } from '../../../lib/k8s/build/kubernetesFields';
import { buildJobManifest } from '../../../lib/k8s/build/manifest';

/** deploy/ against issue 4 and against what the Job manifest needs from it. */

const DEPLOY = resolve(__dirname, '../../../deploy');
type Obj = {
	kind: string;
	metadata: { name: string; namespace?: string; labels?: Record<string, string> };
	[k: string]: any;
};

const objects: Obj[] = [DEPLOY, join(DEPLOY, 'admission')].flatMap((dir) =>
	readdirSync(dir)
		.filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
		.flatMap((f) =>
			parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as Obj),
		),
);
const find = (kind: string) => objects.find((o) => o.kind === kind)!;

function kubectlAvailable(): boolean {
	try {
		execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
		return true;
	} catch {
		return false;
	}
}

describe('deploy/', () => {
	test('kustomize renders every object (skipped without kubectl)', () => {
		if (!kubectlAvailable()) {
			console.warn('kubectl not installed: skipping the kustomize render check');
			return;
		}
		const rendered = parseAllDocuments(
			execFileSync('kubectl', ['kustomize', DEPLOY], { encoding: 'utf8' }),
		).map((d) => d.toJS() as Obj);
		expect(rendered.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
			[
				'Namespace/build-system',
				'ResourceQuota/build-quota',
				'Role/build-job-manager',
				'RoleBinding/n8n-build-manager',
				'ServiceAccount/buildkit-sa',
				'ConfigMap/build-job-policy',
				'ValidatingAdmissionPolicy/build-job-shape',
				'ValidatingAdmissionPolicyBinding/build-job-shape',
			].sort(),
		);
	});

	test('the namespace admits rootless BuildKit (Unconfined seccomp/AppArmor need the privileged level)', () => {
		expect(find('Namespace').metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe(
			'privileged',
		);
	});

	test('the build service account mounts no API token and matches the manifest default', () => {
		const sa = find('ServiceAccount');
		expect(sa.automountServiceAccountToken).toBe(false);
		const job = buildJobManifest(
			validateBuildJobInput({
				appName: 'a',
				gitRepositoryUrl: 'https://h/o/r.git',
				image: 'h.local/a:1',
			}),
			'a-main-xxxxx',
		);
		expect(job.spec!.template.spec!.serviceAccountName).toBe(sa.metadata.name);
		expect(sa.metadata.namespace).toBe(job.metadata!.namespace);
	});

	test('the Role grants exactly what the nodes use: no secrets, no exec, nothing else', () => {
		const role = find('Role');
		const grants = (
			role.rules as Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>
		).flatMap((r) =>
			r.resources.flatMap((res) =>
				r.verbs.map((v) => `${r.apiGroups.join('|') || 'core'}/${res}:${v}`),
			),
		);
		expect(grants.sort()).toEqual(
			[
				'batch/jobs:create',
				'batch/jobs:get',
				'batch/jobs:list',
				'batch/jobs:watch',
				'batch/jobs:delete',
				'core/pods:get',
				'core/pods:list',
				'core/pods:watch',
				'core/pods/log:get',
			].sort(),
		);
	});

	test('the RoleBinding binds that Role to automation/n8n', () => {
		const binding = find('RoleBinding');
		expect(binding.roleRef).toEqual({
			apiGroup: 'rbac.authorization.k8s.io',
			kind: 'Role',
			name: find('Role').metadata.name,
		});
		expect(binding.subjects).toEqual([
			{ kind: 'ServiceAccount', name: 'n8n', namespace: 'automation' },
		]);
	});

	test('the quota bounds concurrent builds, and the default build fits it four times over', () => {
		const hard = find('ResourceQuota').spec.hard as Record<string, string>;
		expect(Number(hard.pods)).toBeGreaterThan(0);
		const plan = validateBuildJobInput({
			appName: 'a',
			gitRepositoryUrl: 'https://h/o/r.git',
			image: 'h.local/a:1',
		});
		const pods = Number(hard.pods);
		expect(pods * plan.resources.memoryRequest.value).toBeLessThanOrEqual(
			parseQuantity(hard['requests.memory'], 'q', 'memory').value,
		);
		expect(pods * plan.resources.memoryLimit.value).toBeLessThanOrEqual(
			parseQuantity(hard['limits.memory'], 'q', 'memory').value,
		);
		// Finished Jobs count until their TTL; a burst of 50 builds must not hit the Job count.
		expect(Number(hard['count/jobs.batch'] ?? Infinity)).toBeGreaterThanOrEqual(50);
	});

	describe('admission/ (the build-job-shape policy; its effect is tested in test/hardening/admission.test.ts)', () => {
		const policy = find('ValidatingAdmissionPolicy');
		const binding = find('ValidatingAdmissionPolicyBinding');
		const params = find('ConfigMap').data as Record<string, string>;
		const list = (key: string) =>
			params[key]
				.split(',')
				.map((s) => s.trim())
				.filter(Boolean);

		test("the params allow exactly the node's pinned images, its service account and its default registry Secret", () => {
			expect(list('images').sort()).toEqual(
				[DEFAULT_ROOTLESS_IMAGE, DEFAULT_PRIVILEGED_IMAGE].sort(),
			);
			expect(params.serviceAccountName).toBe(find('ServiceAccount').metadata.name);
			expect(list('secrets')).toContain(BUILD_DEFAULTS.registrySecretName);
			expect(params.allowPrivilegedBuilder).toBe('false');
			expect(parseQuantity(params.maxMemory, 'maxMemory', 'memory').value).toBeGreaterThanOrEqual(
				parseQuantity(BUILD_DEFAULTS.memoryLimit, 'q', 'memory').value,
			);
		});

		test('it matches the identity the RoleBinding grants, in the namespace it grants it, and denies without its params', () => {
			const subject = find('RoleBinding').subjects[0];
			expect(policy.spec.matchConditions).toEqual([
				{
					name: 'n8n-service-account',
					expression: `request.userInfo.username == 'system:serviceaccount:${subject.namespace}:${subject.name}'`,
				},
			]);
			expect(policy.spec.matchConstraints.resourceRules).toEqual([
				{
					apiGroups: ['batch'],
					apiVersions: ['v1'],
					operations: ['CREATE', 'UPDATE'],
					resources: ['jobs'],
				},
			]);
			expect(policy.spec.failurePolicy).toBe('Fail');
			expect(binding.spec).toMatchObject({
				policyName: policy.metadata.name,
				validationActions: ['Deny'],
				paramRef: {
					name: find('ConfigMap').metadata.name,
					namespace: find('ConfigMap').metadata.namespace,
					parameterNotFoundAction: 'Deny',
				},
				matchResources: {
					namespaceSelector: {
						matchLabels: { 'kubernetes.io/metadata.name': find('Namespace').metadata.name },
					},
				},
			});
		});

		test('every validation is reason Forbidden and has a message', () => {
			for (const v of policy.spec.validations)
				expect(v).toMatchObject({ reason: 'Forbidden', message: expect.stringMatching(/refused/) });
		});
	});
});
