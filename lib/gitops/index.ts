export { BUMP_DEFAULTS, bumpGitManifest, commitMessageFor } from './bumpGitManifest';
export type { BumpRequest, BumpResult, BumpOptions } from './bumpGitManifest';
export { checkGitAccess } from './checkGitAccess';
export type { BumpError } from './errors';
export type { GitCredential } from './gitAccess';
export type { Change, ManifestEdit } from './edits/types';
export { defaultCacheDir } from './workspace';
