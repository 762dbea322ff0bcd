// The one error model: every engine error is an InputError or a RemoteError, one redactor with the stricter
// rule of each former copy, and one adapter + per-item loop that every node uses.
import {
	NodeApiError,
	NodeOperationError,
	type IExecuteFunctions,
	type INode,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';
import { InputError, quoteValue, RemoteError } from '../../../lib/errors';
import { redact } from '../../../lib/redact';
import { KubernetesCredentialError } from '../../../lib/k8s/kubeConfig';
import { KubernetesRequestError } from '../../../lib/k8s/build/createJob';
import { JobWatchApiError } from '../../../lib/k8s/wait/watcher';
import { TagPolicyError } from '../../../lib/policy';
import { NoCandidateError, RegistryError, RepositoryReferenceError } from '../../../lib/registry';
import { GitCommandError } from '../../../lib/gitops/gitRunner';
import { inputError, remoteError } from '../../../lib/gitops/errors';
import { executeItems } from '../../../nodes/shared/executeItems';
import { parameterLabel, toNodeError } from '../../../nodes/shared/nodeErrors';
import { createBuildKitJobProperties } from '../../../nodes/CreateBuildKitJob/CreateBuildKitJob.properties';
import { queryRegistryTagsProperties } from '../../../nodes/QueryRegistryTags/QueryRegistryTags.properties';

const node: INode = {
	id: '1',
	name: 'Node',
	type: 'test',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};

describe('every engine error is an InputError or a RemoteError', () => {
	test.each([
		['KubernetesCredentialError', new KubernetesCredentialError('bad', 'token'), InputError],
		['TagPolicyError', new TagPolicyError('semverRange', 'invalid-range', 'bad'), InputError],
		['RepositoryReferenceError', new RepositoryReferenceError('bad'), InputError],
		['NoCandidateError', new NoCandidateError('none', 3, 0), InputError],
		['gitops inputError', inputError('bad', 'path'), InputError],
		['RegistryError', new RegistryError('503', { statusCode: 503, attempts: 4 }), RemoteError],
		[
			'KubernetesRequestError',
			new KubernetesRequestError(
				'Create Job',
				{ statusCode: 403, message: 'forbidden' },
				'bind the Role',
			),
			RemoteError,
		],
		[
			'JobWatchApiError',
			new JobWatchApiError({ statusCode: 403, message: 'forbidden' }),
			RemoteError,
		],
		['GitCommandError', new GitCommandError('push', 'rejected'), RemoteError],
		['gitops remoteError', remoteError('refused', 'output'), RemoteError],
	])('%s', (name, error, kind) => {
		expect(error).toBeInstanceOf(kind);
		expect(error.name).toBe(name.startsWith('gitops') ? kind.name : name);
	});

	test('a remote error carries statusCode and attempts under those names', () => {
		expect(new RegistryError('x', { statusCode: 429, attempts: 3 })).toMatchObject({
			statusCode: 429,
			attempts: 3,
		});
		expect(
			new KubernetesRequestError('Create Job', { statusCode: 409, message: 'exists' }, 'reuse it'),
		).toMatchObject({ statusCode: 409, hint: 'reuse it', attempts: 1 });
	});
});

describe('one redactor', () => {
	const secret = 's3cr3t/val+ue';
	test('removes a secret as is, URL-encoded, base64 and as a Basic value, and credentials in URLs', () => {
		const basic = Buffer.from(`robot:${secret}`).toString('base64');
		const text = `plain ${secret} url ${encodeURIComponent(secret)} b64 ${Buffer.from(secret).toString('base64')} basic ${basic} https://u:p@host/x`;
		const out = redact(text, [secret], 'robot');
		expect(out).toBe('plain *** url *** b64 *** basic *** https://***@host/x');
	});
	test('a three-character secret is removed in plain form; one or two characters only when encoded', () => {
		expect(redact('key abc here', ['abc'])).toBe('key *** here');
		expect(redact(`a cab ${Buffer.from('ab').toString('base64')}`, ['ab'])).toBe('a cab ***');
	});
});

describe('values quoted in messages', () => {
	test('every control character is escaped, C0, DEL and C1 alike', () => {
		expect(quoteValue('a\nb\u007fc\u0085d\u009be')).toBe('"a\\nb\\u007fc\\u0085d\\u009be"');
	});
	test('a long value is cut short', () => {
		expect(quoteValue('x'.repeat(100), 5)).toBe('"xxxxx…"');
	});
});

describe('one adapter to n8n errors', () => {
	test('names a parameter by the label the user sees, nested options included, hint first', () => {
		expect(parameterLabel(createBuildKitJobProperties, 'gitRepositoryUrl')).toBe(
			'Git Repository URL',
		);
		expect(parameterLabel(createBuildKitJobProperties, 'options.buildArgs')).toMatch(
			/^Options › Build Arg/,
		);
		const error = toNodeError(
			node,
			new InputError('semverRange', 'bad range', { hint: 'Use >=1.0.0.' }),
			{ itemIndex: 2, properties: queryRegistryTagsProperties },
		);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toBe('bad range');
		expect(error.description).toBe('Use >=1.0.0. Check the "Semver Range" parameter.');
		expect(error.context.itemIndex).toBe(2);
	});
	test('a credential field is named as such', () => {
		const error = toNodeError(node, new KubernetesCredentialError('empty token', 'token'), {
			properties: [],
		});
		expect(error.description).toBe('Fix the "token" field of the Kubernetes API credential.');
	});
	test('a remote error becomes a NodeApiError with its status, hint and attempts', () => {
		const error = toNodeError(
			node,
			new RegistryError('Registry answered HTTP 503', {
				statusCode: 503,
				attempts: 4,
				hint: 'Try later.',
			}),
			{ itemIndex: 0, properties: [], note: 'Nothing was pushed.' },
		);
		expect(error).toBeInstanceOf(NodeApiError);
		expect(error.message).toBe('Registry answered HTTP 503');
		expect((error as NodeApiError).httpCode).toBe('503');
		expect(error.description).toBe('Try later. Tried 4 times. Nothing was pushed.');
	});
	test('anything else is a NodeOperationError; n8n errors pass through', () => {
		expect(toNodeError(node, new Error('boom'), { properties: [] })).toBeInstanceOf(
			NodeOperationError,
		);
		const own = new NodeOperationError(node, 'own');
		expect(toNodeError(node, own, { properties: [] })).toBe(own);
	});
});

describe('one per-item loop', () => {
	function context(items: number, continueOnFail: boolean): IExecuteFunctions {
		return {
			getNode: () => node,
			getInputData: () =>
				Array.from({ length: items }, (_, i): INodeExecutionData => ({ json: { i } })),
			continueOnFail: () => continueOnFail,
		} as unknown as IExecuteFunctions;
	}
	const properties: INodeProperties[] = [
		{ displayName: 'Repository', name: 'repository', type: 'string', default: '' },
	];
	const run = async (i: number) => {
		if (i === 1) throw new InputError('repository', 'bad repository');
		return { ok: i };
	};

	test('Continue On Fail: every item answers, paired with its input, the error as the adapter words it', async () => {
		const [out] = await executeItems(context(3, true), { properties }, run);
		expect(out).toEqual([
			{ json: { ok: 0 }, pairedItem: { item: 0 } },
			{ json: { error: 'bad repository' }, pairedItem: { item: 1 } },
			{ json: { ok: 2 }, pairedItem: { item: 2 } },
		]);
	});
	test('without it the first failure fails the node with the mapped error, after onFail', async () => {
		const onFail = jest.fn();
		const failure = executeItems(context(3, false), { properties, onFail, concurrency: 2 }, run);
		await expect(failure).rejects.toBeInstanceOf(NodeOperationError);
		await expect(failure).rejects.toMatchObject({
			description: 'Check the "Repository" parameter.',
			context: { itemIndex: 1 },
		});
		expect(onFail).toHaveBeenCalledTimes(1);
	});
});
