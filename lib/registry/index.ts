// The OCI distribution client behind Query Registry Tags (see docs/nodes/query-registry-tags.md).
export {
	RegistryClient,
	closeRegistryConnections,
	forgetRegistryAuth,
	type RegistryConnection,
	type RegistryClientOptions,
} from './client';
export { RegistryError } from './errors';
export { redact } from '../redact';
export { parseWwwAuthenticate, type AuthChallenge } from './challenge';
export { parseNextLink } from './link';
export {
	parseRepository,
	RepositoryReferenceError,
	type RepositoryReference,
} from '../imageReference/repository';
export { listTags, type TagListing } from './tags';
export { getManifest, getBlob, resolveDigest, MANIFEST_ACCEPT } from './manifests';
export { platformsOfIndex, hasPlatform, isAttestationEntry } from './platforms';
export {
	inspectAttestations,
	provenanceSourceOf,
	PREDICATE_TYPES,
	type AttestationKind,
	type AttestationReport,
	type ProvenanceReport,
} from './attestations';
export {
	queryRegistryTags,
	NoCandidateError,
	MAX_INSPECTED_CANDIDATES,
	type QueryRegistryTagsRequest,
	type QueryRegistryTagsResult,
	type PolicyName,
} from './queryTags';
export { QUERY_DEFAULTS } from './defaults';
export { checkRegistryAccess } from './checkAccess';
