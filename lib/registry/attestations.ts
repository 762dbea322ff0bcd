import type { RegistryClient } from './client';
import { getBlob, getManifest, type Descriptor, type ImageManifest } from './manifests';
import { formatPlatform, isAttestationEntry } from './platforms';

/**
 * The supply-chain record BuildKit attaches to an image index (`attest:sbom`, `attest:provenance`): one
 * attestation manifest per platform, whose layers are in-toto statements annotated with their predicate type.
 * The provenance statement is fetched to report what it says was built: source repository and git revision.
 */
export const PREDICATE_TYPES = {
	spdx: 'https://spdx.dev/Document',
	cycloneDx: 'https://cyclonedx.org/bom',
	slsaProvenance02: 'https://slsa.dev/provenance/v0.2',
	slsaProvenance1: 'https://slsa.dev/provenance/v1',
} as const;

export type AttestationKind = 'sbom' | 'provenance';

export interface AttestationManifestReport {
	digest: string;
	/** Platform of the image manifest it attests (from vnd.docker.reference.digest). */
	platform?: string;
	predicateTypes: string[];
}

export interface AttestationReport {
	sbom: boolean;
	provenance: boolean;
	predicateTypes: string[];
	manifests: AttestationManifestReport[];
}

export interface ProvenanceReport {
	predicateType: string;
	platform?: string;
	sourceRepository?: string;
	revision?: string;
	buildType?: string;
}

export function isSbomPredicate(type: string): boolean {
	return type === PREDICATE_TYPES.spdx || type.startsWith(PREDICATE_TYPES.cycloneDx);
}

export function isProvenancePredicate(type: string): boolean {
	return type.startsWith('https://slsa.dev/provenance/');
}

const PREDICATE_ANNOTATION = 'in-toto.io/predicate-type';
/** Where BuildKit puts its own metadata (with `vcs`): a URI key in v0.2, a json field in v1 (types.go of its provenance). */
const BUILDKIT_METADATA_V02 = 'https://mobyproject.org/buildkit@v1#metadata';
const BUILDKIT_METADATA_V1 = 'buildkit_metadata';

function stripFragment(uri: string | undefined): string | undefined {
	return uri?.split('#')[0] || undefined;
}

interface ConfigSource {
	uri?: string;
	digest?: { sha1?: unknown; gitCommit?: unknown };
}
type BuildKitMetadata = Record<
	string,
	{ vcs?: { source?: string; revision?: unknown } } | undefined
>;
/** The fields read of an in-toto statement (JSON from the registry) with an SLSA v0.2 or v1 predicate. */
interface ProvenanceStatement {
	predicateType?: string;
	predicate?: {
		buildType?: string;
		metadata?: BuildKitMetadata;
		invocation?: { configSource?: ConfigSource };
		runDetails?: { metadata?: BuildKitMetadata };
		buildDefinition?: { buildType?: string; externalParameters?: { configSource?: ConfigSource } };
	};
}

/**
 * Source and revision from an in-toto provenance statement (SLSA v0.2 or v1, both as BuildKit writes them),
 * preferring BuildKit's own `vcs` metadata and then
 * the SLSA config source (`invocation.configSource` in v0.2, `buildDefinition.externalParameters.configSource`
 * in v1), whose digest holds the commit as sha1.
 */
export function provenanceSourceOf(statement: unknown): Omit<ProvenanceReport, 'platform'> {
	const predicate = (statement as ProvenanceStatement | null)?.predicate ?? {};
	const predicateType = String((statement as ProvenanceStatement | null)?.predicateType ?? '');
	const v1 = predicateType.startsWith(PREDICATE_TYPES.slsaProvenance1);
	const metadata = v1 ? predicate.runDetails?.metadata : predicate.metadata;
	const vcs = metadata?.[v1 ? BUILDKIT_METADATA_V1 : BUILDKIT_METADATA_V02]?.vcs ?? {};
	const configSource = v1
		? predicate.buildDefinition?.externalParameters?.configSource
		: predicate.invocation?.configSource;
	const revision = vcs.revision ?? configSource?.digest?.sha1 ?? configSource?.digest?.gitCommit;
	return {
		predicateType,
		sourceRepository: vcs.source ?? stripFragment(configSource?.uri),
		revision: typeof revision === 'string' ? revision : undefined,
		buildType: v1 ? predicate.buildDefinition?.buildType : predicate.buildType,
	};
}

/** Attestation entries of an index, with the platform of the image each one attests. */
export function attestationEntries(
	index: ImageManifest,
): Array<{ entry: Descriptor; platform?: string }> {
	const all = index.manifests ?? [];
	const platformOf = new Map(
		all
			.filter((m) => !isAttestationEntry(m) && m.platform)
			.map((m) => [m.digest, formatPlatform(m.platform!)]),
	);
	return all.filter(isAttestationEntry).map((entry) => ({
		entry,
		platform: platformOf.get(entry.annotations?.['vnd.docker.reference.digest'] ?? ''),
	}));
}

/**
 * Reads the attestation manifests of an index (one request each) and, when asked, the first provenance
 * statement (one more), never the SBOM bodies, which can be megabytes.
 */
export async function inspectAttestations(
	client: RegistryClient,
	repository: string,
	index: ImageManifest,
	opts: { provenance: boolean },
): Promise<{ report: AttestationReport; provenance?: ProvenanceReport }> {
	const report: AttestationReport = {
		sbom: false,
		provenance: false,
		predicateTypes: [],
		manifests: [],
	};
	let provenance: ProvenanceReport | undefined;
	for (const { entry, platform } of attestationEntries(index)) {
		const { manifest } = await getManifest(client, repository, entry.digest);
		const layers = manifest.layers ?? [];
		const types: string[] = [];
		for (const layer of layers) {
			let type = layer.annotations?.[PREDICATE_ANNOTATION];
			let statement: unknown;
			if (!type || (opts.provenance && !provenance && isProvenancePredicate(type))) {
				statement = JSON.parse((await getBlob(client, repository, layer.digest)).toString());
				type = String((statement as { predicateType?: string }).predicateType ?? '');
			}
			if (!type) continue;
			types.push(type);
			if (statement && opts.provenance && !provenance && isProvenancePredicate(type)) {
				provenance = { ...provenanceSourceOf(statement), platform };
			}
		}
		report.manifests.push({ digest: entry.digest, platform, predicateTypes: types });
		for (const type of types)
			if (!report.predicateTypes.includes(type)) report.predicateTypes.push(type);
	}
	report.sbom = report.predicateTypes.some(isSbomPredicate);
	report.provenance = report.predicateTypes.some(isProvenancePredicate);
	return { report, provenance };
}
