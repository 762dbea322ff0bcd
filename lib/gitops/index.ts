export { bumpGitManifest, commitMessageFor } from './bumpGitManifest';
export { BUMP_DEFAULTS, DEFAULT_ALLOW_PLAIN_HTTP } from './defaults';
export type { BumpRequest, BumpResult, BumpOptions } from './bumpGitManifest';
export { checkGitAccess } from './checkGitAccess';
export type { BumpError } from './errors';
export type { GitCredential } from './gitAccess';
export type { Change, ManifestEdit } from './edits/types';
export type { ValueType } from './yaml/scalarStyle';
export { defaultCacheDir } from './workspace';
