// Public surface of the tag-policy engine (contract in briefs/interfaces.md): Flux ImagePolicy
// semantics — exclusion list, filterTags, semver (Masterminds), numerical, alphabetical.
export type { TagOrder, TagPolicy, TagFilter, TagSelection } from './types';
export { TagPolicyError, type TagPolicyField, type TagPolicyErrorCode } from './errors';
export { selectLatestTag, compileTagSelector, type TagSelector } from './selectLatestTag';
export { DEFAULT_EXCLUDE, MAX_EXCLUDE_PATTERNS } from './tagFilter';
export { MAX_TAG_LENGTH } from './regexSafety';
export { MAX_PATTERN_LENGTH } from './goRegexp';
export { MAX_RANGE_LENGTH } from './semverConstraint';
