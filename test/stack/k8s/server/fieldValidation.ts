import { errors } from './status';

/**
 * Server-side field validation for Jobs (`fieldValidation=Ignore|Warn|Strict`; Warn when unset, as since 1.27):
 * unknown fields are dropped, reported in `Warning` headers, or rejected with the apiserver's 400
 * "strict decoding error". Only the parts of the batch/v1 schema a build Job uses are modelled field by field;
 * the rest (volumes, probes, affinity...) is accepted as is.
 */
type Schema = { fields: Record<string, Node> };
type Node = 'leaf' | 'open' | Schema | { items: Schema };

const obj = (names: string, nested: Record<string, Node> = {}): Schema => ({
	fields: {
		...Object.fromEntries(
			names
				.split(/\s+/)
				.filter(Boolean)
				.map((n) => [n, 'leaf' as Node]),
		),
		...nested,
	},
});

const objectMeta = obj(
	'name generateName namespace selfLink uid resourceVersion generation creationTimestamp deletionTimestamp deletionGracePeriodSeconds labels annotations finalizers',
	{
		ownerReferences: 'open',
		managedFields: 'open',
	},
);
const seccomp = obj('type localhostProfile');
const securityContext = obj(
	'privileged runAsUser runAsGroup runAsNonRoot readOnlyRootFilesystem allowPrivilegeEscalation procMount',
	{
		capabilities: 'open',
		seLinuxOptions: 'open',
		windowsOptions: 'open',
		seccompProfile: seccomp,
		appArmorProfile: seccomp,
	},
);
const container = obj(
	'name image command args workingDir terminationMessagePath terminationMessagePolicy imagePullPolicy stdin stdinOnce tty restartPolicy',
	{
		ports: 'open',
		envFrom: 'open',
		resizePolicy: 'open',
		volumeDevices: 'open',
		livenessProbe: 'open',
		readinessProbe: 'open',
		startupProbe: 'open',
		lifecycle: 'open',
		env: { items: obj('name value', { valueFrom: 'open' }) },
		resources: obj('limits requests', { claims: 'open' }),
		volumeMounts: {
			items: obj('name readOnly recursiveReadOnly mountPath subPath mountPropagation subPathExpr'),
		},
		securityContext,
	},
);
const podSpec = obj(
	'restartPolicy terminationGracePeriodSeconds activeDeadlineSeconds dnsPolicy nodeSelector serviceAccountName serviceAccount automountServiceAccountToken nodeName hostNetwork hostPID hostIPC shareProcessNamespace hostname subdomain schedulerName priorityClassName priority runtimeClassName enableServiceLinks preemptionPolicy overhead setHostnameAsFQDN hostUsers',
	{
		volumes: 'open',
		ephemeralContainers: 'open',
		securityContext: 'open',
		imagePullSecrets: 'open',
		affinity: 'open',
		tolerations: 'open',
		hostAliases: 'open',
		dnsConfig: 'open',
		readinessGates: 'open',
		topologySpreadConstraints: 'open',
		os: 'open',
		schedulingGates: 'open',
		resourceClaims: 'open',
		resources: 'open',
		initContainers: { items: container },
		containers: { items: container },
	},
);
const jobSchema = obj('apiVersion kind', {
	metadata: objectMeta,
	status: 'open',
	spec: obj(
		'parallelism completions activeDeadlineSeconds backoffLimit backoffLimitPerIndex maxFailedIndexes manualSelector ttlSecondsAfterFinished completionMode suspend podReplacementPolicy managedBy',
		{
			podFailurePolicy: 'open',
			successPolicy: 'open',
			selector: 'open',
			template: obj('', { metadata: objectMeta, spec: podSpec }),
		},
	),
});

/** Removes unknown fields from `value` in place and returns their paths (`spec.template.spec.containers[0].x`). */
function prune(value: any, schema: Schema, path: string, found: string[]): void {
	if (!value || typeof value !== 'object' || Array.isArray(value)) return;
	for (const key of Object.keys(value)) {
		const node = schema.fields[key];
		const here = path ? `${path}.${key}` : key;
		if (node === undefined) {
			found.push(here);
			delete value[key];
		} else if (node !== 'leaf' && node !== 'open') {
			if ('items' in node)
				(Array.isArray(value[key]) ? value[key] : []).forEach((item: any, i: number) =>
					prune(item, node.items, `${here}[${i}]`, found),
				);
			else prune(value[key], node, here, found);
		}
	}
}

/** Applies the request's fieldValidation to a Job body; returns the Warning header values (Warn mode). */
export function validateJobFields(job: any, mode: string | null): string[] {
	const directive = mode ?? 'Warn';
	if (!['Ignore', 'Warn', 'Strict'].includes(directive)) {
		throw errors.badRequest(
			`fieldValidation must be one of "Ignore", "Warn", or "Strict" (got "${directive}")`,
		);
	}
	const unknown: string[] = [];
	prune(job, jobSchema, '', unknown);
	if (unknown.length === 0 || directive === 'Ignore') return [];
	if (directive === 'Strict')
		throw errors.badRequest(
			`strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`,
		);
	return unknown.map((f) => `299 - "unknown field \\"${f}\\""`);
}
