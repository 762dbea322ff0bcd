import type * as k8s from '@kubernetes/client-node';
import { kubernetesClient } from '../kubernetesClient';
import { describeKubernetesError } from '../apiError';
import { watchRound, watchTimeoutSeconds } from '../watchRound';
import { isPermanentFailure, JobWatchApiError, sleepUntil } from '../wait/watcher';

/**
 * Keeps an up-to-date copy of one collection (a named object, or the objects a label selector picks) until the
 * caller aborts or the deadline passes, with the discipline of Wait for Job's watcher: LIST, then WATCH from the
 * list's resourceVersion; re-watch from the last resourceVersion when a stream ends; LIST again on 410 or an
 * ERROR event; back off and retry on network errors and 5xx; throw (JobWatchApiError) only on refusals no retry
 * fixes (401/403/404 of the type, 400). A quiet object costs one LIST and one WATCH.
 */
export interface CollectionRef {
	/** API group, '' for the core group (pods). */
	group: string;
	version: string;
	plural: string;
	namespace: string;
	/** `metadata.name=<name>` for one object. */
	fieldSelector?: string;
	labelSelector?: string;
}

export interface WatchStats {
	lists: number;
	watches: number;
	relists: number;
	retries: number;
}

/** What the watcher reads of an object; the caller names the type of the rest. */
export interface WatchedObject {
	metadata?: { name?: string; resourceVersion?: string };
}

export interface CollectionWatchOptions<T extends WatchedObject> {
	deadline: number;
	signal: AbortSignal;
	/** Called with every object of the collection (by name) after the LIST and after each change. */
	onChange: (objects: Map<string, T>) => void;
	watchTimeoutSeconds?: number;
}

const ROLLOUT_RIGHTS_HINT =
	'The identity needs get/list/watch on the source, the workloads and their pods in each namespace: apply deploy/rollout there';

export function collectionPath(ref: CollectionRef): string {
	const base = ref.group ? `/apis/${ref.group}/${ref.version}` : `/api/${ref.version}`;
	return `${base}/namespaces/${encodeURIComponent(ref.namespace)}/${ref.plural}`;
}

const nameOf = (obj: WatchedObject): string => obj.metadata?.name ?? '';

async function list<T extends WatchedObject>(
	kc: k8s.KubeConfig,
	ref: CollectionRef,
): Promise<{ items: T[]; resourceVersion?: string }> {
	const selectors = { fieldSelector: ref.fieldSelector, labelSelector: ref.labelSelector };
	// The objects are the API server's JSON; the caller's type says which fields it reads.
	const result: { items?: T[]; metadata?: { resourceVersion?: string } } = ref.group
		? await kc.makeApiClient(kubernetesClient().CustomObjectsApi).listNamespacedCustomObject({
				group: ref.group,
				version: ref.version,
				namespace: ref.namespace,
				plural: ref.plural,
				...selectors,
			})
		: await kc
				.makeApiClient(kubernetesClient().CoreV1Api)
				.listNamespacedPod({ namespace: ref.namespace, ...selectors });
	return { items: result.items ?? [], resourceVersion: result.metadata?.resourceVersion };
}

export async function watchCollection<T extends WatchedObject>(
	kc: k8s.KubeConfig,
	ref: CollectionRef,
	options: CollectionWatchOptions<T>,
	stats: WatchStats,
): Promise<void> {
	const { deadline, signal } = options;
	const path = collectionPath(ref);
	let failures = 0;
	const stopped = () => signal.aborted || Date.now() >= deadline;
	const backOff = async (): Promise<void> => {
		failures++;
		stats.retries++;
		const base = Math.min(5000, 200 * 2 ** Math.min(failures - 1, 5));
		await sleepUntil(Math.min(deadline, Date.now() + base * (0.5 + Math.random() / 2)), signal);
	};
	const refuse = (error: unknown): void => {
		const failure = describeKubernetesError(error);
		if (isPermanentFailure(failure.statusCode))
			throw new JobWatchApiError(failure, ROLLOUT_RIGHTS_HINT);
	};

	while (!stopped()) {
		let listed: Awaited<ReturnType<typeof list<T>>>;
		try {
			stats.lists++;
			listed = await list<T>(kc, ref);
		} catch (error) {
			refuse(error);
			await backOff();
			continue;
		}
		failures = 0;
		const objects = new Map<string, T>(listed.items.map((o) => [nameOf(o), o]));
		options.onChange(objects);
		let rv = listed.resourceVersion;
		let quickEmptyRounds = 0;
		watching: while (!stopped()) {
			stats.watches++;
			const round = await watchRound<T, never>(
				kc,
				path,
				{
					fieldSelector: ref.fieldSelector,
					labelSelector: ref.labelSelector,
					resourceVersion: rv,
					allowWatchBookmarks: true,
					timeoutSeconds: watchTimeoutSeconds(options.watchTimeoutSeconds, deadline),
				},
				deadline,
				signal,
				(type, obj) => {
					const next = obj?.metadata?.resourceVersion;
					if (next) rv = next;
					if (type === 'BOOKMARK') return;
					if (type === 'DELETED') objects.delete(nameOf(obj));
					else objects.set(nameOf(obj), obj);
					options.onChange(objects);
				},
			);
			switch (round.end) {
				case 'deadline':
				case 'aborted':
					return;
				case 'relist':
					stats.relists++;
					break watching;
				case 'failed':
					if (round.events > 0) failures = 0;
					refuse(round.error);
					await backOff();
					continue;
				case 'closed':
					failures = 0;
					quickEmptyRounds = round.events === 0 && round.ms < 200 ? quickEmptyRounds + 1 : 0;
					if (quickEmptyRounds > 1)
						await sleepUntil(
							Math.min(deadline, Date.now() + Math.min(1000, 25 * 2 ** quickEmptyRounds)),
							signal,
						);
			}
		}
	}
}
