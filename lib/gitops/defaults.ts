import type { VersionBump } from './edits/helmChartEdit';
import type { ManifestEdit } from './edits/types';
import type { ValueType } from './yaml/scalarStyle';

/** Defaults of a bump request and its edits, shared with the node's parameters. */
export const BUMP_DEFAULTS = {
	branch: 'main',
	commitMessage: 'Update image',
	maxAttempts: 5,
	skipCi: false,
	dryRun: false,
	mode: 'imagePolicyMarkers' as ManifestEdit['mode'],
	valuesFile: 'values.yaml',
	valuesPath: 'image.tag',
	valueType: 'auto' as ValueType,
	versionBump: 'patch' as VersionBump,
} as const;

/** Bump Git Manifest's Allow Plain HTTP default: http:// remotes only when a workflow opts in. */
export const DEFAULT_ALLOW_PLAIN_HTTP = false;
