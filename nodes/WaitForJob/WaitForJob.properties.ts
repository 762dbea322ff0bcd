import type { INodeProperties } from 'n8n-workflow';
import { WAIT_DEFAULTS } from '../../lib/k8s/wait/defaults';

export const waitForJobProperties: INodeProperties[] = [
	{
		displayName: 'Namespace',
		name: 'namespace',
		type: 'string',
		default: '={{ $json.namespace }}',
		placeholder: 'build-system',
		description: "Namespace of the Job. Empty uses the credential's default namespace.",
	},
	{
		displayName: 'Job Name',
		name: 'jobName',
		type: 'string',
		default: '={{ $json.jobName }}',
		required: true,
		placeholder: 'webapp-build-7f3a9c1',
		description: 'Name of the Job to wait for, e.g. the jobName output of Create BuildKit Job',
	},
	{
		displayName: 'Timeout Seconds',
		name: 'timeoutSeconds',
		type: 'number',
		default: WAIT_DEFAULTS.timeoutSeconds,
		typeOptions: { minValue: 1 },
		description: 'How long to wait before giving up with status "timeout"; the Job keeps running',
	},
	{
		displayName: 'Stuck After Seconds',
		name: 'stuckAfterSeconds',
		type: 'number',
		default: WAIT_DEFAULTS.stuckAfterSeconds,
		typeOptions: { minValue: 0 },
		description:
			'End the wait with status "stuck" when a pod sits this long in ImagePullBackOff, Unschedulable or CrashLoopBackOff. 0 turns this off.',
	},
	{
		displayName: 'Log Tail Lines',
		name: 'logTailLines',
		type: 'number',
		default: WAIT_DEFAULTS.logTailLines,
		typeOptions: { minValue: 0 },
		description:
			'Lines from the end of the log of the container that failed (or the build container on success); at most 16 KiB',
	},
	{
		displayName: 'Fail on Job Failure',
		name: 'failOnJobFailure',
		type: 'boolean',
		default: WAIT_DEFAULTS.failOnJobFailure,
		description:
			'Whether a Job that does not succeed (failed, timeout, stuck) stops the workflow with an error. Off: it becomes an output item with its status.',
	},
	{
		displayName: 'Delete When Done',
		name: 'deleteWhenDone',
		type: 'boolean',
		default: WAIT_DEFAULTS.deleteWhenDone,
		description:
			'Whether to delete the Job and its pods once the result is read, whatever the outcome',
	},
];
