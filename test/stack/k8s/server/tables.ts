/**
 * Server-side printing (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`), which `kubectl get` asks for:
 * the columns kube-apiserver prints for Jobs and Pods, NAME/AGE for everything else.
 */
function humanDuration(ms: number): string {
	const s = Math.max(0, Math.floor(ms / 1000));
	if (s < 120) return `${s}s`;
	const m = Math.floor(s / 60);
	if (m < 10) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
	if (m < 180) return `${m}m`;
	const h = Math.floor(m / 60);
	if (h < 8) return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
	return h < 48 ? `${h}h` : `${Math.floor(h / 24)}d`;
}

const age = (obj: any) => humanDuration(Date.now() - Date.parse(obj.metadata.creationTimestamp));

function column(name: string, type = 'string', priority = 0, format = '') {
	return { name, type, format, description: name, priority };
}

function jobStatus(job: any): string {
	const conds: any[] = job.status?.conditions ?? [];
	const isTrue = (t: string) => conds.some((c) => c.type === t && c.status === 'True');
	if (job.metadata.deletionTimestamp) return 'Terminating';
	for (const t of ['Complete', 'Failed', 'FailureTarget', 'SuccessCriteriaMet', 'Suspended'])
		if (isTrue(t)) return t;
	return 'Running';
}

function podStatus(pod: any): string {
	if (pod.metadata.deletionTimestamp) return 'Terminating';
	const init: any[] = pod.status?.initContainerStatuses ?? [];
	for (const [i, s] of init.entries()) {
		if (s.state?.terminated && s.state.terminated.exitCode !== 0)
			return `Init:${s.state.terminated.reason ?? 'Error'}`;
		if (s.state?.waiting && s.state.waiting.reason !== 'PodInitializing')
			return `Init:${s.state.waiting.reason}`;
		if (!s.state?.terminated) return `Init:${i}/${init.length}`;
	}
	let reason = pod.status?.reason ?? pod.status?.phase ?? 'Unknown';
	for (const s of pod.status?.containerStatuses ?? []) {
		if (s.state?.waiting?.reason) reason = s.state.waiting.reason;
		else if (s.state?.terminated)
			reason = s.state.terminated.reason ?? `ExitCode:${s.state.terminated.exitCode}`;
	}
	return reason;
}

function row(obj: any, cells: unknown[]) {
	return {
		cells,
		object: {
			kind: 'PartialObjectMetadata',
			apiVersion: 'meta.k8s.io/v1',
			metadata: obj.metadata,
		},
	};
}

export function toTable(kind: string, items: any[], resourceVersion: string) {
	let columnDefinitions;
	let rows;
	if (kind === 'Job') {
		columnDefinitions = [
			column('Name', 'string', 0, 'name'),
			column('Status'),
			column('Completions'),
			column('Duration'),
			column('Age'),
			column('Containers', 'string', 1),
			column('Images', 'string', 1),
			column('Selector', 'string', 1),
		];
		rows = items.map((j) => {
			const start = j.status?.startTime ? Date.parse(j.status.startTime) : undefined;
			const end = j.status?.completionTime ? Date.parse(j.status.completionTime) : Date.now();
			const containers = j.spec.template.spec.containers;
			return row(j, [
				j.metadata.name,
				jobStatus(j),
				`${j.status?.succeeded ?? 0}/${j.spec.completions ?? 1}`,
				start === undefined ? '' : humanDuration(end - start),
				age(j),
				containers.map((c: any) => c.name).join(','),
				containers.map((c: any) => c.image).join(','),
				Object.entries(j.spec.selector?.matchLabels ?? {})
					.map(([k, v]) => `${k}=${v}`)
					.join(','),
			]);
		});
	} else if (kind === 'Pod') {
		columnDefinitions = [
			column('Name', 'string', 0, 'name'),
			column('Ready'),
			column('Status'),
			column('Restarts', 'string'),
			column('Age'),
			column('IP', 'string', 1),
			column('Node', 'string', 1),
		];
		rows = items.map((p) => {
			const statuses: any[] = p.status?.containerStatuses ?? [];
			const restarts = statuses.reduce((n, s) => n + (s.restartCount ?? 0), 0);
			return row(p, [
				p.metadata.name,
				`${statuses.filter((s) => s.ready).length}/${p.spec.containers.length}`,
				podStatus(p),
				String(restarts),
				age(p),
				p.status?.podIP ?? '<none>',
				p.spec.nodeName ?? '<none>',
			]);
		});
	} else if (kind === 'Namespace') {
		columnDefinitions = [column('Name', 'string', 0, 'name'), column('Status'), column('Age')];
		rows = items.map((n) => row(n, [n.metadata.name, n.status?.phase ?? 'Active', age(n)]));
	} else {
		columnDefinitions = [column('Name', 'string', 0, 'name'), column('Age')];
		rows = items.map((o) => row(o, [o.metadata.name, age(o)]));
	}
	return {
		kind: 'Table',
		apiVersion: 'meta.k8s.io/v1',
		metadata: { resourceVersion },
		columnDefinitions,
		rows,
	};
}
