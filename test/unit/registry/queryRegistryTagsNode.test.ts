import { NodeOperationError, type IExecuteFunctions, type INode } from 'n8n-workflow';
import { closeRegistryConnections, forgetRegistryAuth } from '../../../lib/registry';
import { QueryRegistryTags } from '../../../nodes/QueryRegistryTags/QueryRegistryTags.node';
import { startRegistryDouble, type RegistryDouble } from '../../stack/registry';

// How the node reads its optional credential: none selected means anonymous; a selected one that cannot be
// read is an error, never a silent fall back to anonymous access.

const auth = { username: 'robot', password: 'hunter2-secret' };
let double: RegistryDouble | undefined;

afterEach(async () => {
	await double?.stop();
	double = undefined;
	forgetRegistryAuth();
});
afterAll(async () => {
	await closeRegistryConnections();
});

function context(
	d: RegistryDouble,
	credentials: INode['credentials'],
	getCredentials: () => Promise<object>,
) {
	const node: INode = {
		id: 'n1',
		name: 'Query Registry Tags',
		type: 'n8n-nodes-buildkit.queryRegistryTags',
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
		credentials,
	};
	const params: Record<string, unknown> = {
		repository: `http://${d.host}/app`,
		policy: 'list',
		exclude: '',
		options: {},
	};
	const reads: string[] = [];
	const ctx = {
		getInputData: () => [{ json: {} }],
		getNodeParameter: (name: string, _i: number, fallback?: unknown) => params[name] ?? fallback,
		getCredentials: async (type: string) => (reads.push(type), getCredentials()),
		getNode: () => node,
		continueOnFail: () => false,
	};
	return { ctx: ctx as unknown as IExecuteFunctions, reads };
}

describe('Query Registry Tags credential', () => {
	it('queries anonymously when no credential is selected, without reading one', async () => {
		const d = (double = await startRegistryDouble({ tags: ['1', '2'] }));
		const { ctx, reads } = context(d, undefined, async () => {
			throw new Error('Node does not have any credentials set');
		});
		const [items] = await new QueryRegistryTags().execute.call(ctx);
		expect(items[0].json).toMatchObject({ tags: ['1', '2'] });
		expect(reads).toEqual([]);
		expect(d.requests.every((r) => r.authorized === 'none')).toBe(true);
	});

	it('uses a selected credential', async () => {
		const d = (double = await startRegistryDouble({
			tags: ['1'],
			auth: { scheme: 'basic', ...auth },
		}));
		const { ctx } = context(
			d,
			{ containerRegistryApi: { id: 'c1', name: 'registry' } },
			async () => ({ registry: d.host, plainHttp: true, ...auth }),
		);
		const [items] = await new QueryRegistryTags().execute.call(ctx);
		expect(items[0].json).toMatchObject({ tags: ['1'] });
	});

	it('fails with a NodeOperationError when the selected credential cannot be read, and sends nothing', async () => {
		const d = (double = await startRegistryDouble({ tags: ['1'] }));
		const { ctx, reads } = context(
			d,
			{ containerRegistryApi: { id: 'gone', name: 'deleted one' } },
			async () => {
				throw new Error(
					'Credentials could not be decrypted. The likely reason is that a different "encryptionKey" was used',
				);
			},
		);
		const error = await new QueryRegistryTags().execute.call(ctx).catch((e) => e);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toMatch(
			/^Could not read the Container Registry credential: Credentials could not be decrypted/,
		);
		expect(error.description).toMatch(/remove it from the node to query the registry anonymously/);
		expect(reads).toEqual(['containerRegistryApi']);
		expect(d.requests).toEqual([]);
	});
});
