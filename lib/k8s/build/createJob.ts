import type * as k8s from '@kubernetes/client-node';
import { RemoteError } from '../../errors';
import { kubernetesClient } from '../kubernetesClient';
import {
	describeKubernetesError,
	hintForAdmissionDenial,
	type KubernetesApiFailure,
} from '../apiError';
import { BUILD_DEFAULTS } from './defaults';
import { validateBuildJobInput, type Attestation, type BuildJobInput } from './inputs';
import { ANNOTATIONS, buildJobManifest } from './manifest';
import { jobNameFor, randomSuffix } from './jobName';

export type IfExists = 'fail' | 'reuse';

export interface CreateBuildKitJobOptions {
	dryRun?: boolean;
	ifExists?: IfExists;
	/** Test seam for the random name suffix. */
	random?: () => string;
}

export interface CreateBuildKitJobResult {
	jobName: string;
	namespace: string;
	/** Empty on dry run. */
	uid: string;
	/** The primary image reference (first push target). */
	image: string;
	/** Every reference pushed to, primary first. */
	images: string[];
	/** The tags of those references, in the same order. */
	tags: string[];
	gitRepositoryUrl: string;
	/** The requested revision; git-clone's termination message carries the commit it resolved to. */
	gitRevision: string;
	/** ISO 8601; empty on dry run. */
	createdAt: string;
	attestations: Attestation[];
	reused: boolean;
	dryRun: boolean;
	manifest?: k8s.V1Job;
}

/**
 * A Kubernetes API call that failed. `failure` carries the status code and the server's own Status message
 * (never a token); `hint` says what usually fixes that status.
 */
export class KubernetesRequestError extends RemoteError {
	constructor(
		readonly action: string,
		readonly failure: KubernetesApiFailure,
		hint: string,
	) {
		const http = failure.statusCode
			? `HTTP ${failure.statusCode}${failure.reason ? ` ${failure.reason}` : ''}`
			: '';
		const denial = failure.admissionPolicy;
		super(
			denial
				? `${action} was refused by admission policy "${denial.policy}" (${[denial.binding && `binding "${denial.binding}"`, http].filter(Boolean).join(', ')}): ${denial.rule}`
				: `${action} failed${http ? ` (${http})` : ''}: ${failure.message}`,
			{ statusCode: failure.statusCode, hint },
		);
	}
}

export function hintForStatus(statusCode: number | undefined, namespace: string): string {
	switch (statusCode) {
		case 401:
			return 'The API server did not accept the credential: renew the token (kubectl -n automation create token n8n) or fix the kubeconfig.';
		case 403:
			return `The credential's identity may not do this in namespace "${namespace}": apply deploy/ (Role build-job-manager, RoleBinding n8n-build-manager) and bind it to this identity, or use the namespace it is bound in.`;
		case 404:
			return `Namespace "${namespace}" (or the API) was not found: create it with kubectl apply -k deploy/, or fix the Namespace parameter.`;
		case 409:
			return 'A Job with this name already exists: choose another Job Name, leave it empty for a generated one, or set If Exists to Reuse.';
		case 422:
			return 'The API server rejected the Job manifest: the message above names the field; run with Dry Run to inspect the manifest.';
		default:
			return 'Check that the API server is reachable from n8n and that the credential points at the right cluster.';
	}
}

function requestError(action: string, error: unknown, namespace: string): KubernetesRequestError {
	const failure = describeKubernetesError(error);
	const hint = failure.admissionPolicy
		? hintForAdmissionDenial(failure.admissionPolicy.policy)
		: hintForStatus(failure.statusCode, namespace);
	return new KubernetesRequestError(action, failure, hint);
}

const tagsOf = (refs: string[]): string[] =>
	refs.map((r) => /:([\w][\w.-]{0,127})$/.exec(r)?.[1] ?? '');

/** Describes an existing Job from its own annotations (what it really builds, not what was asked this time). */
function describeJob(job: k8s.V1Job, reused: boolean): CreateBuildKitJobResult {
	const annotations = job.metadata?.annotations ?? {};
	const images = (annotations[ANNOTATIONS.images] ?? '').split(',').filter(Boolean);
	const created = job.metadata?.creationTimestamp as unknown;
	return {
		jobName: job.metadata?.name ?? '',
		namespace: job.metadata?.namespace ?? '',
		uid: job.metadata?.uid ?? '',
		image: images[0] ?? '',
		images,
		tags: tagsOf(images),
		gitRepositoryUrl: annotations[ANNOTATIONS.gitUrl] ?? '',
		gitRevision: annotations[ANNOTATIONS.gitRevision] ?? '',
		createdAt:
			created instanceof Date ? created.toISOString() : typeof created === 'string' ? created : '',
		attestations: (annotations[ANNOTATIONS.attestations] ?? '')
			.split(',')
			.filter((a): a is Attestation => a === 'sbom' || a === 'provenance'),
		reused,
		dryRun: false,
	};
}

/**
 * Validates the input, builds the Job and creates it (or, on dry run, only returns it). A name clash (409)
 * either fails with a clear error or, with ifExists 'reuse', returns the existing Job: with a deterministic
 * name that makes re-runs of the same build idempotent.
 */
export async function createBuildKitJob(
	kc: k8s.KubeConfig | undefined,
	input: BuildJobInput,
	options: CreateBuildKitJobOptions = {},
): Promise<CreateBuildKitJobResult> {
	const plan = validateBuildJobInput(input);
	const name = jobNameFor(plan, options.random ?? randomSuffix);
	const manifest = buildJobManifest(plan, name);
	if (options.dryRun) {
		const images = plan.images.map((i) => i.text);
		return {
			jobName: name,
			namespace: plan.namespace,
			uid: '',
			image: images[0],
			images,
			tags: plan.images.map((i) => i.tag ?? ''),
			gitRepositoryUrl: plan.git.url,
			gitRevision: plan.gitRevision,
			createdAt: '',
			attestations: plan.attestations,
			reused: false,
			dryRun: true,
			manifest,
		};
	}
	if (!kc) throw new Error('createBuildKitJob needs a KubeConfig unless dryRun is set');
	const batch = kc.makeApiClient(kubernetesClient().BatchV1Api);
	const namespace = plan.namespace;
	try {
		return describeJob(await batch.createNamespacedJob({ namespace, body: manifest }), false);
	} catch (error) {
		const failure = describeKubernetesError(error);
		if (failure.statusCode !== 409)
			throw requestError(`Creating Job "${name}" in namespace "${namespace}"`, error, namespace);
		if ((options.ifExists ?? BUILD_DEFAULTS.ifExists) !== 'reuse') {
			throw new KubernetesRequestError(
				`Creating Job "${name}" in namespace "${namespace}"`,
				failure,
				hintForStatus(409, namespace),
			);
		}
	}
	try {
		return describeJob(await batch.readNamespacedJob({ name, namespace }), true);
	} catch (error) {
		throw requestError(
			`Reading the existing Job "${name}" in namespace "${namespace}"`,
			error,
			namespace,
		);
	}
}
