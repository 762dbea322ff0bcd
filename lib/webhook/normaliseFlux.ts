import { parseFluxRevision } from './fluxRevision';
import type { GitEventDescription } from './normaliseGitPush';
import type { FluxInvolvedObject } from './types';

type Json = Record<string, unknown>;

function text(value: unknown): string | undefined {
	return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The revision from an event's metadata. notification-controller strips the reporting API group from metadata
 * keys before forwarding (`revision`); older releases kept it (`source.toolkit.fluxcd.io/revision`).
 */
function revisionOf(metadata: Json): string | undefined {
	const plain = text(metadata.revision);
	if (plain) return plain;
	const prefixed = Object.keys(metadata).find((key) => key.endsWith('/revision'));
	return prefixed ? text(metadata[prefixed]) : undefined;
}

/**
 * A Flux event as the generic / generic-hmac provider posts it: `involvedObject`, `severity`, `timestamp`,
 * `message`, `reason`, `metadata`, `reportingController`. The event name is the `reason`
 * (e.g. ChartPackageSucceeded, ReconciliationSucceeded).
 */
export function describeFluxEvent(body: unknown): GitEventDescription {
	const payload = (body && typeof body === 'object' ? body : {}) as Json;
	const object = (
		payload.involvedObject && typeof payload.involvedObject === 'object'
			? payload.involvedObject
			: {}
	) as Json;
	const metadata = (
		payload.metadata && typeof payload.metadata === 'object' ? payload.metadata : {}
	) as Json;
	const involvedObject: FluxInvolvedObject = {
		kind: text(object.kind) ?? '',
		name: text(object.name) ?? '',
		namespace: text(object.namespace) ?? '',
		...(text(object.apiVersion) ? { apiVersion: text(object.apiVersion) } : {}),
		...(text(object.uid) ? { uid: text(object.uid) } : {}),
	};
	const revision = revisionOf(metadata);
	const parsed = parseFluxRevision(revision, involvedObject.kind);
	return {
		provider: 'flux',
		event: text(payload.reason) ?? 'unknown',
		repository: { name: null, cloneUrl: null },
		ref: parsed.ref,
		branch: parsed.branch,
		tag: parsed.tag,
		commit: parsed.commit,
		commitTimestamp: null,
		changedFiles: [],
		changedFilesComplete: false,
		involvedObject,
		revision: revision ?? '',
		severity: text(payload.severity) ?? '',
		message: text(payload.message) ?? '',
		...(parsed.digest ? { digest: parsed.digest } : {}),
	};
}
