import {
	deepCopy,
	generateZodSchema,
	NodeHelpers,
	traverseNodeParameters,
	type FromAIArgument,
	type INode,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import { BumpGitManifest } from '../../../nodes/BumpGitManifest/BumpGitManifest.node';
import { CreateBuildKitJob } from '../../../nodes/CreateBuildKitJob/CreateBuildKitJob.node';
import { QueryRegistryTags } from '../../../nodes/QueryRegistryTags/QueryRegistryTags.node';
import { WaitForJob } from '../../../nodes/WaitForJob/WaitForJob.node';
import { fromAiExpression, withToolMode } from '../../../nodes/shared/aiTool';

/** The tool as n8n 2.41 runs it (node-types.js getByNameAndVersion): the node's own properties under `<name>Tool`. */
function toolDescriptionOf(node: INodeType): INodeTypeDescription {
	const base = node.description;
	expect(base.usableAsTool).toBe(true);
	return { ...deepCopy(base), name: `${base.name}Tool` } as INodeTypeDescription;
}

/** The parameters of an untouched node as n8n resolves them (defaults filled, `@tool` evaluated). */
function resolved(description: INodeTypeDescription, stored: Record<string, unknown> = {}) {
	const node = {
		name: 'Tool',
		type: description.name,
		typeVersion: 1,
		position: [0, 0],
		parameters: stored,
	} as unknown as INode;
	return NodeHelpers.getNodeParameters(
		description.properties,
		stored as never,
		true,
		false,
		node,
		description,
	) as Record<string, unknown>;
}

/** The $fromAI arguments n8n finds in a tool node that the user dropped on the canvas and left as it came. */
function modelArguments(
	description: INodeTypeDescription,
	stored: Record<string, unknown> = {},
): FromAIArgument[] {
	const found: FromAIArgument[] = [];
	traverseNodeParameters(resolved(description, stored), found);
	return found;
}

const schemaOf = (args: FromAIArgument[]) =>
	Object.fromEntries(args.map((arg) => [arg.key, generateZodSchema(arg).description]));

describe('tool variants (n8n builds the tool schema from $fromAI defaults)', () => {
	it('Query Registry Tags asks the model for repository, policy and range, with their meaning', () => {
		const description = toolDescriptionOf(new QueryRegistryTags());
		const schema = schemaOf(modelArguments(description));
		expect(Object.keys(schema).sort()).toEqual(['policy', 'repository', 'semverRange']);
		expect(schema.repository).toMatch(/without a tag/);
		expect(schema.policy).toMatch(/semver.*numerical.*alphabetical.*list/);
		expect(resolved(description).toolDescription).toMatch(/latest tag.*Read-only/s);
		// Policy can be left to the model in the tool, and Semver Range is not hidden behind a policy the editor cannot know.
		const twins = (name: string) => description.properties.filter((p) => p.name === name);
		expect(twins('policy').map((p) => p.noDataExpression)).toEqual([true, undefined]);
		expect(twins('semverRange')[1].displayOptions).toEqual({ show: { '@tool': [true] } });
	});

	it('can be published untouched: no model-filled parameter counts as missing in the stored (empty) parameters', () => {
		for (const node of [
			new QueryRegistryTags(),
			new BumpGitManifest(),
			new CreateBuildKitJob(),
			new WaitForJob(),
		]) {
			const description = toolDescriptionOf(node);
			const stored = {
				repositoryUrl: 'https://git.local/gitops.git',
				policyName: 'a:b',
				appName: 'web',
				gitRepositoryUrl: 'https://git.local/web.git',
			};
			const parameters = Object.fromEntries(
				Object.entries(stored).filter(([name]) =>
					description.properties.some((p) => p.name === name),
				),
			);
			const issues = NodeHelpers.getNodeParametersIssues(
				description.properties,
				{
					name: 'Tool',
					type: description.name,
					typeVersion: 1,
					position: [0, 0],
					parameters,
				} as unknown as INode,
				description,
			);
			expect([description.name, issues]).toEqual([description.name, null]);
		}
	});

	it('Bump Git Manifest asks for the image and a message, and never for the repository or branch', () => {
		const description = toolDescriptionOf(new BumpGitManifest());
		const args = modelArguments(description, {
			repositoryUrl: 'https://git.local/gitops.git',
			policyName: 'flux-system:web',
		});
		expect(args.map((arg) => arg.key).sort()).toEqual(['commitMessage', 'image']);
		expect(resolved(description, { repositoryUrl: 'x', policyName: 'a:b' }).image).not.toMatch(
			/\$json/,
		);
		// Mode stays the user's: the fields it shows depend on it.
		expect(description.properties.find((p) => p.name === 'mode')!.noDataExpression).toBe(true);
		// Image Reference mode asks for tag and digest instead.
		const imageReference = modelArguments(description, {
			repositoryUrl: 'https://git.local/gitops.git',
			mode: 'imageReference',
			imageRepository: 'r/app',
		});
		expect(imageReference.map((arg) => arg.key).sort()).toEqual(['commitMessage', 'digest', 'tag']);
	});

	it('Create BuildKit Job asks for the commit and the image only', () => {
		const args = modelArguments(toolDescriptionOf(new CreateBuildKitJob()), {
			appName: 'web',
			gitRepositoryUrl: 'https://git.local/web.git',
		});
		expect(args.map((arg) => arg.key).sort()).toEqual(['commit', 'image']);
	});

	it('Wait for Job asks for the Job name, and its namespace no longer reads $json (the model arguments)', () => {
		const description = toolDescriptionOf(new WaitForJob());
		expect(modelArguments(description).map((arg) => arg.key)).toEqual(['jobName']);
		expect(resolved(description).namespace).toBe('');
	});

	it('leaves the plain nodes as they are: no $fromAI, the $json defaults, no tool description', () => {
		for (const node of [
			new QueryRegistryTags(),
			new BumpGitManifest(),
			new CreateBuildKitJob(),
			new WaitForJob(),
		]) {
			const parameters = resolved(node.description, { repositoryUrl: 'x', policyName: 'a:b' });
			expect(JSON.stringify(parameters)).not.toContain('$fromAI');
			expect(parameters.toolDescription).toBeUndefined();
		}
		expect(resolved(new BumpGitManifest().description, { policyName: 'a:b' }).image).toBe(
			'={{ $json.image }}',
		);
		expect(resolved(new WaitForJob().description).jobName).toBe('={{ $json.jobName }}');
	});

	it('writes descriptions that n8n parses back exactly, quotes and backslashes included', () => {
		const description = 'The tag\'s range, e.g. ^1.2 or \\d+ "quoted"';
		const [arg] = modelArguments({
			name: 'tTool',
			properties: [
				{
					displayName: 'X',
					name: 'x',
					type: 'string',
					default: fromAiExpression('x', { description, default: 'a,b' }),
				},
			],
		} as unknown as INodeTypeDescription);
		expect(arg).toMatchObject({ key: 'x', description, type: 'string', defaultValue: 'a,b' });
	});

	it('refuses a tool argument that is not a parameter, a bad key, and descriptions that end the expression', () => {
		const properties = [{ displayName: 'X', name: 'x', type: 'string' as const, default: '' }];
		expect(() => withToolMode('d', properties, { y: { description: 'y' } })).toThrow(
			/"y" is not a parameter/,
		);
		expect(() => fromAiExpression('x', { key: 'a b', description: 'd' })).toThrow(/key "a b"/);
		expect(() => fromAiExpression('x', { description: 'a }} b' })).toThrow(/\{\{ or \}\}/);
	});
});
