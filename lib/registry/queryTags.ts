import { InputError } from '../errors';
import { selectLatestTag, type TagFilter, type TagPolicy, type TagSelection } from '../policy';
import {
	inspectAttestations,
	type AttestationKind,
	type AttestationReport,
	type ProvenanceReport,
} from './attestations';
import { RegistryClient, type RegistryClientOptions, type RegistryConnection } from './client';
import { getBlob, getManifest, isIndex, resolveDigest } from './manifests';
import { formatPlatform, hasPlatform, platformsOfIndex } from './platforms';
import {
	parseRepository,
	RepositoryReferenceError,
	sameRegistry,
} from '../imageReference/repository';
import { RegistryError } from './errors';
import { listTags } from './tags';
import { QUERY_DEFAULTS } from './defaults';

/**
 * Query Registry Tags, one item: list the repository's tags, pick the best by a Flux-style policy, and, when
 * asked, check the best candidates in order (digest, platforms, attestations, provenance) until one meets
 * every requirement. Filtering happens before any per-tag request, so a 10,000-tag repository costs
 * ceil(N/page) list requests plus a few manifest requests for the top candidates.
 */

export type PolicyName = 'semver' | 'numerical' | 'alphabetical' | 'list';

export interface QueryRegistryTagsRequest {
	repository: string;
	policy: PolicyName;
	semverRange?: string;
	order?: 'asc' | 'desc';
	filterPattern?: string;
	filterExtract?: string;
	exclude?: string[];
	resolveDigest?: boolean;
	requirePlatforms?: string[];
	requireAttestations?: AttestationKind[];
	/** Report (without requiring) the attestations of the selected tag. */
	reportAttestations?: boolean;
	/** Git commit the provenance must record; reported as provenance.revisionMatches. */
	expectedRevision?: string;
	pageSize?: number;
	maxPages?: number;
}

export interface ProvenanceResult extends ProvenanceReport {
	expectedRevision?: string;
	revisionMatches?: boolean;
}

export interface QueryRegistryTagsResult {
	repository: string;
	latestTag?: string;
	/** The policy's value when a filter extract is used (otherwise the tag). */
	latest?: string;
	image?: string;
	digest?: string;
	mediaType?: string;
	platforms?: string[];
	attestations?: AttestationReport;
	provenance?: ProvenanceResult | null;
	totalTags: number;
	matchedTags: number;
	tags?: string[];
	/** Tags passed over because they failed a requirement, best first, with why. */
	rejected?: Array<{ tag: string; reason: string }>;
	pages: number;
	requests: number;
}

/** No tag survived the policy and the requirements; the message says what was scanned and what matched. */
export class NoCandidateError extends InputError {
	constructor(
		message: string,
		readonly scanned: number,
		readonly matched: number,
		readonly rejected: Array<{ tag: string; reason: string }> = [],
	) {
		super('policy', message, {
			hint: 'Widen the semver range or the filter, or relax the required platforms/attestations; List shows every tag.',
		});
	}
}

/** How many of the best candidates are inspected before giving up on the requirements. */
export const MAX_INSPECTED_CANDIDATES = 25;

function policyOf(req: QueryRegistryTagsRequest): TagPolicy {
	switch (req.policy) {
		case 'semver':
			return { kind: 'semver', range: req.semverRange ?? QUERY_DEFAULTS.semverRange };
		case 'numerical':
			return { kind: 'numerical', order: req.order ?? QUERY_DEFAULTS.order };
		case 'alphabetical':
			return { kind: 'alphabetical', order: req.order ?? QUERY_DEFAULTS.order };
		default:
			// `list` uses alphabetical only to apply the filter and the exclusions and to sort. Flux's `asc` ranks
			// the highest tag first, so the candidates come out descending; `order` is applied to them below.
			return { kind: 'alphabetical', order: 'asc' };
	}
}

function filterOf(req: QueryRegistryTagsRequest): TagFilter {
	return {
		pattern: req.filterPattern || undefined,
		extract: req.filterExtract || undefined,
		exclude: req.exclude,
	};
}

/** Connection for the repository's registry: the credential applies only when it names that registry. */
export function connectionFor(
	repository: ReturnType<typeof parseRepository>,
	credential?: RegistryConnection,
): RegistryConnection {
	if (credential?.registry && !sameRegistry(credential.registry, repository.registry)) {
		throw new RepositoryReferenceError(
			`The credential is for registry ${credential.registry} but the repository is on ${repository.registry}: use a credential for ${repository.registry}, or none for anonymous access`,
		);
	}
	// An http:// prefix may not send a secret the credential keeps on https: the credential opts in itself.
	if (repository.plainHttp && credential?.password && !credential.plainHttp) {
		throw new RepositoryReferenceError(
			`The repository starts with http:// but the credential for ${repository.registry} is not set to Plain HTTP, so its password would travel unencrypted: remove http:// (https is used), or turn on Plain HTTP in the credential`,
		);
	}
	return {
		registry: repository.registry,
		plainHttp: repository.plainHttp ?? credential?.plainHttp ?? false,
		caCertificate: credential?.caCertificate || undefined,
		username: credential?.username || undefined,
		password: credential?.password || undefined,
	};
}

function describeScan(req: QueryRegistryTagsRequest, selection: TagSelection): string {
	const policy =
		req.policy === 'semver'
			? `semver range "${req.semverRange ?? QUERY_DEFAULTS.semverRange}"`
			: `${req.policy} policy`;
	const filter = req.filterPattern ? ` and filter /${req.filterPattern}/` : '';
	// When the filter or the exclusions already removed everything, say so: the range is not the culprit.
	const afterFilter =
		selection.filtered === 0 ? ' (none left after the exclusions and filter)' : '';
	return `${selection.scanned} tag(s) scanned in ${req.repository}${afterFilter}, ${selection.matched} matched the ${policy}${filter}`;
}

interface Inspection {
	digest: string;
	mediaType: string;
	platforms: string[];
	attestations?: AttestationReport;
	provenance?: ProvenanceResult | null;
}

function revisionMatches(expected: string, recorded: string | undefined): boolean {
	if (!recorded) return false;
	const e = expected.trim().toLowerCase();
	const r = recorded.toLowerCase();
	// A short SHA (>= 7 hex digits) is accepted as a prefix of the full commit the provenance records.
	return e === r || (/^[0-9a-f]{7,39}$/.test(e) && r.startsWith(e));
}

async function inspectTag(
	client: RegistryClient,
	path: string,
	tag: string,
	req: QueryRegistryTagsRequest,
): Promise<Inspection> {
	const { digest, mediaType, manifest } = await getManifest(client, path, tag);
	let platforms: string[];
	if (isIndex(mediaType)) {
		platforms = platformsOfIndex(manifest);
	} else if (manifest.config?.digest && req.requirePlatforms?.length) {
		const config = JSON.parse((await getBlob(client, path, manifest.config.digest)).toString()) as {
			os?: string;
			architecture?: string;
			variant?: string;
		};
		platforms = [formatPlatform(config)];
	} else {
		platforms = [];
	}
	const inspection: Inspection = { digest, mediaType, platforms };
	const wantsAttestations = Boolean(
		req.requireAttestations?.length || req.reportAttestations || req.expectedRevision,
	);
	if (wantsAttestations) {
		const wantsProvenance = Boolean(
			req.requireAttestations?.includes('provenance') ||
			req.reportAttestations ||
			req.expectedRevision,
		);
		const found = isIndex(mediaType)
			? await inspectAttestations(client, path, manifest, { provenance: wantsProvenance })
			: { report: { sbom: false, provenance: false, predicateTypes: [], manifests: [] } };
		inspection.attestations = found.report;
		if (wantsProvenance) {
			inspection.provenance = found.provenance
				? {
						...found.provenance,
						...(req.expectedRevision
							? {
									expectedRevision: req.expectedRevision,
									revisionMatches: revisionMatches(req.expectedRevision, found.provenance.revision),
								}
							: {}),
					}
				: null;
		}
	}
	return inspection;
}

function unmetRequirement(
	inspection: Inspection,
	req: QueryRegistryTagsRequest,
): string | undefined {
	const missingPlatforms = (req.requirePlatforms ?? []).filter(
		(p) => !hasPlatform(inspection.platforms, p),
	);
	if (missingPlatforms.length) {
		return `missing platform(s) ${missingPlatforms.join(', ')} (has ${inspection.platforms.join(', ') || 'no platform list'})`;
	}
	const missingAttestations = (req.requireAttestations ?? []).filter(
		(kind) => !inspection.attestations?.[kind],
	);
	if (missingAttestations.length) {
		const has = inspection.attestations?.predicateTypes.join(', ') || 'no attestation manifests';
		return `missing attestation(s) ${missingAttestations.join(', ')} (has ${has})`;
	}
	return undefined;
}

export async function queryRegistryTags(
	req: QueryRegistryTagsRequest,
	credential?: RegistryConnection,
	clientOptions?: RegistryClientOptions,
): Promise<QueryRegistryTagsResult> {
	const ref = parseRepository(req.repository);
	const client = new RegistryClient(connectionFor(ref, credential), clientOptions);
	const listing = await listTags(client, ref.path, {
		pageSize: req.pageSize,
		maxPages: req.maxPages,
	});
	const base = { repository: ref.name, totalTags: listing.tags.length, pages: listing.pages };

	if (listing.stoppedEarly) {
		// A Link loop means the registry's paging is broken: picking "latest" from part of the list would roll out
		// the wrong image, so this is an error, not a partial answer.
		const why =
			listing.stoppedEarly === 'repeated-link'
				? 'sent a next-page link it had already sent'
				: 'sent a next page with no new tags';
		throw new RegistryError(
			`Registry ${ref.registry} ${why} after ${listing.pages} page(s) (${listing.tags.length} tags of ${ref.path}): the tag list may be incomplete, so no tag was picked (a pagination bug of the registry)`,
			{ code: 'PAGINATION_LOOP' },
		);
	}
	if (req.policy === 'list') {
		const selection = listing.tags.length
			? selectLatestTag(listing.tags, policyOf(req), filterOf(req))
			: { candidates: [], matched: 0 };
		const tags = req.order === 'desc' ? selection.candidates : [...selection.candidates].reverse();
		return { ...base, matchedTags: tags.length, tags, requests: client.requestCount };
	}

	if (listing.tags.length === 0) {
		throw new NoCandidateError(`No tags found: repository ${req.repository} has no tags`, 0, 0);
	}
	const selection = selectLatestTag(listing.tags, policyOf(req), filterOf(req));
	if (!selection.latestTag || selection.candidates.length === 0) {
		throw new NoCandidateError(
			`No tag matched: ${describeScan(req, selection)}`,
			selection.scanned,
			selection.matched,
		);
	}
	const needsInspection = Boolean(
		req.requirePlatforms?.length ||
		req.requireAttestations?.length ||
		req.reportAttestations ||
		req.expectedRevision,
	);
	if (!needsInspection) {
		const digest = req.resolveDigest
			? await resolveDigest(client, ref.path, selection.latestTag)
			: undefined;
		return {
			...base,
			latestTag: selection.latestTag,
			latest: selection.latest ?? selection.latestTag,
			image: `${ref.name}:${selection.latestTag}`,
			...(digest ? { digest: digest.digest, mediaType: digest.mediaType } : {}),
			matchedTags: selection.matched,
			requests: client.requestCount,
		};
	}

	const rejected: Array<{ tag: string; reason: string }> = [];
	for (const tag of selection.candidates.slice(0, MAX_INSPECTED_CANDIDATES)) {
		const inspection = await inspectTag(client, ref.path, tag, req);
		const reason = unmetRequirement(inspection, req);
		if (reason) {
			rejected.push({ tag, reason });
			continue;
		}
		return {
			...base,
			latestTag: tag,
			...(tag === selection.latestTag ? { latest: selection.latest ?? tag } : {}),
			image: `${ref.name}:${tag}`,
			digest: inspection.digest,
			mediaType: inspection.mediaType,
			platforms: inspection.platforms,
			...(inspection.attestations ? { attestations: inspection.attestations } : {}),
			...(inspection.provenance !== undefined ? { provenance: inspection.provenance } : {}),
			matchedTags: selection.matched,
			...(rejected.length ? { rejected } : {}),
			requests: client.requestCount,
		};
	}
	const checked = rejected.map((r) => `${r.tag}: ${r.reason}`).join('; ');
	const more =
		selection.candidates.length > MAX_INSPECTED_CANDIDATES
			? ` (only the best ${MAX_INSPECTED_CANDIDATES} were checked)`
			: '';
	throw new NoCandidateError(
		`No tag met the requirements: ${describeScan(req, selection)}, and every checked candidate failed${more}: ${checked}`,
		selection.scanned,
		selection.matched,
		rejected,
	);
}
