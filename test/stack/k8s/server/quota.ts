import type { Store } from './store';

/**
 * ResourceQuota admission for what build Jobs touch (opt-in: `enforceQuota`): `count/jobs.batch` on Job
 * create, and `pods`, `limits.memory`, `requests.memory` on pod create, with the apiserver's messages. A quota
 * on a memory resource also makes that field mandatory on every container, init containers included: the
 * classic reason a Job's pod never appears on a real cluster.
 */
const SUFFIX: Record<string, number> = {
	'': 1,
	k: 1e3,
	M: 1e6,
	G: 1e9,
	T: 1e12,
	P: 1e15,
	E: 1e18,
	Ki: 2 ** 10,
	Mi: 2 ** 20,
	Gi: 2 ** 30,
	Ti: 2 ** 40,
	Pi: 2 ** 50,
	Ei: 2 ** 60,
	m: 1e-3,
};

export function parseQuantity(text: string): number {
	const m = /^([+-]?[0-9.]+)([a-zA-Z]*)$/.exec(String(text).trim());
	if (!m || SUFFIX[m[2]] === undefined) return Number.NaN;
	return Number(m[1]) * SUFFIX[m[2]];
}

const terminal = (pod: any) => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

/** A pod's effective amount: the larger of its biggest init container and the sum of its containers. */
function podAmount(pod: any, kind: 'limits' | 'requests'): number {
	const of = (c: any) => parseQuantity(c.resources?.[kind]?.memory ?? '0');
	const init = Math.max(0, ...(pod.spec.initContainers ?? []).map(of));
	return Math.max(
		init,
		(pod.spec.containers ?? []).reduce((n: number, c: any) => n + of(c), 0),
	);
}

function format(resource: string, value: number, hard: string): string {
	if (resource.endsWith('memory')) {
		const unit = /[a-zA-Z]+$/.exec(hard)?.[0] ?? '';
		const div = SUFFIX[unit] ?? 1;
		return `${resource}=${Number.isInteger(value / div) ? value / div : value}${Number.isInteger(value / div) ? unit : ''}`;
	}
	return `${resource}=${value}`;
}

function exceeded(
	quota: string,
	resource: string,
	requested: number,
	used: number,
	hard: string,
): string {
	return `exceeded quota: ${quota}, requested: ${format(resource, requested, hard)}, used: ${format(resource, used, hard)}, limited: ${resource}=${hard}`;
}

/** Why the quota forbids this new Job, or undefined. */
export function jobQuotaViolation(store: Store, namespace: string): string | undefined {
	for (const q of store.list('/resourcequotas', namespace)) {
		const hard = q.spec?.hard?.['count/jobs.batch'];
		if (hard === undefined) continue;
		const used = store.list('batch/jobs', namespace).length;
		if (used + 1 > parseQuantity(hard))
			return exceeded(q.metadata.name, 'count/jobs.batch', 1, used, hard);
	}
	return undefined;
}

/** Why the quota forbids this new pod, or undefined. */
export function podQuotaViolation(store: Store, pod: any): string | undefined {
	const namespace = pod.metadata.namespace;
	const live = store.list('/pods', namespace).filter((p) => !terminal(p));
	for (const q of store.list('/resourcequotas', namespace)) {
		const hard: Record<string, string> = q.spec?.hard ?? {};
		for (const resource of ['limits.memory', 'requests.memory'] as const) {
			if (hard[resource] === undefined) continue;
			const kind = resource.startsWith('limits') ? 'limits' : 'requests';
			const missing = [...(pod.spec.containers ?? []), ...(pod.spec.initContainers ?? [])]
				.filter((c: any) => !c.resources?.[kind]?.memory)
				.map((c: any) => c.name);
			if (missing.length)
				return `failed quota: ${q.metadata.name}: must specify ${resource} for: ${missing.sort().join(',')}`;
		}
		if (hard.pods !== undefined && live.length + 1 > parseQuantity(hard.pods))
			return exceeded(q.metadata.name, 'pods', 1, live.length, hard.pods);
		for (const resource of ['limits.memory', 'requests.memory'] as const) {
			if (hard[resource] === undefined) continue;
			const kind = resource.startsWith('limits') ? 'limits' : 'requests';
			const used = live.reduce((n, p) => n + podAmount(p, kind), 0);
			const requested = podAmount(pod, kind);
			if (used + requested > parseQuantity(hard[resource]))
				return exceeded(q.metadata.name, resource, requested, used, hard[resource]);
		}
	}
	return undefined;
}
