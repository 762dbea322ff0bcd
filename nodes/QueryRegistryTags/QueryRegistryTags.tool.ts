import { QUERY_DEFAULTS } from '../../lib/registry/defaults';
import { withToolMode } from '../shared/aiTool';
import { queryRegistryTagsProperties } from './QueryRegistryTags.properties';

export const queryRegistryTagsToolProperties = withToolMode(
	'Finds the latest tag of a container image repository in an OCI registry by a Flux-style policy and returns ' +
		'latestTag, image (repository:tag), digest, platforms and how many tags matched; the list policy returns every ' +
		'matching tag. Read-only: it changes nothing. The registry credential, tag filters and exclusions are set by ' +
		'the user on the tool.',
	queryRegistryTagsProperties,
	{
		repository: {
			description:
				'Image repository without a tag, e.g. registry.local:5000/team/app, ghcr.io/org/app or nginx',
		},
		policy: {
			description:
				'How to pick the latest tag: semver (highest version in semverRange), numerical, alphabetical, or list (all tags)',
			default: QUERY_DEFAULTS.policy,
		},
		semverRange: {
			description:
				'For policy semver: a Masterminds range such as >=1.0.0 <2.0.0, ^1.2 or ~1.4; * means any release',
			default: QUERY_DEFAULTS.semverRange,
		},
	},
);
