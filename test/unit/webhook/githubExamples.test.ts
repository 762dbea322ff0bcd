import { readdirSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { deliver } from './nodeHarness';
import { senderHeaders } from './signing';

/**
 * Every push, create, delete and ping example GitHub documents (`@octokit/webhooks-examples`: github.com and each
 * GitHub Enterprise Server version, each distinct payload once) goes through the trigger's webhook() signed and
 * with GitHub's real headers. The expected fields are read off the payload here, independently of lib/webhook;
 * the expected decision for each filter comes from a table keyed by what the payload is (a created branch, a
 * deleted tag, …), so a new kind of example fails until the table says what should happen to it.
 */

type Json = Record<string, any>;
interface Example {
	event: 'push' | 'create' | 'delete' | 'ping';
	source: string;
	payload: Json;
}

function loadExamples(): Example[] {
	const root = dirname(require.resolve('@octokit/webhooks-examples/package.json'));
	const seen = new Set<string>();
	const examples: Example[] = [];
	for (const source of readdirSync(root).filter((name) =>
		existsSync(join(root, name, 'index.json')),
	)) {
		for (const definition of JSON.parse(
			readFileSync(join(root, source, 'index.json'), 'utf8'),
		) as Array<{ name: string; examples: Json[] }>) {
			if (!['push', 'create', 'delete', 'ping'].includes(definition.name)) continue;
			for (const payload of definition.examples) {
				const key = `${definition.name} ${JSON.stringify(payload)}`;
				if (seen.has(key)) continue;
				seen.add(key);
				examples.push({ event: definition.name as Example['event'], source, payload });
			}
		}
	}
	return examples;
}

/** The master-branch push example, as a later push to an existing branch, and as a force push of it. */
function derivedPushes(examples: Example[]): Example[] {
	const created = examples.find(
		(e) => e.event === 'push' && e.payload.ref === 'refs/heads/master' && e.payload.created,
	)!;
	const updated = {
		...created.payload,
		created: false,
		before: 'f95f852bd8fca8fcc58a9a2d6c842781e32a215e',
		base_ref: null,
	};
	return [
		{ event: 'push', source: `${created.source} (as an update)`, payload: updated },
		{
			event: 'push',
			source: `${created.source} (as a force push)`,
			payload: { ...updated, forced: true },
		},
	];
}

const examples = loadExamples();
const allExamples = [...examples, ...derivedPushes(examples)];

/** What the payload is, in the words of the decision table below. */
function shapeOf({ event, payload }: Example): string {
	if (event !== 'push') return event === 'ping' ? 'ping' : `${event} ${payload.ref_type}`;
	const kind = payload.ref.startsWith('refs/tags/') ? 'tag' : 'branch';
	const change = payload.deleted
		? 'deleted'
		: payload.created
			? 'created'
			: payload.forced
				? 'forced'
				: 'updated';
	return `push ${kind} ${change}`;
}

/** The normalised fields, read off the payload as GitHub documents it. */
function expectedFields({ event, payload }: Example): Json {
	const repository = {
		name: payload.repository?.full_name ?? null,
		cloneUrl: payload.repository?.clone_url ?? null,
	};
	if (event === 'ping')
		return {
			provider: 'github',
			event: 'ping',
			repository,
			ref: null,
			branch: null,
			tag: null,
			commit: null,
			commitTimestamp: null,
			changedFiles: [],
			changedFilesComplete: false,
		};
	if (event !== 'push') {
		const ref = `refs/${payload.ref_type === 'tag' ? 'tags' : 'heads'}/${payload.ref}`;
		const named =
			payload.ref_type === 'tag'
				? { branch: null, tag: payload.ref }
				: { branch: payload.ref, tag: null };
		return {
			provider: 'github',
			event,
			repository,
			ref,
			...named,
			commit: null,
			commitTimestamp: null,
			changedFiles: [],
			changedFilesComplete: false,
		};
	}
	const isTag = payload.ref.startsWith('refs/tags/');
	const name = payload.ref.replace(/^refs\/(heads|tags)\//, '');
	const kind = payload.deleted ? 'delete' : isTag ? 'tag' : 'push';
	const files =
		kind === 'push'
			? [
					...new Set(
						payload.commits.flatMap((c: Json) => [...c.added, ...c.modified, ...c.removed]),
					),
				]
			: [];
	// Only an update that is not forced lists every changed file.
	const complete = kind === 'push' && !payload.created && !payload.forced;
	return {
		provider: 'github',
		event: kind,
		repository,
		ref: payload.ref,
		branch: isTag ? null : name,
		tag: isTag ? name : null,
		commit: payload.deleted ? null : (payload.head_commit?.id ?? payload.after),
		// The head commit's own time, as the payload states it.
		commitTimestamp: payload.deleted ? null : (payload.head_commit?.timestamp ?? null),
		changedFiles: files,
		changedFilesComplete: complete,
		...(kind === 'push' && !complete ? { changedFilesIncompleteReason: expect.any(String) } : {}),
	};
}

interface Case {
	title: string;
	parameters: Json;
	/** Per payload shape: 'accepted' (with the 200 answer's note, if any) or the 202 answer's reason. */
	expect: Record<string, { accepted: true; note?: RegExp } | { ignored: RegExp }>;
}

const repeated = {
	ignored:
		/^GitHub also sends this (creation|deletion) as a push event \((created|deleted): true\); the push starts the workflow$/,
};

const cases: Case[] = [
	{
		title: 'default settings (Events: Branch Push)',
		parameters: {},
		expect: {
			'push branch created': { accepted: true },
			'push branch updated': { accepted: true },
			'push branch forced': { accepted: true },
			'push tag created': { ignored: /^event "tag" is not one of: push$/ },
			'push tag deleted': { ignored: /^event "delete" is not one of: push$/ },
			'create tag': repeated,
			'delete tag': repeated,
			ping: { ignored: /^event "ping" is not one of: push$/ },
		},
	},
	{
		title: 'every event, Branches main, Changed Paths src/**',
		parameters: { events: ['push', 'tag', 'delete', 'ping'], branches: 'main', paths: 'src/**' },
		expect: {
			'push branch created': { ignored: /^branch "master" matches none of: main$/ },
			'push branch updated': { ignored: /^branch "master" matches none of: main$/ },
			'push branch forced': { ignored: /^branch "master" matches none of: main$/ },
			'push tag created': {
				ignored: /^tag "simple-tag" is not built: Branches is set \(main\) and Tags is empty/,
			},
			'push tag deleted': {
				ignored: /^tag "simple-tag" is not built: Branches is set \(main\) and Tags is empty/,
			},
			'create tag': repeated,
			'delete tag': repeated,
			ping: { accepted: true },
		},
	},
	{
		title: 'Events push/tag/delete, Branches master, Tags simple-*, Changed Paths src/**',
		parameters: {
			events: ['push', 'tag', 'delete'],
			branches: 'master',
			tags: 'simple-*',
			paths: 'src/**',
		},
		expect: {
			'push branch created': { accepted: true, note: /^path filter not applied: the ref is new/ },
			'push branch updated': { ignored: /^none of the 1 changed file matches: src\/\*\*$/ },
			'push branch forced': {
				accepted: true,
				note: /^path filter not applied: it is a force push, and the commits it replaced are not listed$/,
			},
			'push tag created': { accepted: true },
			'push tag deleted': { accepted: true },
			'create tag': repeated,
			'delete tag': repeated,
			ping: { ignored: /^event "ping" is not one of: push, tag, delete$/ },
		},
	},
];

test('the examples cover every event the trigger supports', () => {
	expect(new Set(examples.map((e) => e.event))).toEqual(
		new Set(['push', 'create', 'delete', 'ping']),
	);
	expect(examples.length).toBeGreaterThanOrEqual(20);
});

describe.each(cases)(
	'GitHub examples through webhook(), $title',
	({ title, parameters, expect: table }) => {
		it.each(
			allExamples.map(
				(example, index) =>
					[
						`${example.event} #${index} (${example.source}, ${shapeOf(example)})`,
						example,
						index,
					] as const,
			),
		)('%s', async (_name, example, index) => {
			const rawBody = Buffer.from(JSON.stringify(example.payload, null, 2));
			const deliveryId = `octokit-${index}-${title.length}`;
			const { result, response, logger } = await deliver(
				{ headers: senderHeaders('github', rawBody, example.event, deliveryId), rawBody },
				parameters,
				`wf-octokit-${title}`,
			);
			expect(logger.warn).not.toHaveBeenCalled();
			const expected = table[shapeOf(example)];
			if (!expected) throw new Error(`no expectation for a "${shapeOf(example)}" payload`);
			if ('ignored' in expected) {
				expect(result.workflowData).toBeUndefined();
				expect(response.statusCode).toBe(202);
				expect((response.body as { reason: string }).reason).toMatch(expected.ignored);
				return;
			}
			expect(response.statusCode).toBeUndefined();
			expect(result.workflowData?.[0]).toHaveLength(1);
			expect(result.workflowData?.[0][0].json).toEqual({ ...expectedFields(example), deliveryId });
			const answer = result.webhookResponse as {
				status: string;
				deliveryId: string;
				note?: string;
			};
			expect(answer).toMatchObject({ status: 'accepted', deliveryId });
			if (expected.note) expect(answer.note).toMatch(expected.note);
			else expect(answer.note).toBeUndefined();
		});
	},
);

test('a GitHub deletion (a push with deleted: true, then a delete event) starts exactly one execution, from the push', async () => {
	const push = examples.find(
		(e) => e.event === 'push' && e.payload.deleted && e.source === 'api.github.com',
	)!;
	const remove = examples.find(
		(e) => e.event === 'delete' && e.payload.ref === 'simple-tag' && e.source === 'api.github.com',
	)!;
	const parameters = { events: ['delete'], tags: 'simple-*' };
	let executions = 0;
	for (const [index, example] of [push, remove, remove, push].entries()) {
		const rawBody = Buffer.from(JSON.stringify({ ...example.payload, test_round: index }));
		const { result } = await deliver(
			{ headers: senderHeaders('github', rawBody, example.event, `pair-${index}`), rawBody },
			parameters,
			`wf-pair-${index < 2 ? 'a' : 'b'}`,
		);
		executions += result.workflowData?.[0]?.length ?? 0;
		if (example.event === 'push')
			expect(result.workflowData?.[0][0].json).toMatchObject({
				event: 'delete',
				ref: 'refs/tags/simple-tag',
				tag: 'simple-tag',
			});
	}
	// Two rounds (delete event before and after the push), one execution each.
	expect(executions).toBe(2);
});
