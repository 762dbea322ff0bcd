import {
	handleDelivery,
	ReplayCache,
	type DeliveryConfig,
	type DeliveryFilter,
	type DeliveryOutcome,
} from '../../../lib/webhook';
import { deliver } from './nodeHarness';
import { SECRET, fixture, senderHeaders, type Sender } from './signing';

/**
 * GitLab, Gitea/Forgejo and Flux payloads as their documentation shows them (fixtures/README.md says where each
 * comes from), signed and with the senders' real headers, through handleDelivery: the normalised fields and
 * the filter decision against what the payload says.
 */

const PROVIDER: Record<Sender, DeliveryConfig['provider']> = {
	github: 'github',
	gitea: 'gitea',
	forgejo: 'gitea',
	gitlab: 'gitlab',
	flux: 'flux',
};

function run(
	sender: Sender,
	rawBody: Buffer,
	event: string,
	filter: DeliveryFilter = {},
	deliveryId = 'd-1',
): DeliveryOutcome {
	const config: DeliveryConfig = {
		provider: PROVIDER[sender],
		secret: SECRET,
		maxBodyBytes: 1024 * 1024,
		filter,
	};
	return handleDelivery(
		{
			rawBody,
			contentType: 'application/json',
			headers: senderHeaders(sender, rawBody, event, deliveryId),
		},
		config,
		new ReplayCache({ windowMs: 60_000, maxEntries: 10 }),
	);
}

function eventOf(outcome: DeliveryOutcome) {
	if (outcome.kind !== 'accepted' && outcome.kind !== 'ignored')
		throw new Error(`expected a verified delivery, got ${JSON.stringify(outcome)}`);
	return outcome.event;
}

const edit = (name: string, change: (payload: Record<string, any>) => void) => {
	const payload = JSON.parse(fixture(name).toString());
	change(payload);
	return Buffer.from(JSON.stringify(payload));
};

describe('GitLab (docs examples)', () => {
	it('a Push Hook that lists 2 of total_commits_count 4 commits: files from the two, incomplete, and the path filter lets it through', () => {
		const body = fixture('gitlab-docs-push.json');
		const outcome = run(
			'gitlab',
			body,
			'Push Hook',
			{ branches: ['master'], paths: ['src/**'] },
			'gl-uuid-1',
		);
		expect(outcome).toMatchObject({
			kind: 'accepted',
			note: 'path filter not applied: the payload lists 2 of 4 pushed commits',
		});
		expect(eventOf(outcome)).toEqual({
			provider: 'gitlab',
			event: 'push',
			repository: { name: 'mike/diaspora', cloneUrl: 'http://example.com/mike/diaspora.git' },
			ref: 'refs/heads/master',
			branch: 'master',
			tag: null,
			commit: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
			commitTimestamp: '2012-01-03T23:36:29+02:00',
			changedFiles: ['CHANGELOG', 'app/controller/application.rb'],
			changedFilesComplete: false,
			changedFilesIncompleteReason: 'the payload lists 2 of 4 pushed commits',
			deliveryId: 'gl-uuid-1',
		});
	});

	it('the same push with its count matching the list is complete, and the path filter applies', () => {
		const body = edit('gitlab-docs-push.json', (p) => (p.total_commits_count = 2));
		expect(run('gitlab', body, 'Push Hook', { paths: ['src/**'] })).toMatchObject({
			kind: 'ignored',
			reason: 'none of the 2 changed files matches: src/**',
		});
		expect(run('gitlab', body, 'Push Hook', { paths: ['app/**'] }).kind).toBe('accepted');
	});

	it('a Tag Push Hook: tag v1.0.0 at checkout_sha; ignored by a branch filter without tag globs (and by the default events)', () => {
		const body = fixture('gitlab-docs-tag-push.json');
		const outcome = run('gitlab', body, 'Tag Push Hook', {
			events: ['push', 'tag'],
			branches: ['master'],
		});
		expect(outcome).toMatchObject({
			kind: 'ignored',
			reason: expect.stringMatching(
				/^tag "v1.0.0" is not built: Branches is set \(master\) and Tags is empty/,
			),
		});
		expect(eventOf(outcome)).toMatchObject({
			event: 'tag',
			ref: 'refs/tags/v1.0.0',
			tag: 'v1.0.0',
			branch: null,
			commit: '82b3d5ae55f7080f1e6022629cdb57bfae7cccc7',
			changedFiles: [],
		});
		expect(
			run('gitlab', body, 'Tag Push Hook', {
				events: ['push', 'tag'],
				branches: ['master'],
				tags: ['v*'],
			}).kind,
		).toBe('accepted');
		expect(run('gitlab', body, 'Tag Push Hook', { events: ['push'] })).toMatchObject({
			kind: 'ignored',
			reason: 'event "tag" is not one of: push',
		});
	});

	it('a deleted branch (after all zeros) is one "delete" event; GitLab sends no separate delete event', () => {
		const body = edit('gitlab-docs-push.json', (p) =>
			Object.assign(p, {
				after: '0'.repeat(40),
				checkout_sha: null,
				commits: [],
				total_commits_count: 0,
			}),
		);
		expect(eventOf(run('gitlab', body, 'Push Hook', { events: ['delete'] }))).toMatchObject({
			event: 'delete',
			branch: 'master',
			commit: null,
			changedFilesComplete: false,
		});
	});
});

describe.each(['gitea', 'forgejo'] as const)('%s (docs example and payload structs)', (sender) => {
	it('the documented push: commits without added/modified/removed lists and no total_commits are not "complete, no files"', () => {
		const outcome = run(
			sender,
			fixture('gitea-docs-push.json'),
			'push',
			{ branches: ['develop'], paths: ['src/**'] },
			'f6266f16-1bf3-46a5-9ea4-602e06ead473',
		);
		expect(outcome).toMatchObject({
			kind: 'accepted',
			note: expect.stringMatching(
				/^path filter not applied: the payload does not say how many commits were pushed/,
			),
		});
		expect(eventOf(outcome)).toMatchObject({
			provider: 'gitea',
			event: 'push',
			repository: { name: 'gitea/webhooks', cloneUrl: 'http://localhost:3000/gitea/webhooks.git' },
			branch: 'develop',
			commit: 'bffeb74224043ba2feb48d137756c8a9331c449a',
			changedFiles: [],
			changedFilesComplete: false,
			deliveryId: 'f6266f16-1bf3-46a5-9ea4-602e06ead473',
		});
	});

	it('with total_commits the list is counted, and a commit without file lists still makes it incomplete', () => {
		const counted = edit('gitea-docs-push.json', (p) => (p.total_commits = 1));
		expect(run(sender, counted, 'push', { paths: ['src/**'] })).toMatchObject({
			kind: 'accepted',
			note: 'path filter not applied: commit bffeb7422404 is listed without added/modified/removed files',
		});
		const listed = edit('gitea-docs-push.json', (p) =>
			Object.assign(p, {
				total_commits: 1,
				commits: [{ ...p.commits[0], added: [], removed: [], modified: ['README.md'] }],
			}),
		);
		expect(run(sender, listed, 'push', { paths: ['src/**'] })).toMatchObject({
			kind: 'ignored',
			reason: 'none of the 1 changed file matches: src/**',
		});
	});

	it('a create event for a tag carries the full ref and its sha, and is left to the push Gitea sends too', () => {
		const outcome = run(sender, fixture('gitea-create-tag.json'), 'create');
		expect(outcome).toMatchObject({
			kind: 'ignored',
			reason:
				'Gitea/Forgejo also sends this creation as a push event; the push starts the workflow',
		});
		expect(eventOf(outcome)).toMatchObject({
			event: 'create',
			ref: 'refs/tags/v1.4.0',
			tag: 'v1.4.0',
			branch: null,
			commit: 'bffeb74224043ba2feb48d137756c8a9331c449a',
		});
	});

	it('a deleted branch comes only as a delete event: it starts the workflow, and branch globs apply to it', () => {
		const body = fixture('gitea-delete-branch.json');
		const outcome = run(sender, body, 'delete', { events: ['delete'], branches: ['feature/*'] });
		expect(outcome.kind).toBe('accepted');
		expect(eventOf(outcome)).toMatchObject({
			event: 'delete',
			ref: 'refs/heads/feature/login',
			branch: 'feature/login',
			tag: null,
			commit: null,
		});
		expect(run(sender, body, 'delete', { events: ['delete'], branches: ['main'] })).toMatchObject({
			kind: 'ignored',
			reason: 'branch "feature/login" matches none of: main',
		});
	});

	it('a deleted tag is left to the push Gitea sends for it', () => {
		expect(
			run(sender, fixture('gitea-delete-tag.json'), 'delete', { events: ['delete'] }),
		).toMatchObject({
			kind: 'ignored',
			reason:
				'Gitea/Forgejo also sends this deletion as a push event; the push starts the workflow',
		});
	});
});

describe('generic senders and the GitHub-only 2048 rule', () => {
	const generic = {
		header: 'X-Signature',
		algorithm: 'sha256' as const,
		prefix: 'sha256=',
		encoding: 'hex' as const,
	};
	const commits = (count: number) =>
		Array.from({ length: count }, (_, i) => ({
			id: `${i}`.padStart(40, 'a'),
			added: [],
			modified: [`deploy/${i}.yaml`],
			removed: [],
		}));
	const push = (extra: object) => ({
		ref: 'refs/heads/main',
		before: 'b'.repeat(40),
		after: 'c'.repeat(40),
		commits: commits(3),
		...extra,
	});
	const decide = (provider: 'generic' | 'github', payload: object) => {
		const rawBody = Buffer.from(JSON.stringify(payload));
		const headers =
			provider === 'github'
				? senderHeaders('github', rawBody, 'push', 'g-1')
				: { 'x-signature': senderHeaders('flux', rawBody, '', '')['x-signature'] };
		return handleDelivery(
			{ rawBody, headers },
			{
				provider,
				secret: SECRET,
				maxBodyBytes: 10 * 1024 * 1024,
				filter: { paths: ['src/**'] },
				generic,
			},
			{ isReplay: () => false },
		);
	};

	it('a generic push without a commit count may be cut short: the path filter lets it through', () => {
		expect(decide('generic', push({}))).toMatchObject({
			kind: 'accepted',
			note: expect.stringContaining('does not say how many commits were pushed'),
		});
		expect(decide('generic', push({ total_commits: 3 }))).toMatchObject({ kind: 'ignored' });
	});

	it('2048 listed commits are "cut" only for GitHub; a sender that counts them is believed', () => {
		expect(decide('github', push({ commits: commits(2048) }))).toMatchObject({
			kind: 'accepted',
			note: 'path filter not applied: GitHub lists at most 2048 commits of a push',
		});
		expect(decide('github', push({ commits: commits(2047) })).kind).toBe('ignored');
		expect(decide('generic', push({ commits: commits(2048), total_commits: 2048 })).kind).toBe(
			'ignored',
		);
	});
});

describe('Flux (docs example and an OCI-backed Kustomization)', () => {
	it('the documented Kustomization event: legacy main/<sha> under the group-prefixed key', () => {
		const event = eventOf(run('flux', fixture('flux-docs-kustomization.json'), ''));
		expect(event).toMatchObject({
			event: 'ValidationFailed',
			involvedObject: { kind: 'Kustomization', name: 'webapp', namespace: 'apps' },
			revision: 'main/731f7eaddfb6af01cb2173e18f0f75b0ba780ef1',
			ref: 'refs/heads/main',
			branch: 'main',
			commit: '731f7eaddfb6af01cb2173e18f0f75b0ba780ef1',
			severity: 'error',
		});
	});

	it('an OCI revision (latest@sha256:…) on a Kustomization is an artifact tag and digest, never branch "latest"', () => {
		const body = fixture('flux-kustomization-oci.json');
		const event = eventOf(run('flux', body, ''));
		expect(event).toMatchObject({
			event: 'ReconciliationSucceeded',
			revision: 'latest@sha256:3b6cdcc7adcc9a84d3214ee1c029543789d90b5ae69debe9efa3f66e982875de',
			ref: null,
			branch: null,
			tag: 'latest',
			commit: null,
			digest: 'sha256:3b6cdcc7adcc9a84d3214ee1c029543789d90b5ae69debe9efa3f66e982875de',
		});
		expect(run('flux', body, '', { branches: ['main'], tags: ['latest'] }).kind).toBe('accepted');
		const helmRelease = edit(
			'flux-kustomization-oci.json',
			(p) =>
				(p.involvedObject = {
					...p.involvedObject,
					kind: 'HelmRelease',
					apiVersion: 'helm.toolkit.fluxcd.io/v2',
				}),
		);
		expect(eventOf(run('flux', helmRelease, ''))).toMatchObject({
			branch: null,
			tag: 'latest',
			commit: null,
		});
	});
});

describe("webhook() with the senders' real headers", () => {
	it.each([
		['gitlab', 'gitlab-docs-push.json', 'Push Hook', 'push'],
		['gitea', 'gitea-docs-push.json', 'push', 'push'],
		['forgejo', 'gitea-delete-branch.json', 'delete', 'delete'],
		['flux', 'flux-kustomization-oci.json', '', 'ReconciliationSucceeded'],
	] as const)('%s %s starts one execution', async (sender, file, event, normalised) => {
		const rawBody = fixture(file);
		const parameters = { provider: PROVIDER[sender], events: ['push', 'delete'], paths: 'src/**' };
		const { result } = await deliver(
			{ headers: senderHeaders(sender, rawBody, event, `node-${sender}-${file}`), rawBody },
			parameters,
			`wf-providers-${sender}`,
		);
		expect(result.workflowData?.[0]).toHaveLength(1);
		expect(result.workflowData?.[0][0].json).toMatchObject({
			provider: PROVIDER[sender],
			event: normalised,
		});
	});
});
