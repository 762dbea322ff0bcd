import { randomUUID } from 'node:crypto';

/**
 * The stand-in's etcd + watch cache: objects keyed by resource and namespace/name, one global resourceVersion
 * counter, and a bounded event history from which watches are served. A watch older than the history (after
 * `forgetHistory`, a restart, or simply too many events) gets 410 Expired, as from the real cacher.
 */
export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
	type: EventType;
	resource: string;
	rv: number;
	object: any;
	/** The object before this change (MODIFIED/DELETED), so selector transitions can be computed. */
	old?: any;
}

export interface StoreSnapshot {
	rv: number;
	objects: Array<[string, any]>;
}

const keyOf = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;

export function timestamp(ms = Date.now()): string {
	// The apiserver serialises metav1.Time with second precision.
	return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export class Store {
	private rv = 1;
	private readonly objects = new Map<string, Map<string, any>>();
	private history: StoreEvent[] = [];
	/** Watches from a resourceVersion below this are expired. */
	private oldestWatchableRv = 1;
	private expireNextWatch = false;
	private readonly listeners = new Set<(event: StoreEvent) => void>();
	onChange: () => void = () => undefined;

	constructor(private readonly historyCapacity = 1000) {}

	get resourceVersion(): number {
		return this.rv;
	}

	private bucket(resource: string): Map<string, any> {
		let b = this.objects.get(resource);
		if (!b) this.objects.set(resource, (b = new Map()));
		return b;
	}

	get(resource: string, namespace: string | undefined, name: string): any | undefined {
		const obj = this.objects.get(resource)?.get(keyOf(namespace, name));
		return obj === undefined ? undefined : structuredClone(obj);
	}

	list(resource: string, namespace?: string): any[] {
		const all = [...(this.objects.get(resource)?.values() ?? [])];
		return all
			.filter((o) => namespace === undefined || o.metadata.namespace === namespace)
			.sort((a, b) =>
				keyOf(a.metadata.namespace, a.metadata.name).localeCompare(
					keyOf(b.metadata.namespace, b.metadata.name),
				),
			)
			.map((o) => structuredClone(o));
	}

	/** Stores a new object, filling uid, creationTimestamp and resourceVersion like the registry does. */
	create(resource: string, obj: any): any {
		const stored = structuredClone(obj);
		stored.metadata.uid ??= randomUUID();
		stored.metadata.creationTimestamp ??= timestamp();
		return this.write(resource, stored, 'ADDED', undefined);
	}

	update(resource: string, obj: any): any {
		const old = this.objects.get(resource)?.get(keyOf(obj.metadata.namespace, obj.metadata.name));
		if (!old) throw new Error(`update of missing ${resource} ${obj.metadata.name}`);
		return this.write(resource, structuredClone(obj), 'MODIFIED', old);
	}

	remove(resource: string, namespace: string | undefined, name: string): any | undefined {
		const bucket = this.objects.get(resource);
		const old = bucket?.get(keyOf(namespace, name));
		if (!bucket || !old) return undefined;
		bucket.delete(keyOf(namespace, name));
		const rv = ++this.rv;
		const gone = structuredClone(old);
		gone.metadata.resourceVersion = String(rv);
		this.record({ type: 'DELETED', resource, rv, object: gone, old });
		return structuredClone(gone);
	}

	private write(resource: string, obj: any, type: EventType, old: any): any {
		const rv = ++this.rv;
		obj.metadata.resourceVersion = String(rv);
		this.bucket(resource).set(keyOf(obj.metadata.namespace, obj.metadata.name), obj);
		this.record({ type, resource, rv, object: obj, old });
		return structuredClone(obj);
	}

	private record(event: StoreEvent): void {
		this.history.push(event);
		if (this.history.length > this.historyCapacity) {
			const dropped = this.history.splice(0, this.history.length - this.historyCapacity);
			this.oldestWatchableRv = dropped[dropped.length - 1].rv;
		}
		for (const listener of this.listeners) listener(event);
		this.onChange();
	}

	subscribe(listener: (event: StoreEvent) => void): () => void {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}

	/**
	 * Events of `resource` after `rv`, or `expired` when that point is no longer in the history. The one-shot
	 * flag set by `forgetHistory` expires the next watch that names a resourceVersion, whatever it is.
	 */
	eventsSince(resource: string, rv: number): StoreEvent[] | 'expired' {
		if (this.expireNextWatch) {
			this.expireNextWatch = false;
			return 'expired';
		}
		if (rv < this.oldestWatchableRv) return 'expired';
		return this.history.filter((e) => e.rv > rv && e.resource === resource);
	}

	get oldestWatchable(): number {
		return this.oldestWatchableRv;
	}

	/** Compacts all history (as etcd compaction + a cold watch cache would) and expires the next watch. */
	forgetHistory(): void {
		this.history = [];
		this.expireNextWatch = true;
		// The head moves past every resourceVersion a client has seen, as on a busy cluster after compaction.
		this.rv++;
		this.oldestWatchableRv = this.rv;
	}

	snapshot(): StoreSnapshot {
		const objects: Array<[string, any]> = [];
		for (const [resource, bucket] of this.objects)
			for (const obj of bucket.values()) objects.push([resource, obj]);
		return { rv: this.rv, objects };
	}

	/** Loads persisted state; the history starts empty at the current revision, as after an apiserver restart. */
	restore(snapshot: StoreSnapshot): void {
		this.rv = snapshot.rv;
		for (const [resource, obj] of snapshot.objects)
			this.bucket(resource).set(keyOf(obj.metadata.namespace, obj.metadata.name), obj);
		this.history = [];
		this.oldestWatchableRv = this.rv;
	}
}
