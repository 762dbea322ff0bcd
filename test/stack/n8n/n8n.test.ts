import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pushTags, pushTestImage, startRegistry } from '../registry';
import { type N8nInstance, PACKAGE_NAME, runWorkflowOnce, startN8n } from './index';
import { REPO_ROOT } from './toolchain';
import { groupPids, listeningAddresses } from './processProbe';

// Real n8n 2.41 under Node 24, with the package packed and installed as n8n's installer does.
jest.setTimeout(240_000);

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
	n8n: { nodes: string[]; credentials: string[] };
};

/** `dist/nodes/X/X.node.js` → the node's source, so nodes still being written are reported, not guessed at. */
const sourceOf = (distFile: string) =>
	join(REPO_ROOT, distFile.replace(/^dist\//, '').replace(/\.js$/, '.ts'));

// A built-in Webhook workflow: proves import (id kept), activation, webhook registration and executions.
const ping = {
	id: 'stackPing0000001',
	name: 'stack ping',
	nodes: [
		{
			id: 'a1',
			name: 'Webhook',
			type: 'n8n-nodes-base.webhook',
			typeVersion: 2,
			position: [0, 0],
			webhookId: 'b6d1f5a0-0000-4000-8000-000000000001',
			parameters: {
				httpMethod: 'POST',
				path: 'stack-ping',
				responseMode: 'onReceived',
				options: {},
			},
		},
	],
	connections: {},
	settings: { executionOrder: 'v1' },
};

describe('real n8n with this package installed from npm pack', () => {
	let n8n: N8nInstance;
	let nodeTypes: Array<{ name: string }>;
	let credentialTypes: Array<{ name: string; displayName: string }>;
	let writtenNodes: string[];

	beforeAll(async () => {
		// Decided before the build, so a node file landing mid-run is not expected in this pack.
		writtenNodes = pkg.n8n.nodes.filter((file) => existsSync(sourceOf(file)));
		n8n = await startN8n({
			workflows: [ping],
			activate: [ping.id],
			credentials: [
				{
					name: 'Local registry',
					type: 'containerRegistryApi',
					data: { registry: '127.0.0.1:1', plainHttp: true },
				},
			],
		});
		nodeTypes = await n8n.client.getJson('/types/nodes.json');
		credentialTypes = await n8n.client.getJson('/types/credentials.json');
	});

	afterAll(async () => {
		if (!n8n) return;
		const { pid, userFolder } = n8n;
		await n8n.stop();
		// Stopped by its process group: neither n8n nor its task runner is left, nor the temp user folder.
		expect(groupPids(pid)).toEqual([]);
		expect(existsSync(userFolder)).toBe(false);
	});

	it('loads every credential type the package lists', () => {
		const expected = pkg.n8n.credentials.map((file) => {
			const name = readFileSync(sourceOf(file), 'utf8').match(/\bname = '([^']+)'/)![1];
			return name;
		});
		const loaded = credentialTypes.map((c) => c.name);
		expect(expected.sort()).toEqual([
			'containerRegistryApi',
			'gitRepositoryApi',
			'kubernetesApi',
			'webhookSigningSecretApi',
		]);
		for (const name of expected) expect(loaded).toContain(name);
	});

	it('loads every node whose source exists, under the package prefix', () => {
		const written = writtenNodes;
		const missing = pkg.n8n.nodes.filter((file) => !written.includes(file));
		if (missing.length > 0)
			process.stderr.write(`nodes not written yet, not checked: ${missing.join(', ')}\n`);
		const loaded = new Set(nodeTypes.map((n) => n.name));
		for (const file of written) {
			const name = readFileSync(sourceOf(file), 'utf8').match(/\bname: '([^']+)'/)![1];
			expect(loaded).toContain(`${PACKAGE_NAME}.${name}`);
		}
		// Nothing of ours leaks in under another prefix (CUSTOM.* would mean the wrong loading path).
		expect([...loaded].filter((n) => n.startsWith('CUSTOM.'))).toEqual([]);
	});

	it('listens on 127.0.0.1 only (HTTP and the task broker)', () => {
		const addresses = listeningAddresses(groupPids(n8n.pid));
		expect(addresses.length).toBeGreaterThanOrEqual(2);
		for (const address of addresses) expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
		expect(addresses).toContain(new URL(n8n.url).host);
	});

	it('serves the public API with the headless owner API key', async () => {
		const workflows = await n8n.client.api<{ data: unknown[] }>('GET', '/workflows');
		expect(Array.isArray(workflows.data)).toBe(true);
		expect(await n8n.executions()).toEqual([]);
	});

	it('imports credentials (encrypted at rest) and keeps workflow ids', async () => {
		expect(Object.keys(n8n.credentialIds)).toEqual(['Local registry']);
		const stored = await n8n.client.api<{ id: string; active: boolean }>(
			'GET',
			`/workflows/${ping.id}`,
		);
		expect(stored).toMatchObject({ id: ping.id, active: true });
	});

	it('runs an activated webhook workflow and reports the execution with its data', async () => {
		const res = await fetch(n8n.webhookUrl('stack-ping'), {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: '{"hello":"n8n"}',
		});
		expect(res.status).toBe(200);
		const [execution] = await n8n.waitForExecutions(ping.id, 1);
		expect(execution).toMatchObject({ workflowId: ping.id, status: 'success', mode: 'webhook' });
		const output = execution.data.resultData.runData.Webhook[0].data.main[0][0].json;
		expect(output.body).toEqual({ hello: 'n8n' });
	});
});

describe('runWorkflowOnce (n8n execute --id, no server)', () => {
	it('runs a workflow with one of our nodes and an imported credential against the real registry', async () => {
		const registry = await startRegistry({ auth: 'htpasswd' });
		try {
			await pushTestImage({
				registry: registry.host,
				repository: 'stack/app',
				tags: ['1.0.0'],
				username: registry.username,
				password: registry.password,
			});
			await pushTags({
				registry: registry.host,
				repository: 'stack/app',
				fromTag: '1.0.0',
				tags: ['1.1.0', '2.0.0-rc.1'],
				username: registry.username,
				password: registry.password,
			});
			const workflow = {
				name: 'query tags once',
				nodes: [
					{
						id: 'm',
						name: 'Run',
						type: 'n8n-nodes-base.manualTrigger',
						typeVersion: 1,
						position: [0, 0],
						parameters: {},
					},
					{
						id: 'q',
						name: 'Query',
						type: `${PACKAGE_NAME}.queryRegistryTags`,
						typeVersion: 1,
						position: [200, 0],
						parameters: {
							repository: `${registry.host}/stack/app`,
							policy: 'semver',
							semverRange: '^1.0.0',
							options: {},
						},
						credentials: { containerRegistryApi: { id: null, name: 'Stack registry' } },
					},
				],
				connections: { Run: { main: [[{ node: 'Query', type: 'main', index: 0 }]] } },
			};
			const credentials = [
				{
					name: 'Stack registry',
					type: 'containerRegistryApi',
					data: {
						registry: registry.host,
						username: registry.username,
						password: registry.password,
						plainHttp: true,
					},
				},
			];
			const run = await runWorkflowOnce(workflow, { credentials });
			expect(run.status).toBe('success');
			const [result] = run.data.data.resultData.runData.Query[0].data.main[0];
			expect(result.json).toMatchObject({ latestTag: '1.1.0', totalTags: 3, matchedTags: 2 });
			expect(run.output).not.toContain(registry.password);
		} finally {
			await registry.stop();
		}
	});
});
