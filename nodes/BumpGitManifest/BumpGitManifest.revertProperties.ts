import type { INodeProperties } from 'n8n-workflow';

/** The operation switch and the fields of `revert` (undo one of this node's own bump commits). */
export const operationProperty: INodeProperties = {
	displayName: 'Operation',
	name: 'operation',
	type: 'options',
	noDataExpression: true,
	default: 'bump',
	options: [
		{
			name: 'Bump',
			value: 'bump',
			description: 'Edit manifests and push one commit',
			action: 'Bump manifests in a git repository',
		},
		{
			name: 'Revert',
			value: 'revert',
			description: "Revert one of this node's own bump commits (e.g. after a failed rollout)",
			action: 'Revert a bump commit',
		},
	],
};

const revert = { show: { operation: ['revert'] } };

export const revertProperties: INodeProperties[] = [
	{
		displayName: 'Commit to Revert',
		name: 'revertCommit',
		type: 'string',
		default: '',
		required: true,
		placeholder: '={{ $("Bump GitOps manifest").item.json.commit }}',
		description:
			'The bump commit to undo. Only commits this node made (they carry a Bumped-by trailer) are reverted; an already reverted one is a no-op.',
		displayOptions: revert,
	},
	{
		displayName: 'Reason',
		name: 'revertReason',
		type: 'string',
		typeOptions: { rows: 3 },
		default: '',
		placeholder: '={{ $json.message }}',
		description: 'Why, written into the revert commit message (e.g. the Wait for Rollout message)',
		displayOptions: revert,
	},
];
