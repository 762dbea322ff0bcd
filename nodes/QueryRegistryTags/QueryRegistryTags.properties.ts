import type { INodeProperties } from 'n8n-workflow';
import { QUERY_DEFAULTS } from '../../lib/registry/defaults';

const forPolicy = (...policy: string[]) => ({ show: { policy } });

export const queryRegistryTagsProperties: INodeProperties[] = [
	{
		displayName: 'Repository',
		name: 'repository',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'registry.local:5000/webapp/app',
		description:
			'Image repository without a tag: host[:port]/path, or a Docker Hub name such as nginx or org/app. Prefix http:// for a plain-HTTP registry without a credential.',
	},
	{
		displayName: 'Policy',
		name: 'policy',
		type: 'options',
		noDataExpression: true,
		default: QUERY_DEFAULTS.policy,
		options: [
			{
				name: 'Alphabetical',
				value: 'alphabetical',
				description: 'The greatest tag in byte order (Flux alphabetical policy)',
			},
			{
				name: 'List',
				value: 'list',
				description: 'Return every tag that passes the filter and exclusions, sorted',
			},
			{
				name: 'Numerical',
				value: 'numerical',
				description: 'The greatest number (Flux numerical policy; every value must be a number)',
			},
			{
				name: 'Semver',
				value: 'semver',
				description: 'The highest version in a range (Flux semver policy, Masterminds rules)',
			},
		],
	},
	{
		displayName: 'Semver Range',
		name: 'semverRange',
		type: 'string',
		default: QUERY_DEFAULTS.semverRange,
		placeholder: '>=1.0.0 <2.0.0',
		description:
			'Masterminds constraint, e.g. ^1.2, ~1.4, >=1.0.0-0 (admits prereleases), 1.x || 2.x, >1.0, <2.0',
		displayOptions: forPolicy('semver'),
	},
	{
		displayName: 'Order',
		name: 'order',
		type: 'options',
		default: QUERY_DEFAULTS.order,
		options: [
			{ name: 'Ascending (Latest = Greatest)', value: 'asc' },
			{ name: 'Descending (Latest = Smallest)', value: 'desc' },
		],
		description:
			'Flux order: asc picks the greatest value, desc the smallest; for List, the sort order',
		displayOptions: forPolicy('numerical', 'alphabetical', 'list'),
	},
	{
		displayName: 'Filter Pattern',
		name: 'filterPattern',
		type: 'string',
		default: '',
		placeholder: '^main-[a-f0-9]+-(?<ts>[0-9]+)$',
		description:
			'Regular expression a tag must contain (searched, not anchored); (?P&lt;name&gt;…) is accepted as in Flux',
	},
	{
		displayName: 'Filter Extract',
		name: 'filterExtract',
		type: 'string',
		default: '',
		placeholder: '$ts',
		description:
			'The value the policy compares, built from the pattern groups ($1, ${1}, $name, ${name}); empty means the whole tag',
	},
	{
		displayName: 'Exclude',
		name: 'exclude',
		type: 'string',
		typeOptions: { rows: 2 },
		default: QUERY_DEFAULTS.exclude.join('\n'),
		description:
			'Regular expressions, one per line; a tag matching any of them is ignored (default: cosign signature tags)',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		options: [
			{
				displayName: 'Expected Revision',
				name: 'expectedRevision',
				type: 'string',
				default: '',
				placeholder: '={{ $json.commit }}',
				description:
					'Git commit the image provenance should record; the output says whether it matches (provenance.revisionMatches). A short SHA matches as a prefix.',
			},
			{
				displayName: 'Max Pages',
				name: 'maxPages',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: QUERY_DEFAULTS.maxPages,
				description:
					'Stop with an error after this many tag-list pages, rather than scanning an unbounded repository',
			},
			{
				displayName: 'Page Size',
				name: 'pageSize',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 10000 },
				default: QUERY_DEFAULTS.pageSize,
				description: 'Tags asked for per page (n); registries that refuse it get 100',
			},
			{
				displayName: 'Report Attestations',
				name: 'reportAttestations',
				type: 'boolean',
				default: false,
				description:
					'Whether to report the SBOM and provenance attestations of the selected tag, and the source and revision the provenance records',
			},
			{
				displayName: 'Require Attestations',
				name: 'requireAttestations',
				type: 'multiOptions',
				default: [],
				options: [
					{ name: 'Provenance (SLSA)', value: 'provenance' },
					{ name: 'SBOM (SPDX)', value: 'sbom' },
				],
				description: 'A tag whose image index lacks these BuildKit attestations is not a candidate',
			},
			{
				displayName: 'Require Platforms',
				name: 'requirePlatforms',
				type: 'string',
				default: '',
				placeholder: 'linux/amd64, linux/arm64',
				description:
					'Comma-separated platforms a tag must provide to be a candidate; attestation entries never count as platforms',
			},
			{
				displayName: 'Resolve Digest',
				name: 'resolveDigest',
				type: 'boolean',
				default: false,
				description:
					'Whether to return the digest the selected tag points to (a manifest HEAD request)',
			},
		],
	},
];
