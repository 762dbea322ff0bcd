import { errors } from './status';

/**
 * GET pods/NAME/log as the apiserver answers it: container defaulting (the only entry of spec.containers),
 * the 400s for an unknown, waiting or unscheduled container, `previous`, `tailLines`, `timestamps` and
 * `limitBytes` (which may cut a line, as the real one does).
 */
export function logContainer(pod: any, q: URLSearchParams): string {
	const main: string[] = pod.spec.containers.map((c: any) => c.name);
	const init: string[] = (pod.spec.initContainers ?? []).map((c: any) => c.name);
	const container = q.get('container') ?? '';
	if (!container) {
		if (main.length !== 1) {
			throw errors.badRequest(
				`a container name must be specified for pod ${pod.metadata.name}, choose one of: [${main.join(' ')}]${init.length ? ` or one of the init containers: [${init.join(' ')}]` : ''}`,
			);
		}
		return main[0];
	}
	if (!main.includes(container) && !init.includes(container))
		throw errors.badRequest(`container ${container} is not valid for pod ${pod.metadata.name}`);
	return container;
}

export function containerStatus(pod: any, container: string): any {
	return [
		...(pod.status?.initContainerStatuses ?? []),
		...(pod.status?.containerStatuses ?? []),
	].find((s: any) => s.name === container);
}

export function podLogText(pod: any, q: URLSearchParams, logs: Record<string, string[]>): string {
	const container = logContainer(pod, q);
	if (!pod.spec.nodeName)
		throw errors.badRequest(`pod ${pod.metadata.name} does not have a host assigned`);
	const status = containerStatus(pod, container);
	const previous = q.get('previous') === 'true';
	if (previous && !status?.lastState?.terminated) {
		throw errors.badRequest(
			`previous terminated container "${container}" in pod "${pod.metadata.name}" not found`,
		);
	}
	if (!previous && (!status || status.state?.waiting)) {
		const reason = status?.state?.waiting?.reason ?? 'ContainerCreating';
		const why =
			reason === 'ImagePullBackOff' || reason === 'ErrImagePull'
				? 'trying and failing to pull image'
				: reason;
		throw errors.badRequest(
			`container "${container}" in pod "${pod.metadata.name}" is waiting to start: ${why}`,
		);
	}
	let lines = logs[container] ?? [];
	const tail = q.get('tailLines');
	if (tail !== null) {
		const n = Number(tail);
		if (!Number.isInteger(n) || n < 0)
			throw errors.invalid('PodLogOptions', '', '', [
				{
					reason: 'FieldValueInvalid',
					field: 'tailLines',
					message: `Invalid value: ${tail}: must be greater than or equal to 0`,
				},
			]);
		lines = n === 0 ? [] : lines.slice(-n);
	}
	if (q.get('timestamps') === 'true') lines = lines.map((l) => `${new Date().toISOString()} ${l}`);
	let text = lines.map((l) => `${l}\n`).join('');
	const limit = q.get('limitBytes');
	if (limit !== null) {
		const n = Number(limit);
		if (!Number.isInteger(n) || n < 1)
			throw errors.invalid('PodLogOptions', '', '', [
				{
					reason: 'FieldValueInvalid',
					field: 'limitBytes',
					message: `Invalid value: ${limit}: must be greater than 0`,
				},
			]);
		text = Buffer.from(text).subarray(0, n).toString('utf8');
	}
	return text;
}
