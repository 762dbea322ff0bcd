import { deepCopy, generateZodSchema, NodeHelpers, traverseNodeParameters, type FromAIArgument, type INode, type INodeType, type INodeTypeDescription } from 'n8n-workflow';
import { BumpGitManifest } from '../../../nodes/BumpGitManifest/BumpGitManifest.node';
import { CreateBuildKitJob } from '../../../nodes/CreateBuildKitJob/CreateBuildKitJob.node';
import { QueryRegistryTags } from '../../../nodes/QueryRegistryTags/QueryRegistryTags.node';
import { WaitForJob } from '../../../nodes/WaitForJob/WaitForJob.node';
import { fromAiExpression, toolVariant } from '../../../nodes/shared/aiTool';

/** The tool variant as n8n 2.41 makes it (tool-generation/ai-tools.js: replacements spread over a copy). */
function toolDescriptionOf(node: INodeType): INodeTypeDescription {
	const base = node.description;
	expect(typeof base.usableAsTool).toBe('object');
	const replacements = typeof base.usableAsTool === 'object' ? base.usableAsTool.replacements : {};
	return { ...deepCopy(base), ...replacements } as INodeTypeDescription;
}

/** The $fromAI arguments n8n finds in a tool node that the user dropped on the canvas and left as it came. */
function modelArguments(description: INodeTypeDescription, stored: Record<string, unknown> = {}): FromAIArgument[] {
	const node = { name: 'Tool', type: description.name, typeVersion: 1, position: [0, 0], parameters: stored } as unknown as INode;
	const parameters = NodeHelpers.getNodeParameters(description.properties, stored as never, true, false, node, description);
	const found: FromAIArgument[] = [];
	traverseNodeParameters(parameters, found);
	return found;
}

const schemaOf = (args: FromAIArgument[]) => Object.fromEntries(args.map((arg) => [arg.key, generateZodSchema(arg).description]));

describe('tool variants (n8n builds the tool schema from $fromAI defaults)', () => {
	it('Query Registry Tags asks the model for repository, policy and range, with their meaning', () => {
		const description = toolDescriptionOf(new QueryRegistryTags());
		const schema = schemaOf(modelArguments(description));
		expect(Object.keys(schema).sort()).toEqual(['policy', 'repository', 'semverRange']);
		expect(schema.repository).toMatch(/without a tag/);
		expect(schema.policy).toMatch(/semver.*numerical.*alphabetical.*list/);
		expect(description.description).toMatch(/Read-only/);
		// Policy can be left to the model in the tool, and Semver Range is not hidden behind a policy the editor cannot know.
		const policy = description.properties.find((p) => p.name === 'policy')!;
		expect(policy.noDataExpression).toBeUndefined();
		expect(description.properties.find((p) => p.name === 'semverRange')!.displayOptions).toBeUndefined();
	});

	it('can be published untouched: no model-filled parameter counts as missing in the stored (empty) parameters', () => {
		for (const node of [new QueryRegistryTags(), new BumpGitManifest(), new CreateBuildKitJob(), new WaitForJob()]) {
			const description = toolDescriptionOf(node);
			const stored = { repositoryUrl: 'https://git.local/gitops.git', policyName: 'a:b', appName: 'web', gitRepositoryUrl: 'https://git.local/web.git' };
			const parameters = Object.fromEntries(Object.entries(stored).filter(([name]) => description.properties.some((p) => p.name === name)));
			const issues = NodeHelpers.getNodeParametersIssues(description.properties, { name: 'Tool', type: description.name, typeVersion: 1, position: [0, 0], parameters } as unknown as INode, description);
			expect([description.name, issues]).toEqual([description.name, null]);
		}
	});

	it('Bump Git Manifest asks for the image and a message, and never for the repository or branch', () => {
		const description = toolDescriptionOf(new BumpGitManifest());
		const args = modelArguments(description, { repositoryUrl: 'https://git.local/gitops.git', policyName: 'flux-system:web' });
		expect(args.map((arg) => arg.key).sort()).toEqual(['commitMessage', 'image']);
		expect(description.properties.find((p) => p.name === 'image')!.default).not.toMatch(/\$json/);
		// Mode stays the user's: the fields it shows depend on it.
		expect(description.properties.find((p) => p.name === 'mode')!.noDataExpression).toBe(true);
		// Image Reference mode asks for tag and digest instead.
		const imageReference = modelArguments(description, { repositoryUrl: 'https://git.local/gitops.git', mode: 'imageReference', imageRepository: 'r/app' });
		expect(imageReference.map((arg) => arg.key).sort()).toEqual(['commitMessage', 'digest', 'tag']);
	});

	it('Create BuildKit Job asks for the commit and the image only', () => {
		const args = modelArguments(toolDescriptionOf(new CreateBuildKitJob()), { appName: 'web', gitRepositoryUrl: 'https://git.local/web.git' });
		expect(args.map((arg) => arg.key).sort()).toEqual(['commit', 'image']);
	});

	it('Wait for Job asks for the Job name, and its namespace no longer reads $json (the model arguments)', () => {
		const description = toolDescriptionOf(new WaitForJob());
		expect(modelArguments(description).map((arg) => arg.key)).toEqual(['jobName']);
		expect(description.properties.find((p) => p.name === 'namespace')!.default).toBe('');
	});

	it('leaves the plain nodes as they are', () => {
		const image = new BumpGitManifest().description.properties.find((p) => p.name === 'image')!;
		expect(image.default).toBe('={{ $json.image }}');
		expect(new QueryRegistryTags().description.properties.find((p) => p.name === 'policy')!.noDataExpression).toBe(true);
	});

	it('writes descriptions that n8n parses back exactly, quotes and backslashes included', () => {
		const description = "The tag's range, e.g. ^1.2 or \\d+ \"quoted\"";
		const [arg] = modelArguments({
			name: 't',
			properties: [{ displayName: 'X', name: 'x', type: 'string', default: fromAiExpression('x', { description, default: 'a,b' }) }],
		} as unknown as INodeTypeDescription);
		expect(arg).toMatchObject({ key: 'x', description, type: 'string', defaultValue: 'a,b' });
	});

	it('refuses a tool argument that is not a parameter, a bad key, and descriptions that end the expression', () => {
		const properties = [{ displayName: 'X', name: 'x', type: 'string' as const, default: '' }];
		expect(() => toolVariant('d', properties, { y: { description: 'y' } })).toThrow(/"y" is not a parameter/);
		expect(() => fromAiExpression('x', { key: 'a b', description: 'd' })).toThrow(/key "a b"/);
		expect(() => fromAiExpression('x', { description: 'a }} b' })).toThrow(/\{\{ or \}\}/);
	});
});
