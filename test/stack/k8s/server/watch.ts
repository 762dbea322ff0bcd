import type { ServerResponse } from 'node:http';
import type { ResourceDef } from './resources';
import { apiVersionOf } from './resources';
import {
	fieldsMatch,
	labelsMatch,
	type FieldRequirement,
	type LabelRequirement,
} from './selectors';
import type { Store, StoreEvent } from './store';
import { toTable } from './tables';

/**
 * One open watch: a chunked 200 response of newline-separated `{"type","object"}` events, as the apiserver
 * streams them. Handles the initial state (no/zero resourceVersion, sendInitialEvents), replay from a
 * resourceVersion, selector transitions (an object leaving the selector is DELETED for this watcher),
 * periodic and pre-timeout BOOKMARKs, and the 410 ERROR event for an expired resourceVersion.
 */
export interface WatchRequest {
	def: ResourceDef;
	namespace?: string;
	labels: LabelRequirement[];
	fields: FieldRequirement[];
	resourceVersion?: string;
	allowBookmarks: boolean;
	sendInitialEvents: boolean;
	timeoutMs: number;
	bookmarkIntervalMs: number;
	/** `kubectl get -w` asks for server-side Tables: each object goes out as a one-row Table. */
	table: boolean;
}

export class WatchStream {
	private unsubscribe: () => void = () => undefined;
	private readonly timers: NodeJS.Timeout[] = [];
	private closed = false;
	readonly resource: string;

	constructor(
		private readonly res: ServerResponse,
		private readonly store: Store,
		private readonly w: WatchRequest,
		private readonly onClose: (stream: WatchStream) => void,
	) {
		this.resource = `${w.def.group}/${w.def.plural}`;
	}

	private matches(obj: any): boolean {
		if (!obj) return false;
		if (this.w.namespace !== undefined && obj.metadata.namespace !== this.w.namespace) return false;
		return labelsMatch(obj.metadata.labels, this.w.labels) && fieldsMatch(obj, this.w.fields);
	}

	private write(type: string, object: any): void {
		if (this.closed) return;
		const body =
			this.w.table && type !== 'BOOKMARK' && type !== 'ERROR'
				? toTable(this.w.def.kind, [object], object.metadata.resourceVersion)
				: object;
		this.res.write(`${JSON.stringify({ type, object: body })}\n`);
	}

	private bookmark(annotations?: Record<string, string>): void {
		this.write('BOOKMARK', {
			kind: this.w.def.kind,
			apiVersion: apiVersionOf(this.w.def),
			metadata: {
				resourceVersion: String(this.store.resourceVersion),
				...(annotations ? { annotations } : {}),
				creationTimestamp: null,
			},
		});
	}

	private deliver(e: StoreEvent): void {
		if (e.resource !== this.resource) return;
		const now = this.matches(e.object);
		const before = e.type !== 'ADDED' && this.matches(e.old);
		if (e.type === 'DELETED') {
			if (before || now) this.write('DELETED', e.object);
		} else if (now && before) this.write('MODIFIED', e.object);
		else if (now) this.write('ADDED', e.object);
		else if (before) this.write('DELETED', e.object);
	}

	start(): void {
		this.res.writeHead(200, {
			'Content-Type': 'application/json',
			'Cache-Control': 'no-cache, private',
			'Transfer-Encoding': 'chunked',
		});
		this.res.flushHeaders();
		this.res.on('close', () => this.close());
		const rv = this.w.resourceVersion;
		if (!rv || rv === '0' || this.w.sendInitialEvents) {
			for (const obj of this.store.list(this.resource, this.w.namespace))
				if (this.matches(obj)) this.write('ADDED', obj);
			if (this.w.sendInitialEvents && this.w.allowBookmarks)
				this.bookmark({ 'k8s.io/initial-events-end': 'true' });
		} else {
			const n = Number(rv);
			const events = this.store.eventsSince(this.resource, n);
			if (events === 'expired') {
				this.write('ERROR', {
					kind: 'Status',
					apiVersion: 'v1',
					metadata: {},
					status: 'Failure',
					message: `too old resource version: ${rv} (${this.store.oldestWatchable})`,
					reason: 'Expired',
					code: 410,
				});
				this.end();
				return;
			}
			for (const e of events) this.deliver(e);
		}
		this.unsubscribe = this.store.subscribe((e) => this.deliver(e));
		if (this.w.allowBookmarks && this.w.bookmarkIntervalMs > 0) {
			this.timers.push(setInterval(() => this.bookmark(), this.w.bookmarkIntervalMs));
		}
		this.timers.push(
			setTimeout(() => {
				// Like the apiserver: a last bookmark just before the server-side timeout ends the stream.
				if (this.w.allowBookmarks) this.bookmark();
				this.end();
			}, this.w.timeoutMs),
		);
	}

	/** Ends the stream cleanly (the client sees a normal end of response). */
	end(): void {
		if (this.closed) return;
		this.res.end();
		this.close();
	}

	/** Cuts the connection (the client sees a reset). */
	destroy(): void {
		if (this.closed) return;
		this.res.socket?.destroy();
		this.close();
	}

	private close(): void {
		if (this.closed) return;
		this.closed = true;
		this.unsubscribe();
		for (const t of this.timers) clearTimeout(t);
		this.onClose(this);
	}
}
