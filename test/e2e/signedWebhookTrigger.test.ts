import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import webhookDefinitions from '@octokit/webhooks-examples';
import { type N8nInstance, startN8n } from '../stack/n8n';

// Real n8n 2.41 under Node 24, the package packed and installed as n8n's installer does, a workflow whose
// trigger is the Signed Webhook Trigger, and signed deliveries over loopback HTTP.
jest.setTimeout(300_000);

const SECRET = randomBytes(24).toString('hex');
const SHORT_SECRET = 'fifteen-chars!!';
const WORKFLOW_ID = 'signedHookE2e001';
const PATH = 'e2e-signed-build';
const CREDENTIAL_NAME = 'Git webhook secret';
const SHORT_CREDENTIAL_NAME = 'Short webhook secret';
const TRIGGER = 'Signed Webhook Trigger';

const pushFixture = readFileSync(
	join(__dirname, '..', 'unit', 'webhook', 'fixtures', 'github-push.json'),
);

/** The pipeline's own manifest bump: one commit that touches only deploy/. */
const bumpPush = Buffer.from(
	JSON.stringify({
		...JSON.parse(pushFixture.toString('utf8')),
		after: 'bffeb74224043ba2feb48d137756c8a9331c449a',
		commits: [
			{
				id: 'bffeb74224043ba2feb48d137756c8a9331c449a',
				message: 'Bump image',
				added: [],
				removed: [],
				modified: ['deploy/values.yaml'],
			},
		],
		head_commit: {
			id: 'bffeb74224043ba2feb48d137756c8a9331c449a',
			message: 'Bump image',
			added: [],
			removed: [],
			modified: ['deploy/values.yaml'],
		},
	}),
);

/** GitHub's own examples (@octokit/webhooks-examples): a tag push and the delete event of the same tag. */
const githubExamples = webhookDefinitions as unknown as Array<{
	name: string;
	examples: Array<Record<string, unknown>>;
}>;
const githubExample = (name: string, match: (payload: Record<string, any>) => boolean) =>
	Buffer.from(JSON.stringify(githubExamples.find((d) => d.name === name)!.examples.find(match)));

function workflow(
	credentialId: string,
	id = WORKFLOW_ID,
	path = PATH,
	credentialName = CREDENTIAL_NAME,
) {
	return {
		id,
		name: `signed webhook e2e ${id}`,
		nodes: [
			{
				id: 'c0ffee00-0000-4000-8000-000000000001',
				name: TRIGGER,
				type: 'n8n-nodes-buildkit.signedWebhookTrigger',
				typeVersion: 1,
				position: [0, 0],
				webhookId:
					id === WORKFLOW_ID
						? 'c0ffee00-0000-4000-8000-0000000000aa'
						: 'c0ffee00-0000-4000-8000-0000000000bb',
				parameters: {
					provider: 'github',
					path,
					events: ['push', 'tag'],
					branches: 'main',
					paths: 'src/**, Dockerfile',
					options: {},
				},
				credentials: { webhookSigningSecretApi: { id: credentialId, name: credentialName } },
			},
		],
		connections: {},
		settings: { executionOrder: 'v1' },
	};
}

function sign(body: Buffer, secret = SECRET): string {
	return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

describe('Signed Webhook Trigger in real n8n', () => {
	let n8n: N8nInstance;

	const post = async (body: Buffer, deliveryId: string, signature?: string, event = 'push') => {
		const headers: Record<string, string> = {
			'content-type': 'application/json',
			'x-github-event': event,
			'x-github-delivery': deliveryId,
		};
		if (signature !== undefined) headers['x-hub-signature-256'] = signature;
		const res = await fetch(n8n.webhookUrl(PATH), { method: 'POST', headers, body });
		return { status: res.status, text: await res.text() };
	};

	const triggerOutput = (execution: { data?: any }) =>
		execution.data.resultData.runData[TRIGGER][0].data.main[0];

	beforeAll(async () => {
		n8n = await startN8n({
			credentials: [
				{ name: CREDENTIAL_NAME, type: 'webhookSigningSecretApi', data: { secret: SECRET } },
				{
					name: SHORT_CREDENTIAL_NAME,
					type: 'webhookSigningSecretApi',
					data: { secret: SHORT_SECRET },
				},
			],
		});
		await n8n.client.rest('POST', '/workflows', workflow(n8n.credentialIds[CREDENTIAL_NAME]));
		await n8n.activate(WORKFLOW_ID);
	});

	afterAll(async () => {
		await n8n?.stop();
	});

	it('a correctly signed push starts one execution whose item is the normalised event', async () => {
		const res = await post(pushFixture, 'e2e-delivery-1', sign(pushFixture));
		expect(res.status).toBe(200);
		expect(JSON.parse(res.text)).toEqual({ status: 'accepted', deliveryId: 'e2e-delivery-1' });
		const [execution] = await n8n.waitForExecutions(WORKFLOW_ID, 1);
		expect(execution).toMatchObject({ status: 'success', mode: 'webhook' });
		const items = triggerOutput(execution);
		expect(items).toHaveLength(1);
		expect(items[0].json).toEqual({
			provider: 'github',
			event: 'push',
			repository: { name: 'homelab/webapp', cloneUrl: 'https://github.com/homelab/webapp.git' },
			ref: 'refs/heads/main',
			branch: 'main',
			tag: null,
			commit: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
			commitTimestamp: '2026-05-01T10:05:00+02:00',
			changedFiles: ['src/health.ts', 'src/server.ts', 'package.json', 'src/legacy.ts'],
			changedFilesComplete: true,
			deliveryId: 'e2e-delivery-1',
		});
	});

	it('a forged, an unsigned, a replayed and a deploy/-only delivery start nothing', async () => {
		const forged = await post(
			pushFixture,
			'e2e-forged',
			sign(pushFixture, 'not-the-secret-but-long-enough'),
		);
		expect(forged).toEqual({ status: 401, text: '' });

		const unsigned = await post(pushFixture, 'e2e-unsigned');
		expect(unsigned).toEqual({ status: 401, text: '' });

		const replayed = await post(pushFixture, 'e2e-delivery-1', sign(pushFixture));
		expect(replayed.status).toBe(200);
		expect(JSON.parse(replayed.text)).toEqual({
			status: 'duplicate',
			deliveryId: 'e2e-delivery-1',
		});

		const bump = await post(bumpPush, 'e2e-bump', sign(bumpPush));
		expect(bump.status).toBe(202);
		expect(JSON.parse(bump.text)).toEqual({
			status: 'ignored',
			reason: 'none of the 1 changed file matches: src/**, Dockerfile',
		});

		// The same signed body under a new delivery id is a replay too: the id is not covered by the signature.
		const reIdentified = await post(pushFixture, 'e2e-new-id', sign(pushFixture));
		expect(reIdentified.status).toBe(200);
		expect(JSON.parse(reIdentified.text)).toMatchObject({ status: 'duplicate' });

		// A last good delivery (a new push, so a new body) as a barrier: once it has run, every earlier request has
		// been answered, and exactly two executions exist, so none of the five above started one.
		const nextPush = Buffer.from(
			JSON.stringify({
				...JSON.parse(pushFixture.toString('utf8')),
				after: 'c0ffee4224043ba2feb48d137756c8a9331c449a',
			}),
		);
		expect((await post(nextPush, 'e2e-delivery-2', sign(nextPush))).status).toBe(200);
		await n8n.waitForExecutions(WORKFLOW_ID, 2);
		const executions = await n8n.executions(WORKFLOW_ID);
		expect(executions.map((execution) => triggerOutput(execution)[0].json.deliveryId)).toEqual([
			'e2e-delivery-1',
			'e2e-delivery-2',
		]);
	});

	it("GitHub's own tag push and delete event start nothing (tag past a branch filter, deletion left to the push); a force push is let past the path filter, and the answer says why", async () => {
		const tagPush = githubExample(
			'push',
			(p) => p.ref === 'refs/tags/simple-tag' && p.created === true,
		);
		const tagged = await post(tagPush, 'e2e-octokit-tag', sign(tagPush));
		expect(tagged.status).toBe(202);
		expect(JSON.parse(tagged.text).reason).toBe(
			'tag "simple-tag" is not built: Branches is set (main) and Tags is empty; add tag globs (e.g. v*) to build tags',
		);

		const deleteEvent = githubExample('delete', (p) => p.ref === 'simple-tag');
		const deleted = await post(deleteEvent, 'e2e-octokit-delete', sign(deleteEvent), 'delete');
		expect(deleted.status).toBe(202);
		expect(JSON.parse(deleted.text).reason).toBe(
			'GitHub also sends this deletion as a push event (deleted: true); the push starts the workflow',
		);

		const forcedPush = Buffer.from(
			JSON.stringify({
				...JSON.parse(bumpPush.toString('utf8')),
				forced: true,
				after: 'f0'.repeat(20),
			}),
		);
		const forced = await post(forcedPush, 'e2e-forced', sign(forcedPush));
		expect(forced.status).toBe(200);
		expect(JSON.parse(forced.text)).toEqual({
			status: 'accepted',
			deliveryId: 'e2e-forced',
			note: 'path filter not applied: it is a force push, and the commits it replaced are not listed',
		});
		await n8n.waitForExecutions(WORKFLOW_ID, 3);
		const executions = await n8n.executions(WORKFLOW_ID);
		expect(executions.map((execution) => triggerOutput(execution)[0].json.deliveryId)).toEqual([
			'e2e-delivery-1',
			'e2e-delivery-2',
			'e2e-forced',
		]);
		expect(triggerOutput(executions[2])[0].json).toMatchObject({
			changedFilesComplete: false,
			changedFilesIncompleteReason:
				'it is a force push, and the commits it replaced are not listed',
		});
	});

	it('refuses to activate a trigger whose secret is under 16 characters, naming the fix', async () => {
		const id = 'signedHookShort1';
		await n8n.client.rest(
			'POST',
			'/workflows',
			workflow(
				n8n.credentialIds[SHORT_CREDENTIAL_NAME],
				id,
				'e2e-short-secret',
				SHORT_CREDENTIAL_NAME,
			),
		);
		await expect(n8n.activate(id)).rejects.toThrow(/was not published: .*use at least 16/);
		// Nothing listens on its path: n8n took the webhook back when the trigger refused to start.
		expect(
			(await fetch(n8n.webhookUrl('e2e-short-secret'), { method: 'POST', body: '{}' })).status,
		).toBe(404);
		expect(readFileSync(n8n.logFile, 'utf8')).not.toContain(SHORT_SECRET);
	});

	it("never writes the secret to n8n's log", () => {
		expect(readFileSync(n8n.logFile, 'utf8')).not.toContain(SECRET);
	});

	it("tests the credential in n8n (the editor's Test button)", async () => {
		expect(await n8n.testCredential('webhookSigningSecretApi', { secret: SECRET })).toMatchObject({
			status: 'OK',
		});
		const short = await n8n.testCredential('webhookSigningSecretApi', { secret: 'short' });
		expect(short.status).toBe('Error');
		expect(short.message).toContain('at least 16');
	});
});
