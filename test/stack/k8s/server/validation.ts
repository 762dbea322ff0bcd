import { randomBytes } from 'node:crypto';
import { isValidLabelKey, isValidLabelValue } from './selectors';
import { errors, invalidValue, requiredValue, unsupportedValue, type StatusCause } from './status';

/**
 * Admission-time checks and defaults the apiserver applies to what the nodes send, with its exact wording:
 * names (DNS-1123; a Job name also becomes a label value, so at most 63 characters), labels, the pod
 * template's containers and restart policy, and non-negative counters.
 */
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const QUANTITY = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;

const SUBDOMAIN_MSG =
	"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
	"a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const LABEL_VALUE_MSG =
	"a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

export function validateName(field: string, name: unknown, maxLength = 253): StatusCause[] {
	if (typeof name !== 'string' || name === '')
		return [requiredValue(field, 'name or generateName is required')];
	const causes: StatusCause[] = [];
	if (name.length > maxLength)
		causes.push(invalidValue(field, name, `must be no more than ${maxLength} characters`));
	if (!DNS1123_SUBDOMAIN.test(name)) causes.push(invalidValue(field, name, SUBDOMAIN_MSG));
	return causes;
}

function validateLabels(field: string, labels: unknown): StatusCause[] {
	if (labels == null) return [];
	if (typeof labels !== 'object') return [invalidValue(field, labels, 'must be a map of strings')];
	const causes: StatusCause[] = [];
	for (const [k, v] of Object.entries(labels as Record<string, unknown>)) {
		if (!isValidLabelKey(k))
			causes.push(
				invalidValue(
					field,
					k,
					"name part must consist of alphanumeric characters, '-', '_' or '.'",
				),
			);
		if (typeof v !== 'string') causes.push(invalidValue(`${field}[${k}]`, v, 'must be a string'));
		else if (v.length > 63)
			causes.push(invalidValue(field, v, 'must be no more than 63 characters'));
		else if (!isValidLabelValue(v)) causes.push(invalidValue(field, v, LABEL_VALUE_MSG));
	}
	return causes;
}

function validateAnnotations(field: string, annotations: unknown): StatusCause[] {
	if (annotations == null) return [];
	const causes: StatusCause[] = [];
	for (const [k, v] of Object.entries(annotations as Record<string, unknown>)) {
		if (!isValidLabelKey(k))
			causes.push(
				invalidValue(
					field,
					k,
					"name part must consist of alphanumeric characters, '-', '_' or '.'",
				),
			);
		if (typeof v !== 'string') causes.push(invalidValue(`${field}[${k}]`, v, 'must be a string'));
	}
	if (JSON.stringify(annotations).length > 262144)
		causes.push({
			reason: 'FieldValueTooLong',
			message: 'Too long: must have at most 262144 bytes',
			field,
		});
	return causes;
}

export function validateMetadata(meta: any, maxNameLength = 253): StatusCause[] {
	return [
		...(meta.generateName && !meta.name
			? []
			: validateName('metadata.name', meta.name, maxNameLength)),
		...validateLabels('metadata.labels', meta.labels),
		...validateAnnotations('metadata.annotations', meta.annotations),
	];
}

function nonNegative(field: string, value: unknown): StatusCause[] {
	if (value === undefined || value === null) return [];
	if (!Number.isInteger(value)) return [invalidValue(field, value, 'must be an integer')];
	return (value as number) < 0
		? [invalidValue(field, value, 'must be greater than or equal to 0')]
		: [];
}

function validateContainers(
	field: string,
	containers: any[] | undefined,
	seen: Set<string>,
): StatusCause[] {
	const causes: StatusCause[] = [];
	(containers ?? []).forEach((c, i) => {
		const f = `${field}[${i}]`;
		if (!c?.name) causes.push(requiredValue(`${f}.name`));
		else if (!DNS1123_LABEL.test(c.name) || c.name.length > 63)
			causes.push(invalidValue(`${f}.name`, c.name, LABEL_MSG));
		else if (seen.has(c.name))
			causes.push({
				reason: 'FieldValueDuplicate',
				message: `Duplicate value: "${c.name}"`,
				field: `${f}.name`,
			});
		else seen.add(c.name);
		if (!c?.image) causes.push(requiredValue(`${f}.image`));
		for (const kind of ['limits', 'requests']) {
			for (const [res, q] of Object.entries(c?.resources?.[kind] ?? {})) {
				if (!QUANTITY.test(String(q))) {
					causes.push(
						invalidValue(
							`${f}.resources.${kind}[${res}]`,
							q,
							"quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
						),
					);
				}
			}
		}
	});
	return causes;
}

export function validatePodSpec(
	field: string,
	spec: any,
	allowedRestartPolicies?: string[],
): StatusCause[] {
	if (!spec || typeof spec !== 'object') return [requiredValue(field)];
	const seen = new Set<string>();
	const causes = [
		...validateContainers(`${field}.initContainers`, spec.initContainers, seen),
		...validateContainers(`${field}.containers`, spec.containers, seen),
	];
	if (!Array.isArray(spec.containers) || spec.containers.length === 0)
		causes.push(requiredValue(`${field}.containers`));
	if (allowedRestartPolicies && !allowedRestartPolicies.includes(spec.restartPolicy)) {
		causes.push(
			spec.restartPolicy === undefined
				? requiredValue(
						`${field}.restartPolicy`,
						`valid values: ${allowedRestartPolicies.map((p) => `"${p}"`).join(', ')}`,
					)
				: unsupportedValue(`${field}.restartPolicy`, spec.restartPolicy, allowedRestartPolicies),
		);
	}
	return causes;
}

export function validateJob(job: any): StatusCause[] {
	const spec = job.spec ?? {};
	const causes = [
		// The name becomes the `job-name` label of its pods, hence the label-value limit.
		...validateMetadata(job.metadata, 63),
		...(job.spec ? [] : [requiredValue('spec')]),
		...nonNegative('spec.backoffLimit', spec.backoffLimit),
		...nonNegative('spec.ttlSecondsAfterFinished', spec.ttlSecondsAfterFinished),
		...validateLabels('spec.template.metadata.labels', spec.template?.metadata?.labels),
		...validatePodSpec('spec.template.spec', spec.template?.spec, ['OnFailure', 'Never']),
	];
	if (
		spec.activeDeadlineSeconds !== undefined &&
		!(Number.isInteger(spec.activeDeadlineSeconds) && spec.activeDeadlineSeconds > 0)
	) {
		causes.push(
			invalidValue(
				'spec.activeDeadlineSeconds',
				spec.activeDeadlineSeconds,
				'must be greater than 0',
			),
		);
	}
	for (const f of ['parallelism', 'completions'] as const)
		causes.push(...nonNegative(`spec.${f}`, spec[f]));
	return causes;
}

const NAME_SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** `generateName` + 5 characters, the apiserver's SimpleNameGenerator alphabet. */
export function generateName(prefix: string): string {
	const bytes = randomBytes(5);
	return (
		prefix + [...bytes].map((b) => NAME_SUFFIX_ALPHABET[b % NAME_SUFFIX_ALPHABET.length]).join('')
	);
}

function defaultContainer(c: any): void {
	const image = String(c.image ?? '');
	const tagged = /:[^/]+$/.test(image) && !image.endsWith(':latest');
	c.imagePullPolicy ??= tagged || image.includes('@') ? 'IfNotPresent' : 'Always';
	c.terminationMessagePath ??= '/dev/termination-log';
	c.terminationMessagePolicy ??= 'File';
	c.resources ??= {};
}

export function defaultPodSpec(spec: any): void {
	spec.restartPolicy ??= 'Always';
	spec.dnsPolicy ??= 'ClusterFirst';
	spec.schedulerName ??= 'default-scheduler';
	spec.securityContext ??= {};
	spec.terminationGracePeriodSeconds ??= 30;
	for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) defaultContainer(c);
}

/** Fields the Job registry sets on create: selector, generated labels, defaults. */
export function defaultJob(job: any): void {
	const uid = job.metadata.uid;
	const spec = job.spec;
	spec.backoffLimit ??= 6;
	spec.completions ??= 1;
	spec.parallelism ??= 1;
	spec.completionMode ??= 'NonIndexed';
	spec.suspend ??= false;
	spec.manualSelector ??= undefined;
	spec.podReplacementPolicy ??= 'TerminatingOrFailed';
	spec.selector ??= { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
	spec.template ??= {};
	spec.template.metadata ??= {};
	spec.template.metadata.labels = {
		...(spec.template.metadata.labels ?? {}),
		'batch.kubernetes.io/controller-uid': uid,
		'batch.kubernetes.io/job-name': job.metadata.name,
		'controller-uid': uid,
		'job-name': job.metadata.name,
	};
	if (spec.manualSelector === undefined) delete spec.manualSelector;
	defaultPodSpec(spec.template.spec);
	job.metadata.generation = 1;
	job.status = {};
}

export function invalidOrNull(kind: string, group: string, name: string, causes: StatusCause[]) {
	return causes.length ? errors.invalid(kind, group, name, causes) : undefined;
}
