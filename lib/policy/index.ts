// Public surface of the tag-policy engine: Flux ImagePolicy
// semantics — exclusion list, filterTags, semver (Masterminds), numerical, alphabetical.
export type { TagOrder, TagPolicy, TagFilter, TagSelection } from './types';
export { TagPolicyError, type TagPolicyField, type TagPolicyErrorCode } from './errors';
export { selectLatestTag, compileTagSelector, type TagSelector } from './selectLatestTag';
export { MAX_EXCLUDE_PATTERNS } from './tagFilter';
export { DEFAULT_EXCLUDE } from './defaults';
export { MAX_PATTERN_LENGTH, MAX_TAG_LENGTH } from './regexp';
export { MAX_RANGE_LENGTH } from './semver';
