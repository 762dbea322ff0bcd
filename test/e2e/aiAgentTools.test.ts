import { readRemoteFile, remoteLog, startGitServer, type GitServer } from '../stack/git';
import { type FakeModel, startFakeModel } from '../stack/model';
import { type N8nInstance, startN8n } from '../stack/n8n';
import { pushTestImage, startRegistry, type RunningRegistry } from '../stack/registry';

// An AI Agent in real n8n 2.41 calls this package's tool variants with only the arguments their schemas ask for.
// Its model is a scripted OpenAI-compatible server on 127.0.0.1, called plain and streaming.
jest.setTimeout(300_000);

const MANIFEST = 'apps/web/deployment.yaml';
const manifest = (image: string) =>
	[
		'apiVersion: apps/v1',
		'kind: Deployment',
		'spec:',
		'  template:',
		'    spec:',
		'      containers:',
		'        - name: web',
		`          image: ${image} # {"$imagepolicy": "flux-system:web"}`,
		'',
	].join('\n');

function agentWorkflow(id: string, trigger: object, repositoryUrl: string) {
	return {
		id,
		name: id,
		active: false,
		settings: { executionOrder: 'v1' },
		nodes: [
			trigger,
			{
				id: 'agent',
				name: 'AI Agent',
				type: '@n8n/n8n-nodes-langchain.agent',
				typeVersion: 3.1,
				position: [200, 0],
				parameters: {
					promptType: 'define',
					text: 'Deploy the newest 1.x release of team/web.',
					options: {},
				},
			},
			{
				id: 'model',
				name: 'Model',
				type: '@n8n/n8n-nodes-langchain.lmChatOpenAi',
				typeVersion: 1.3,
				position: [200, 200],
				parameters: {
					model: { __rl: true, mode: 'id', value: 'stack-model' },
					responsesApiEnabled: false,
					options: {},
				},
				credentials: { openAiApi: { id: 'model-credential', name: 'Stack model' } },
			},
			// Dropped on the canvas and left as they come, but for what the user must fix (repository, policy name).
			{
				id: 'tags',
				name: 'Query Registry Tags',
				type: 'n8n-nodes-buildkit.queryRegistryTagsTool',
				typeVersion: 1,
				position: [400, 200],
				parameters: {},
			},
			{
				id: 'bump',
				name: 'Bump Git Manifest',
				type: 'n8n-nodes-buildkit.bumpGitManifestTool',
				typeVersion: 1,
				position: [600, 200],
				parameters: { repositoryUrl, policyName: 'flux-system:web', allowPlainHttp: true },
				credentials: { gitRepositoryApi: { id: 'git-credential', name: 'GitOps' } },
			},
		],
		connections: {
			[(trigger as { name: string }).name]: {
				main: [[{ node: 'AI Agent', type: 'main', index: 0 }]],
			},
			Model: { ai_languageModel: [[{ node: 'AI Agent', type: 'ai_languageModel', index: 0 }]] },
			'Query Registry Tags': { ai_tool: [[{ node: 'AI Agent', type: 'ai_tool', index: 0 }]] },
			'Bump Git Manifest': { ai_tool: [[{ node: 'AI Agent', type: 'ai_tool', index: 0 }]] },
		},
	};
}

describe('the nodes as AI-agent tools in real n8n', () => {
	let registry: RunningRegistry;
	let git: GitServer;
	let model: FakeModel;
	let n8n: N8nInstance;
	let gitopsUrl: string;

	beforeAll(async () => {
		registry = await startRegistry();
		await pushTestImage({
			registry: registry.host,
			repository: 'team/web',
			tags: ['1.0.0', '1.2.0', '2.0.0'],
		});
		git = await startGitServer({ username: 'bot', password: 'gitops-t0ken' });
		gitopsUrl = await git.createBareRepo('gitops', {
			[MANIFEST]: manifest(`${registry.host}/team/web:1.0.0`),
		});
		const repository = `http://${registry.host}/team/web`;
		// The model asks for the newest 1.x, bumps to what the first tool returned, and reports.
		model = await startFakeModel([
			{ tool: /registry/i, arguments: { repository, policy: 'semver', semverRange: '<2.0.0' } },
			{
				tool: /bump/i,
				arguments: {
					image: `${registry.host}/team/web:1.2.0`,
					commitMessage: 'Deploy web 1.2.0, the newest 1.x',
				},
			},
		]);
		n8n = await startN8n({
			env: { N8N_COMMUNITY_PACKAGES_ALLOW_TOOL_USAGE: 'true' },
			credentials: [
				{
					id: 'model-credential',
					name: 'Stack model',
					type: 'openAiApi',
					data: { apiKey: 'sk-stack', url: model.baseUrl },
				},
				{
					id: 'git-credential',
					name: 'GitOps',
					type: 'gitRepositoryApi',
					data: { authentication: 'https', username: 'bot', token: 'gitops-t0ken' },
				},
			],
			workflows: [
				agentWorkflow(
					'agentPlain',
					{
						id: 'manual',
						name: 'Start',
						type: 'n8n-nodes-base.manualTrigger',
						typeVersion: 1,
						position: [0, 0],
						parameters: {},
					},
					gitopsUrl,
				),
				agentWorkflow(
					'agentStream',
					{
						id: 'hook',
						name: 'Webhook',
						type: 'n8n-nodes-base.webhook',
						typeVersion: 2.1,
						position: [0, 0],
						webhookId: 'agent-stream',
						parameters: {
							path: 'agent-stream',
							httpMethod: 'POST',
							responseMode: 'streaming',
							options: {},
						},
					},
					gitopsUrl,
				),
			],
			activate: ['agentStream'],
		});
	});

	afterAll(async () => {
		await n8n?.stop();
		await model?.stop();
		await git?.stop();
		await registry?.stop();
	});

	/** The tools n8n offered the model in its first request, by name. */
	const offeredTools = () =>
		Object.fromEntries(
			(model.requests[0]?.tools ?? []).map((tool) => [tool.function.name, tool.function]),
		);

	it('offers each tool with a schema that names and describes only what the model fills', async () => {
		const run = await n8n.execute('agentPlain');
		expect(run.status).toBe('success');
		const tools = Object.values(offeredTools());
		const tags = tools.find((tool) => /registry/i.test(tool.name))!;
		const bump = tools.find((tool) => /bump/i.test(tool.name))!;
		expect(Object.keys(tags.parameters.properties).sort()).toEqual([
			'policy',
			'repository',
			'semverRange',
		]);
		expect(tags.parameters.properties.repository.description).toMatch(/without a tag/);
		expect(tags.description).toMatch(/latest tag.*Read-only/s);
		expect(Object.keys(bump.parameters.properties).sort()).toEqual(['commitMessage', 'image']);
		expect(bump.parameters.properties.image.description).toMatch(/repository:tag/);
		expect(bump.description).toMatch(/never force-pushes/);
	});

	it('runs the tools for real and returns their results to the model', async () => {
		// The first run above: the registry tool's answer reached the model, and the bump landed in git.
		const toolResults = model.requests
			.at(-1)!
			.messages.filter((message) => message.role === 'tool')
			.map((message) => String(message.content));
		expect(toolResults[0]).toContain('"latestTag":"1.2.0"');
		expect(toolResults[1]).toMatch(/"changed":true/);
		const [head] = await remoteLog(gitopsUrl);
		expect(head.message).toMatch(/Deploy web 1\.2\.0/);
		expect(await readRemoteFile(gitopsUrl, 'main', MANIFEST)).toContain(
			`${registry.host}/team/web:1.2.0 # {"$imagepolicy"`,
		);
	});

	it('works when the agent streams its answer (the model is called with stream: true)', async () => {
		const before = model.requests.length;
		const res = await fetch(n8n.webhookUrl('agent-stream'), {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: '{}',
		});
		expect(res.status).toBe(200);
		const streamed = await res.text();
		const requests = model.requests.slice(before);
		expect(requests.length).toBeGreaterThanOrEqual(3);
		expect(requests.every((request) => request.stream === true)).toBe(true);
		// The image is already 1.2.0 now, so the second bump changes nothing and says so; the model's last words stream back.
		const toolResults = requests
			.at(-1)!
			.messages.filter((message) => message.role === 'tool')
			.map((message) => String(message.content));
		expect(toolResults[0]).toContain('"latestTag":"1.2.0"');
		expect(toolResults[1]).toMatch(/"changed":false/);
		// n8n streams JSON lines; the agent's answer is the content of its `item` chunks, in order.
		const chunks = streamed
			.trim()
			.split('\n')
			.map((line) => JSON.parse(line) as { type: string; content?: string });
		const answer = chunks
			.filter((chunk) => chunk.type === 'item')
			.map((chunk) => chunk.content)
			.join('');
		expect(answer).toMatch(/^Done\. Last tool result: .*"changed":false/);
	});
});
