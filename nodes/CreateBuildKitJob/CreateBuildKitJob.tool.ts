import { withToolMode } from '../shared/aiTool';
import { createBuildKitJobProperties } from './CreateBuildKitJob.properties';

export const createBuildKitJobToolProperties = withToolMode(
	'Starts a Kubernetes Job that builds a container image with BuildKit from one revision of the git repository ' +
		'the user configured on this tool and pushes it under the given image reference. Returns jobName, namespace ' +
		'and the image tags at once, before the build finishes: use the Wait for Job tool with jobName to get the ' +
		'result and digest. It cannot choose another repository, namespace or builder settings.',
	createBuildKitJobProperties,
	{
		gitRevision: {
			key: 'commit',
			description: 'The git revision to build: a full commit id, a branch or a tag',
		},
		image: {
			description: 'Image reference to push, with a tag, e.g. registry.local:5000/team/app:1.4.2',
		},
	},
);
