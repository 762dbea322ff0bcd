import { BUMP_DEFAULTS } from '../../lib/gitops/defaults';
import { withToolMode } from '../shared/aiTool';
import { bumpGitManifestProperties } from './BumpGitManifest.properties';

export const bumpGitManifestToolProperties = withToolMode(
	'Sets a new image (or value) in the GitOps repository the user configured on this tool and pushes one commit ' +
		'to its branch, so Flux or Argo CD deploys it. Returns changed, commit, files and a diff; changed is false ' +
		'when the repository already had that value. It edits only the files and fields the user configured (mode, ' +
		'path, policy name), never force-pushes, and cannot choose another repository or branch.',
	bumpGitManifestProperties,
	{
		image: {
			description:
				'The new image as repository:tag, optionally @sha256:digest, e.g. registry.local:5000/team/app:1.4.2',
		},
		tag: {
			description:
				'The new image tag, e.g. 1.4.2 (leave empty to keep the tag and set only the digest)',
			default: '',
		},
		digest: {
			description: 'The new image digest sha256:<64 hex> (leave empty to set only the tag)',
			default: '',
		},
		value: { description: 'The new value to write, e.g. an image tag or a commit id' },
		commitMessage: {
			description: 'Commit message: what changes and why',
			default: BUMP_DEFAULTS.commitMessage,
		},
	},
);
