// Masterminds semver v3 as Flux uses it: version parses tags (strict X.Y.Z with one optional leading "v"),
// constraint parses and evaluates ranges.
export {
	parseSemverRange,
	satisfiesRange,
	SemverRangeSyntaxError,
	MAX_RANGE_LENGTH,
	type SemverRange,
} from './constraint';
export { compareVersions, parseTagVersion, type SemverVersion } from './version';
