import { createHmac, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeOperationError, type IWebhookFunctions } from 'n8n-workflow';
import { parseAllDocuments } from 'yaml';
import { BUILD_SCRIPT, GIT_CLONE_SCRIPT } from '../../lib/k8s/build/scripts';
import { closeRegistryConnections } from '../../lib/registry';
import { BumpGitManifest } from '../../nodes/BumpGitManifest/BumpGitManifest.node';
import { CreateBuildKitJob } from '../../nodes/CreateBuildKitJob/CreateBuildKitJob.node';
import { QueryRegistryTags } from '../../nodes/QueryRegistryTags/QueryRegistryTags.node';
import { SignedWebhookTrigger } from '../../nodes/SignedWebhookTrigger/SignedWebhookTrigger.node';
import { WaitForJob } from '../../nodes/WaitForJob/WaitForJob.node';
import { readRemoteFile, startGitServer, type GitServer } from '../stack/git';
import { startRegistryDouble, type RegistryDouble } from '../stack/registry';
import {
	capture,
	closedPort,
	executeContext,
	outputItems,
	writeCounts,
	type Capture,
	type Params,
} from './harness';
import { hostileTable, type HostileRow, type SafeCheck } from './hostileCases';
import { senderHeaders, type Sender } from '../unit/webhook/signing';

/**
 * Hostile input, one table for all nodes (hostileCases.ts): every row runs through the node's own execute()
 * (or webhook()) and must get exactly the handling the row states. Rows that try to run a command aim it at a
 * sentinel file, which must never appear.
 */

jest.setTimeout(180_000);

/** A guard against a hang, not a speed assertion: a bounded pattern finishes in milliseconds. */
const HANG_GUARD_MS = 2_000;
const SECRET = `hostile-webhook-secret-${randomBytes(8).toString('hex')}`;
const sentinel = join(tmpdir(), `hardening-pwned-${randomBytes(6).toString('hex')}`);

let double: RegistryDouble;
let gitServer: GitServer;
let fleetUrl: string;
let gitCache: string;
let deadHost: string;

const counts = {
	tried: 0,
	rejected: 0,
	handledSafely: 0,
	unexpectedPasses: 0,
	mismatches: 0,
	byNode: {} as Record<string, number>,
	unexpected: [] as string[],
};

const CONFIG_YAML = 'spec:\n  image:\n    tag: "1.0.0" # the tag\n  items:\n    - a\n';
const FLEET = {
	'apps/webapp.yaml': 'image: reg.local/webapp:1.0.0 # {"$imagepolicy": "flux-system:webapp"}\n',
	'config.yaml': CONFIG_YAML,
	'charts/webapp/Chart.yaml': 'apiVersion: v2\nname: webapp\nversion: 0.1.0\n',
	'charts/webapp/values.yaml': 'image:\n  tag: "1.0.0"\n',
};

beforeAll(async () => {
	deadHost = `127.0.0.1:${await closedPort()}`;
	gitCache = await mkdtemp(join(tmpdir(), 'hardening-hostile-cache-'));
	process.env.N8N_BUILDKIT_GIT_CACHE_DIR = gitCache;
	const tags = [
		'1.0.0',
		'1.2.0',
		'2.0.0-rc.1',
		'main-1700000000',
		'a'.repeat(127),
		`${'a'.repeat(120)}!`,
		'1'.repeat(128),
		`${'x'.repeat(60)}y`,
		'latest',
		'1.0.0.sig',
	];
	[double, gitServer] = await Promise.all([startRegistryDouble({ tags }), startGitServer()]);
	fleetUrl = await gitServer.createBareRepo('fleet', FLEET);
});

afterAll(async () => {
	writeCounts('hostile-input', counts);
	delete process.env.N8N_BUILDKIT_GIT_CACHE_DIR;
	await closeRegistryConnections();
	await Promise.all([double?.stop(), gitServer?.stop()]);
	await rm(gitCache, { recursive: true, force: true });
	if (gitServer) await rm(gitServer.root, { recursive: true, force: true });
	await rm(sentinel, { force: true });
});

// ---- each node's baseline parameters; a row overrides some of them ----

const nodes = {
	create: new CreateBuildKitJob(),
	wait: new WaitForJob(),
	query: new QueryRegistryTags(),
	bump: new BumpGitManifest(),
	hook: new SignedWebhookTrigger(),
};

function baseline(row: HostileRow): { params: Params; credentials: Record<string, object> } {
	const { options, ...rest } = row.params as { options?: Params };
	switch (row.node) {
		case 'create':
			return {
				params: {
					namespace: 'build-system',
					appName: 'webapp',
					gitRepositoryUrl: 'https://git.example.test/org/webapp.git',
					gitRevision: 'main',
					contextPath: '',
					dockerfile: 'Dockerfile',
					image: 'reg.local/webapp/app:1.2.3',
					...rest,
					options: { dryRun: true, ...options },
				},
				credentials: {
					kubernetesApi: {
						authentication: 'token',
						server: `https://${deadHost}`,
						token: 'not-used-by-a-dry-run',
					},
				},
			};
		case 'wait':
			return {
				params: {
					namespace: 'build-system',
					jobName: 'webapp-build',
					timeoutSeconds: 1,
					stuckAfterSeconds: 0,
					logTailLines: 0,
					failOnJobFailure: true,
					deleteWhenDone: false,
					...rest,
				},
				credentials: {
					kubernetesApi: {
						authentication: 'token',
						server: `https://${deadHost}`,
						token: 'not-reached',
					},
				},
			};
		case 'query':
			return {
				params: {
					repository: `http://${double.host}/webapp/app`,
					policy: 'semver',
					semverRange: '*',
					filterPattern: '',
					filterExtract: '',
					exclude: '^.*\\.sig$',
					options: {},
					...rest,
				},
				credentials: {},
			};
		case 'bump':
			return {
				params: {
					repositoryUrl: fleetUrl,
					allowPlainHttp: true,
					branch: 'main',
					pushBranch: '',
					mode: 'imagePolicyMarkers',
					policyName: 'flux-system:webapp',
					image: 'reg.local/webapp:9.9.9',
					path: 'apps',
					file: 'config.yaml',
					yamlPath: 'spec.image.tag',
					value: 'x',
					documentKind: '',
					documentName: '',
					chartPath: 'charts/webapp',
					valuesFile: 'values.yaml',
					valuesPath: 'image.tag',
					versionBump: 'none',
					commitMessage: 'hostile input',
					skipCi: false,
					// Only rows that must prove what landed push; the others stop at the plan.
					dryRun: !('check' in row.expect && row.expect.check.kind === 'yamlValue'),
					maxAttempts: 2,
					...rest,
				},
				credentials: { gitRepositoryApi: { authentication: 'https', username: '', token: '' } },
			};
		default:
			throw new Error(`no baseline for ${row.node}`);
	}
}

// ---- webhook bodies ----

const sha = 'b'.repeat(40);
const pushPayload = (extra: object = {}) => ({
	ref: 'refs/heads/main',
	before: 'a'.repeat(40),
	after: sha,
	repository: { full_name: 'org/webapp', clone_url: 'https://git.example.test/org/webapp.git' },
	commits: [],
	...extra,
});

function webhookRequest(kind: string): {
	body: Buffer;
	headers: Record<string, string>;
	signed: boolean;
} {
	const json = (value: unknown) => Buffer.from(JSON.stringify(value));
	let contentType = 'application/json';
	let body: Buffer;
	let signed = true;
	let declaredLength: number | undefined;
	switch (kind) {
		case 'declared-huge':
			body = json(pushPayload());
			declaredLength = 6 * 1024 * 1024;
			break;
		case 'huge':
			body = Buffer.alloc(5 * 1024 * 1024 + 1, 0x20);
			break;
		case 'huge-unsigned':
			body = Buffer.alloc(6 * 1024 * 1024, 0x20);
			signed = false;
			break;
		case 'text':
			body = Buffer.from('ref=refs/heads/main; not json');
			break;
		case 'array':
			body = json([pushPayload()]);
			break;
		case 'string':
			body = json('refs/heads/main');
			break;
		case 'deep-array':
			body = Buffer.from(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
			break;
		case 'deep-object': {
			const deep = `${'{"x":'.repeat(50_000)}1${'}'.repeat(50_000)}`;
			body = Buffer.from(
				JSON.stringify(pushPayload()).replace('"full_name"', `"deep":${deep},"full_name"`),
			);
			break;
		}
		case 'proto':
		case 'proto-unsigned':
			body = Buffer.from(
				JSON.stringify(pushPayload())
					.replace('{', '{"__proto__":{"polluted":"yes"},')
					.replace('"repository":{', '"repository":{"__proto__":{"polluted":"yes"},'),
			);
			signed = kind === 'proto';
			break;
		case 'constructor':
			body = json({ ...pushPayload(), constructor: { prototype: { polluted: 'yes' } } });
			break;
		case 'form-proto':
			contentType = 'application/x-www-form-urlencoded';
			body = Buffer.from(
				`payload=${encodeURIComponent(JSON.stringify(pushPayload()).replace('{', '{"__proto__":{"polluted":"yes"},'))}`,
			);
			break;
		case 'bad-utf8':
			body = Buffer.concat([Buffer.from([0xff, 0xfe, 0xc3]), json(pushPayload())]);
			break;
		case 'multipart':
			contentType = 'multipart/form-data; boundary=x';
			body = Buffer.from(
				'--x\r\nContent-Disposition: form-data; name="payload"\r\n\r\n{}\r\n--x--\r\n',
			);
			break;
		case 'hostile-ref':
			body = json(pushPayload({ ref: `refs/heads/$(touch ${sentinel})` }));
			break;
		case 'many-files':
			body = json(
				pushPayload({
					commits: [
						{
							id: sha,
							added: Array.from({ length: 100_000 }, (_, i) => `src/f${i}.ts`),
							modified: [],
							removed: [],
						},
					],
				}),
			);
			break;
		default:
			throw new Error(`unknown body ${kind}`);
	}
	const headers: Record<string, string> = {
		'content-type': contentType,
		'x-github-event': 'push',
		'x-github-delivery': `hostile-${kind}`,
	};
	if (kind !== 'huge') headers['content-length'] = String(declaredLength ?? body.length);
	if (signed)
		headers['x-hub-signature-256'] =
			`sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
	return { body, headers, signed };
}

// ---- deliveries as each provider sends them, signed with the row's secret ----

const repository = {
	full_name: 'org/webapp',
	clone_url: 'https://git.example.test/org/webapp.git',
};
const project = {
	path_with_namespace: 'org/webapp',
	git_http_url: 'https://git.example.test/org/webapp.git',
};
const fluxEvent = (kind: string, revision: string) => ({
	involvedObject: { kind, name: 'webapp', namespace: 'flux-system' },
	severity: 'info',
	reason: 'ReconciliationSucceeded',
	message: 'done',
	metadata: { revision },
});

/** A delivery of `kind` from its provider, with that provider's headers, signed (or carrying the token) with `secret`. */
function providerRequest(
	kind: string,
	secret: string,
): { body: Buffer; headers: Record<string, string> } {
	const [sender, event, payload]: [Sender, string, object] = (() => {
		switch (kind) {
			case 'github-push':
				return [
					'github',
					'push',
					pushPayload({ commits: [{ id: sha, added: [], modified: ['src/app.ts'], removed: [] }] }),
				];
			case 'github-tag':
				return [
					'github',
					'push',
					pushPayload({ ref: 'refs/tags/v9.9.9', before: '0'.repeat(40), created: true }),
				];
			case 'github-tag-deleted':
				return [
					'github',
					'push',
					pushPayload({ ref: 'refs/tags/v9.9.9', after: '0'.repeat(40), deleted: true }),
				];
			case 'github-create-tag':
				return [
					'github',
					'create',
					{
						ref: 'v9.9.9',
						ref_type: 'tag',
						master_branch: 'main',
						pusher_type: 'user',
						repository,
					},
				];
			case 'github-delete-branch':
				return [
					'github',
					'delete',
					{ ref: 'feature-x', ref_type: 'branch', pusher_type: 'user', repository },
				];
			case 'github-forced':
				return [
					'github',
					'push',
					pushPayload({
						forced: true,
						commits: [{ id: sha, added: [], modified: ['docs/guide.md'], removed: [] }],
					}),
				];
			case 'gitea-delete-branch':
				return [
					'gitea',
					'delete',
					{ ref: 'feature-x', ref_type: 'branch', pusher_type: 'user', repository },
				];
			case 'gitea-unlisted':
				return [
					'gitea',
					'push',
					pushPayload({ total_commits: 1, commits: [{ id: sha, message: 'docs' }] }),
				];
			case 'gitlab-push':
				return [
					'gitlab',
					'Push Hook',
					{
						object_kind: 'push',
						ref: 'refs/heads/main',
						before: 'a'.repeat(40),
						after: sha,
						checkout_sha: sha,
						project,
						commits: [{ id: sha, added: [], modified: ['src/app.ts'], removed: [] }],
						total_commits_count: 1,
					},
				];
			case 'gitlab-tag':
				return [
					'gitlab',
					'Tag Push Hook',
					{
						object_kind: 'tag_push',
						ref: 'refs/tags/v9.9.9',
						before: '0'.repeat(40),
						after: sha,
						checkout_sha: sha,
						project,
						commits: [],
						total_commits_count: 0,
					},
				];
			case 'flux-tag':
				return ['flux', '', fluxEvent('GitRepository', `v9.9.9@sha1:${sha}`)];
			case 'flux-oci':
				return ['flux', '', fluxEvent('Kustomization', `latest@sha256:${'3b'.repeat(32)}`)];
			case 'flux-sha1':
				return ['flux', '', fluxEvent('GitRepository', `main@sha1:${sha}`)];
			default:
				if (kind.startsWith('generic-')) return ['github', 'push', pushPayload()];
				throw new Error(`unknown delivery ${kind}`);
		}
	})();
	const body = Buffer.from(JSON.stringify(payload));
	if (kind.startsWith('generic-'))
		return {
			body,
			headers: {
				'content-type': 'application/json',
				'x-signature': createHmac(kind.slice('generic-'.length), secret).update(body).digest('hex'),
			},
		};
	if (kind === 'flux-sha1')
		return {
			body,
			headers: {
				'content-type': 'application/json',
				'x-signature': `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`,
			},
		};
	return { body, headers: senderHeaders(sender, body, event, `hostile-${kind}`, secret) };
}

async function deliver(params: Params) {
	const secret = typeof params.secret === 'string' ? params.secret : SECRET;
	const { body, headers } = params.delivery
		? providerRequest(String(params.delivery), secret)
		: webhookRequest(String(params.body));
	const parameters: Record<string, unknown> = {
		provider: 'github',
		path: 'build',
		options: {},
		...(params.parameters as object),
	};
	const response: {
		statusCode?: number;
		body?: unknown;
		status(c: number): unknown;
		json(b: unknown): unknown;
		end(): unknown;
	} = {
		status(code) {
			response.statusCode = code;
			return response;
		},
		json: (answer: unknown) => ((response.body = answer), response),
		end: () => response,
	};
	const context = {
		getRequestObject: () => ({ headers, rawBody: body, readRawBody: async () => undefined }),
		getResponseObject: () => response,
		getNodeParameter: (name: string, fallback?: unknown) => parameters[name] ?? fallback,
		getCredentials: async () => ({ secret }),
		// One workflow per delivery: replay memory must not turn a row's verdict into "duplicate".
		getWorkflow: () => ({
			id: `wf-hostile-${String(params.delivery ?? params.body)}-${secret.length}-${JSON.stringify(parameters)}`,
			name: 'hostile',
			active: true,
		}),
		getNode: () => ({ name: 'Signed Webhook Trigger' }),
		logger: {
			warn: () => undefined,
			info: () => undefined,
			debug: () => undefined,
			error: () => undefined,
		},
	};
	const result = await nodes.hook.webhook.call(context as unknown as IWebhookFunctions);
	// What the sender reads: the 202 reason, or the 200 answer n8n sends for an accepted delivery.
	const answer = Object.values(
		(response.body ?? result.webhookResponse ?? {}) as Record<string, unknown>,
	).join(' | ');
	return { result, status: response.statusCode, answer };
}

// ---- judging one row ----

function fieldError(c: Capture<unknown>): string | undefined {
	if (!(c.error instanceof NodeOperationError)) return undefined;
	return `${c.error.message}\n${c.error.description ?? ''}`;
}

/** The label the user sees for a parameter (the node error adapter names fields by it), if the node has one. */
function labelOf(node: keyof typeof nodes, field: string): string | undefined {
	const name = field.split('.').pop();
	return nodes[node].description.properties.find((property) => property.name === name)?.displayName;
}

function namesField(c: Capture<unknown>, field: string, node: keyof typeof nodes): boolean {
	const text = fieldError(c);
	const label = labelOf(node, field);
	return (
		text !== undefined &&
		[field, label].some(
			(name) =>
				name !== undefined &&
				(text.includes(`"${name}"`) || text.includes(`${name} `) || text.includes(`${name}:`)),
		)
	);
}

function describeOutcome(c: Capture<unknown>): string {
	if (c.error)
		return `${(c.error as Error).constructor?.name}: ${(c.error as Error).message} | ${(c.error as { description?: string }).description ?? ''}`.slice(
			0,
			300,
		);
	return `output ${JSON.stringify(outputItems(c.value).map((i) => i.json)).slice(0, 300)}`;
}

async function verifySafe(check: SafeCheck, c: Capture<unknown>): Promise<string | undefined> {
	switch (check.kind) {
		case 'env':
		case 'argv': {
			if (c.error) return `expected a manifest, got ${describeOutcome(c)}`;
			const job = outputItems(c.value)[0]?.json.manifest as {
				spec: { template: { spec: { initContainers: any[]; containers: any[] } } };
			};
			const pod = job.spec.template.spec;
			const clone = pod.initContainers[0];
			const build = pod.containers[0];
			if (clone.command[2] !== GIT_CLONE_SCRIPT || build.command[2] !== BUILD_SCRIPT)
				return 'a script is not the fixed constant';
			if (check.kind === 'env') {
				const found = clone.env.filter(
					(e: { name: string; value: string }) => e.value === check.value,
				);
				return found.length === 1 && found[0].name === check.name
					? undefined
					: `env ${check.name} does not carry the value verbatim`;
			}
			return build.args.filter((a: string) => a === check.entry).length === 1
				? undefined
				: 'the value is not exactly one argv entry';
		}
		case 'contained':
			if (c.error && /outside the repository/.test((c.error as Error).message))
				return 'treated as an escape, expected a literal name';
			return c.error && !/does not exist/.test((c.error as Error).message)
				? `unexpected error ${describeOutcome(c)}`
				: undefined;
		case 'gitRefused':
			return c.error ? undefined : `expected git to refuse, got ${describeOutcome(c)}`;
		case 'answered':
			return fieldError(c) && !/No tag/.test(fieldError(c)!)
				? `field error ${describeOutcome(c)}`
				: undefined;
		case 'yamlValue': {
			if (c.error) return `expected a commit, got ${describeOutcome(c)}`;
			const text = await readRemoteFile(fleetUrl, 'main', check.file);
			for (const version of ['1.1', '1.2'] as const) {
				const docs = parseAllDocuments(text, { version });
				if (!Array.isArray(docs) || docs.length !== 1 || docs[0].errors.length)
					return `the file no longer parses as one YAML ${version} document`;
				const data = docs[0].toJS() as {
					spec?: { image?: Record<string, unknown>; items?: unknown };
				};
				if (
					JSON.stringify(Object.keys(data)) !== '["spec"]' ||
					JSON.stringify(Object.keys(data.spec ?? {})) !== '["image","items"]'
				)
					return `keys changed (YAML ${version})`;
				if (JSON.stringify(Object.keys(data.spec?.image ?? {})) !== '["tag"]')
					return `image keys changed (YAML ${version})`;
				if (data.spec?.image?.tag !== check.value)
					return `YAML ${version} reads ${JSON.stringify(data.spec?.image?.tag)}`;
			}
			return undefined;
		}
	}
}

async function runRow(
	row: HostileRow,
): Promise<{ verdict: 'rejected' | 'safe'; problem?: string }> {
	if (row.node === 'hook') {
		const { status: expected, says } = row.expect as { status: number | 'accepted'; says?: string };
		const { result, status, answer } = await deliver(row.params);
		if (says !== undefined && !answer.includes(says))
			return { verdict: 'safe', problem: `the answer ${answer} does not say "${says}"` };
		const polluted =
			({} as Record<string, unknown>).polluted !== undefined ||
			Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted');
		if (polluted) return { verdict: 'safe', problem: 'Object.prototype was polluted' };
		const items = (result.workflowData?.[0] ?? []) as Array<{ json: Record<string, unknown> }>;
		if (expected === 'accepted') {
			if (items.length !== 1)
				return { verdict: 'safe', problem: `expected an execution, got status ${status}` };
			if ('polluted' in items[0].json || Object.getPrototypeOf(items[0].json) !== Object.prototype)
				return { verdict: 'safe', problem: 'the item carries the polluting key' };
			if (row.params.body === 'hostile-ref' && items[0].json.branch !== `$(touch ${sentinel})`)
				return { verdict: 'safe', problem: 'branch not carried verbatim' };
			return { verdict: 'safe' };
		}
		if (items.length) return { verdict: 'rejected', problem: 'an execution started' };
		return status === expected
			? { verdict: 'rejected' }
			: { verdict: 'rejected', problem: `status ${status}, expected ${expected}` };
	}

	const { params, credentials } = baseline(row);
	const started = Date.now();
	const c = await capture(() =>
		(nodes[row.node] as { execute: (this: unknown) => Promise<unknown> }).execute.call(
			executeContext({ params, credentials }),
		),
	);
	const elapsed = Date.now() - started;
	if (existsSync(sentinel))
		return { verdict: 'safe', problem: `a command ran: ${sentinel} exists` };
	const expect = row.expect;
	if ('rejected' in expect) {
		return namesField(c, expect.rejected, row.node)
			? { verdict: 'rejected' }
			: {
					verdict: 'safe',
					problem: `not rejected naming "${expect.rejected}": ${describeOutcome(c)}`,
				};
	}
	if ('bounded' in expect) {
		if (elapsed > HANG_GUARD_MS)
			return { verdict: 'safe', problem: `took ${elapsed} ms (hang guard ${HANG_GUARD_MS} ms)` };
		if (namesField(c, expect.bounded, row.node)) return { verdict: 'rejected' };
		const problem = await verifySafe({ kind: 'answered' }, c);
		return { verdict: 'safe', problem };
	}
	if ('check' in expect) {
		if (fieldError(c) && expect.check.kind !== 'contained' && expect.check.kind !== 'answered')
			return {
				verdict: 'rejected',
				problem: `rejected, expected safe handling: ${describeOutcome(c)}`,
			};
		return { verdict: 'safe', problem: await verifySafe(expect.check, c) };
	}
	return { verdict: 'safe', problem: 'row has no expectation' };
}

const table = hostileTable({
	sentinel,
	deadHost: '127.0.0.1:9',
	gitBase: 'http://127.0.0.1:9',
	registryHost: '127.0.0.1:9',
});

test('the table has at least 200 rows over every node and concern', () => {
	expect(table.length).toBeGreaterThanOrEqual(200);
	expect(new Set(table.map((r) => r.node))).toEqual(
		new Set(['create', 'wait', 'query', 'bump', 'hook']),
	);
});

describe.each(['create', 'wait', 'query', 'bump', 'hook'] as const)('%s', (node) => {
	test('every hostile row gets exactly the handling it states', async () => {
		// The table is built again with the live hosts (ports are known only now).
		const rows = hostileTable({
			sentinel,
			deadHost,
			gitBase: gitServer.baseUrl,
			registryHost: double.host,
		}).filter((r) => r.node === node);
		const problems: string[] = [];
		for (const row of rows) {
			const { verdict, problem } = await runRow(row);
			counts.tried++;
			counts.byNode[node] = (counts.byNode[node] ?? 0) + 1;
			if (problem) {
				const passed =
					'rejected' in row.expect || ('status' in row.expect && row.expect.status !== 'accepted');
				if (passed) counts.unexpectedPasses++;
				else counts.mismatches++;
				problems.push(`[${row.concern}] ${JSON.stringify(row.input).slice(0, 80)}: ${problem}`);
			} else if (verdict === 'rejected') counts.rejected++;
			else counts.handledSafely++;
		}
		counts.unexpected.push(...problems);
		expect(problems).toEqual([]);
		expect(existsSync(sentinel)).toBe(false);
	});
});
