import type * as k8s from '@kubernetes/client-node';
import { describeKubernetesError } from './apiError';
import { kubernetesClient } from './kubernetesClient';

/** Server-side watch timeout; below client-node 2.x's 30 s inactivity abort so streams end cleanly. */
export const DEFAULT_WATCH_TIMEOUT_SECONDS = 25;

/** The `timeoutSeconds` of the next WATCH: the requested one, cut to what is left before the deadline. */
export function watchTimeoutSeconds(requested: number | undefined, deadline: number): number {
	return Math.max(
		1,
		Math.min(requested ?? DEFAULT_WATCH_TIMEOUT_SECONDS, Math.ceil((deadline - Date.now()) / 1000)),
	);
}

/** How one WATCH request ended; `E` are the ends the caller's event handler chooses. */
export type WatchRound<E> =
	| { end: 'closed'; events: number; ms: number }
	| { end: 'relist' }
	| { end: 'failed'; error: unknown; events: number }
	| { end: 'deadline' | 'aborted' }
	| E;

/**
 * One WATCH request, resolved with why it ended: the stream closed (re-watch from the last resourceVersion),
 * 410 Gone or an ERROR event (LIST again), a failure, the deadline or the caller's abort. Every other event
 * goes to `onEvent`, which ends the round by returning an end of its own.
 */
export function watchRound<T, E>(
	kc: k8s.KubeConfig,
	path: string,
	query: Record<string, string | number | boolean | undefined>,
	deadline: number,
	signal: AbortSignal | undefined,
	onEvent: (type: string, obj: T) => E | undefined,
): Promise<WatchRound<E>> {
	return new Promise<WatchRound<E>>((resolve) => {
		const startedAt = Date.now();
		let events = 0;
		let settled = false;
		let controller: AbortController | undefined;
		const finish = (round: WatchRound<E>): void => {
			if (settled) return;
			settled = true;
			clearTimeout(timer);
			signal?.removeEventListener('abort', onAbort);
			controller?.abort();
			resolve(round);
		};
		const onAbort = (): void => finish({ end: 'aborted' });
		const timer = setTimeout(() => finish({ end: 'deadline' }), Math.max(0, deadline - Date.now()));
		signal?.addEventListener('abort', onAbort, { once: true });
		if (signal?.aborted) return finish({ end: 'aborted' });

		const done = (error: unknown): void => {
			if (settled) return;
			const e = error as { name?: string } | null;
			if (!e || e.name === 'TimeoutError')
				return finish({ end: 'closed', events, ms: Date.now() - startedAt });
			if (describeKubernetesError(e).statusCode === 410) return finish({ end: 'relist' });
			finish({ end: 'failed', error, events });
		};
		const clean = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined));
		new (kubernetesClient().Watch)(kc)
			.watch(
				path,
				clean,
				(type, obj) => {
					if (settled) return;
					events++;
					// 410 Expired/Gone, or any other ERROR event: the stream is unusable, list again.
					if (type === 'ERROR') return finish({ end: 'relist' });
					const ended = onEvent(type, obj as T);
					if (ended !== undefined) finish(ended);
				},
				done,
			)
			.then(
				(c) => {
					controller = c;
					if (settled) c.abort();
				},
				(error) => done(error ?? new Error('watch failed')),
			);
	});
}
