import { withToolMode } from '../shared/aiTool';
import { waitForJobProperties } from './WaitForJob.properties';

export const waitForJobToolProperties = withToolMode(
	'Waits for a build Job (from the Create BuildKit Job tool) to finish and returns status (succeeded, failed, ' +
		'timeout or stuck), reason, message, duration, the pushed image digest and imageRef, and a log tail of a ' +
		'failed build. Read-only: it does not retry or change the Job. The namespace is the one the user configured.',
	waitForJobProperties,
	{
		jobName: {
			description: 'Name of the Job to wait for: the jobName that Create BuildKit Job returned',
		},
	},
);
