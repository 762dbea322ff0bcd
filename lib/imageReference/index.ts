// Image references, one grammar for the package (distribution/reference): `reference` parses what a user
// types for an image (strict, with errors naming the field), `repository` turns a repository into the
// registry host and path the distribution API needs, `fluxImageRef` splits a reference found in a manifest
// the way Flux's image setters do.
export {
	isImageDigest,
	isImageTag,
	parseImageReference,
	parsePushReference,
	splitReference,
	type ImageReference,
	type ReferenceParts,
} from './reference';
export {
	apiHostOf,
	isDockerHub,
	parseRepository,
	RepositoryReferenceError,
	sameRegistry,
	type RepositoryReference,
} from './repository';
export { formatImageRef, parseImageRef, type ImageRef } from './fluxImageRef';
