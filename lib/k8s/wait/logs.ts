import type * as k8s from '@kubernetes/client-node';
import { kubernetesClient } from '../kubernetesClient';
import { BUILD_CONTAINER, newestFirst, type PodLike, type PodProblem } from './podDiagnosis';
import { redactUrlCredentials } from '../../gitUrl';

/** Default byte bound of a log tail: enough for 50 lines of BuildKit progress, small enough for an n8n item. */
export const LOG_TAIL_MAX_BYTES = 16 * 1024;

/**
 * Keeps the last `lines` lines and at most `maxBytes` UTF-8 bytes of the end of a log, cutting at a line start
 * when one is in reach so the first line shown is whole.
 */
export function boundLogTail(text: string, lines: number, maxBytes = LOG_TAIL_MAX_BYTES): string {
	if (lines <= 0 || maxBytes <= 0 || !text) return '';
	const trimmed = text.endsWith('\n') ? text.slice(0, -1) : text;
	let tail = trimmed.split('\n').slice(-lines).join('\n');
	const bytes = Buffer.from(tail, 'utf8');
	if (bytes.length <= maxBytes) return tail;
	// Cut by bytes, then drop a split multi-byte character at the start (continuation bytes are 10xxxxxx).
	let start = bytes.length - maxBytes;
	while (start < bytes.length && (bytes[start] & 0xc0) === 0x80) start++;
	tail = bytes.subarray(start).toString('utf8');
	const newline = tail.indexOf('\n');
	return newline >= 0 && newline < tail.length - 1 ? tail.slice(newline + 1) : tail;
}

export interface LogSource {
	pod: string;
	container: string;
}

/**
 * Whose log explains the outcome: the container the diagnosis names, else the build container of the newest
 * pod, else (a pod that never got past its init containers) the last container that ran.
 */
export function chooseLogSource(pods: PodLike[], problem?: PodProblem): LogSource | undefined {
	if (problem?.container) return { pod: problem.pod, container: problem.container };
	const pod = newestFirst(pods)[0];
	const name = pod?.metadata?.name;
	if (!pod || !name) return undefined;
	const started = [
		...(pod.status?.initContainerStatuses ?? []),
		...(pod.status?.containerStatuses ?? []),
	].filter((s) => s.state?.running || s.state?.terminated || s.lastState?.terminated);
	if (started.some((s) => s.name === BUILD_CONTAINER))
		return { pod: name, container: BUILD_CONTAINER };
	const last = started[started.length - 1];
	return last ? { pod: name, container: last.name } : undefined;
}

/**
 * Reads the end of one container's log. The server applies tailLines; limitBytes only guards against huge lines
 * (it counts from the start of the tail), and boundLogTail then keeps the end. A log that cannot be read (the
 * container never started, the pod is gone) yields '' rather than hiding the Job's outcome behind a log error.
 */
export async function readLogTail(
	kc: k8s.KubeConfig,
	namespace: string,
	source: LogSource,
	lines: number,
	maxBytes = LOG_TAIL_MAX_BYTES,
): Promise<string> {
	if (lines <= 0) return '';
	try {
		const text = await kc.makeApiClient(kubernetesClient().CoreV1Api).readNamespacedPodLog({
			name: source.pod,
			namespace,
			container: source.container,
			tailLines: lines,
			limitBytes: Math.max(maxBytes * 8, 256 * 1024),
		});
		return boundLogTail(
			redactUrlCredentials(typeof text === 'string' ? text : String(text ?? '')),
			lines,
			maxBytes,
		);
	} catch {
		return '';
	}
}
