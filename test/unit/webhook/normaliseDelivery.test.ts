import { normaliseDelivery, parseFluxRevision, type DeliveryInput } from '../../../lib/webhook';
import { fixture } from './signing';

function normalise(
	provider: DeliveryInput['provider'],
	file: string,
	headers: DeliveryInput['headers'] = {},
	extra: Partial<DeliveryInput> = {},
) {
	const rawBody = fixture(file);
	return normaliseDelivery({
		provider,
		headers,
		rawBody,
		body: JSON.parse(rawBody.toString('utf8')),
		...extra,
	});
}

describe('GitHub', () => {
	it('describes a branch push: full SHA, repository, and the union of changed files across commits', () => {
		const event = normalise('github', 'github-push.json', {
			'x-github-event': 'push',
			'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
		});
		expect(event).toEqual({
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
			deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
		});
	});

	it('describes a tag push with the commit the tag points at (head_commit), no branch and no files', () => {
		const event = normalise('github', 'github-tag-push.json', {
			'x-github-event': 'push',
			'x-github-delivery': 'd1',
		});
		expect(event).toMatchObject({
			event: 'tag',
			ref: 'refs/tags/v1.4.0',
			tag: 'v1.4.0',
			branch: null,
			commit: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
			changedFiles: [],
		});
	});

	it('describes a deleted branch as "delete" with no commit', () => {
		const payload = {
			...JSON.parse(fixture('github-push.json').toString()),
			deleted: true,
			after: '0'.repeat(40),
			head_commit: null,
			commits: [],
		};
		const rawBody = Buffer.from(JSON.stringify(payload));
		const event = normaliseDelivery({
			provider: 'github',
			headers: { 'x-github-event': 'push' },
			rawBody,
			body: payload,
		});
		expect(event).toMatchObject({ event: 'delete', branch: 'main', commit: null });
	});

	it('keeps other events by name (ping) and uses a body hash when there is no delivery header', () => {
		const payload = {
			zen: 'Keep it logically awesome.',
			hook_id: 1,
			repository: {
				full_name: 'homelab/webapp',
				clone_url: 'https://github.com/homelab/webapp.git',
			},
		};
		const rawBody = Buffer.from(JSON.stringify(payload));
		const event = normaliseDelivery({
			provider: 'github',
			headers: { 'x-github-event': 'ping' },
			rawBody,
			body: payload,
		});
		expect(event.event).toBe('ping');
		expect(event.ref).toBeNull();
		expect(event.deliveryId).toMatch(/^sha256:[0-9a-f]{64}$/);
	});

	it('marks the file list incomplete for a newly created branch', () => {
		const payload = {
			...JSON.parse(fixture('github-push.json').toString()),
			created: true,
			before: '0'.repeat(40),
		};
		const event = normaliseDelivery({
			provider: 'github',
			headers: { 'x-github-event': 'push' },
			rawBody: Buffer.from('{}'),
			body: payload,
		});
		expect(event.changedFilesComplete).toBe(false);
	});
});

describe('Gitea / Forgejo', () => {
	it('describes a push, reading X-Gitea-Event/X-Gitea-Delivery', () => {
		const event = normalise('gitea', 'gitea-push.json', {
			'x-gitea-event': 'push',
			'x-gitea-delivery': 'f6266f16-1bf3-46a5-9ea4-602e06ead473',
		});
		expect(event).toMatchObject({
			provider: 'gitea',
			event: 'push',
			repository: {
				name: 'homelab/webapp',
				cloneUrl: 'https://git.homelab.test/homelab/webapp.git',
			},
			branch: 'release/1.4',
			commit: 'bffeb74224043ba2feb48d137756c8a9331c449a',
			changedFiles: ['deploy/values.yaml'],
			changedFilesComplete: true,
			deliveryId: 'f6266f16-1bf3-46a5-9ea4-602e06ead473',
		});
	});

	it('falls back to Forgejo headers, and marks a cut commit list (total_commits) incomplete', () => {
		const payload = { ...JSON.parse(fixture('gitea-push.json').toString()), total_commits: 12 };
		const event = normaliseDelivery({
			provider: 'gitea',
			headers: { 'x-forgejo-event': 'push', 'x-forgejo-delivery': 'fj-1' },
			rawBody: Buffer.from('{}'),
			body: payload,
		});
		expect(event).toMatchObject({ event: 'push', deliveryId: 'fj-1', changedFilesComplete: false });
	});
});

describe('GitLab', () => {
	it('describes a Push Hook; Idempotency-Key (stable across retries) wins over X-Gitlab-Event-UUID', () => {
		const event = normalise('gitlab', 'gitlab-push.json', {
			'x-gitlab-event': 'Push Hook',
			'x-gitlab-event-uuid': 'ev-1',
			'idempotency-key': 'idem-1',
		});
		expect(event).toMatchObject({
			provider: 'gitlab',
			event: 'push',
			repository: {
				name: 'homelab/webapp',
				cloneUrl: 'https://gitlab.homelab.test/homelab/webapp.git',
			},
			branch: 'main',
			commit: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
			changedFiles: ['Dockerfile', 'docs/ops.md'],
			changedFilesComplete: true,
			deliveryId: 'idem-1',
		});
		expect(
			normalise('gitlab', 'gitlab-push.json', {
				'x-gitlab-event': 'Push Hook',
				'x-gitlab-event-uuid': 'ev-1',
			}).deliveryId,
		).toBe('ev-1');
	});

	it('describes a Tag Push Hook with checkout_sha as the commit (after is the tag object)', () => {
		const event = normalise('gitlab', 'gitlab-tag-push.json', {
			'x-gitlab-event': 'Tag Push Hook',
		});
		expect(event).toMatchObject({
			event: 'tag',
			tag: 'v1.0.0',
			branch: null,
			commit: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
			changedFiles: [],
		});
	});

	it('marks the file list incomplete when more commits were pushed than listed', () => {
		const payload = {
			...JSON.parse(fixture('gitlab-push.json').toString()),
			total_commits_count: 40,
		};
		const event = normaliseDelivery({
			provider: 'gitlab',
			headers: { 'x-gitlab-event': 'Push Hook' },
			rawBody: Buffer.from('{}'),
			body: payload,
		});
		expect(event.changedFilesComplete).toBe(false);
	});
});

describe('Flux', () => {
	it('describes a HelmChart event: reason as event, involvedObject, raw revision, body hash as delivery id', () => {
		const event = normalise('flux', 'flux-helmchart.json');
		expect(event).toMatchObject({
			provider: 'flux',
			event: 'ChartPackageSucceeded',
			involvedObject: {
				kind: 'HelmChart',
				name: 'apps-webapp',
				namespace: 'flux-system',
				apiVersion: 'source.toolkit.fluxcd.io/v1',
			},
			revision: '0.0.2+eb02f2ecb66c',
			commit: null,
			severity: 'info',
			repository: { name: null, cloneUrl: null },
		});
		expect(event.deliveryId).toMatch(/^sha256:[0-9a-f]{64}$/);
		expect(normalise('flux', 'flux-helmchart.json').deliveryId).toBe(event.deliveryId);
	});

	it('describes a GitRepository event with branch and full commit from main@sha1:…', () => {
		const event = normalise('flux', 'flux-gitrepository.json');
		expect(event).toMatchObject({
			event: 'NewArtifact',
			branch: 'main',
			ref: 'refs/heads/main',
			commit: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
		});
	});

	it('reads group-prefixed metadata keys of older notification-controllers', () => {
		const payload = {
			...JSON.parse(fixture('flux-gitrepository.json').toString()),
			metadata: {
				'source.toolkit.fluxcd.io/revision': 'main/0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
			},
		};
		const event = normaliseDelivery({
			provider: 'flux',
			headers: {},
			rawBody: Buffer.from('x'),
			body: payload,
		});
		expect(event).toMatchObject({
			revision: 'main/0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
			branch: 'main',
			commit: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
		});
	});

	it.each([
		[
			'main@sha1:0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
			'GitRepository',
			{
				branch: 'main',
				tag: null,
				commit: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
				digest: null,
			},
		],
		[
			'refs/heads/feature/x@sha1:0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
			'GitRepository',
			{ ref: 'refs/heads/feature/x', branch: 'feature/x' },
		],
		[
			'v1.2.0@sha1:0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
			'GitRepository',
			{ tag: 'v1.2.0', branch: null, ref: 'refs/tags/v1.2.0' },
		],
		[
			'sha1:0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
			'GitRepository',
			{ ref: null, commit: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c' },
		],
		[
			`latest@sha256:${'ab'.repeat(32)}`,
			'OCIRepository',
			{ tag: 'latest', commit: null, digest: `sha256:${'ab'.repeat(32)}` },
		],
		[`sha256:${'cd'.repeat(32)}`, 'Bucket', { commit: null, digest: `sha256:${'cd'.repeat(32)}` }],
		[
			'0.0.2+eb02f2ecb66c',
			'HelmChart',
			{ ref: null, branch: null, tag: null, commit: null, digest: null },
		],
		['main@sha1:eb02f2ec', 'GitRepository', { branch: 'main', commit: null }],
	])('parses the revision %s (%s)', (revision, kind, expected) => {
		expect(parseFluxRevision(revision, kind)).toMatchObject(expected);
	});
});

describe('generic', () => {
	it('describes a GitHub-shaped payload, reads the configured id header, and passes the payload on', () => {
		const rawBody = fixture('github-push.json');
		const body = JSON.parse(rawBody.toString());
		const generic = {
			header: 'x-sig',
			algorithm: 'sha256' as const,
			prefix: '',
			encoding: 'hex' as const,
			deliveryIdHeader: 'X-Request-Id',
		};
		const event = normaliseDelivery({
			provider: 'generic',
			headers: { 'x-request-id': 'r-1' },
			rawBody,
			body,
			generic,
		});
		expect(event).toMatchObject({
			provider: 'generic',
			event: 'push',
			branch: 'main',
			deliveryId: 'r-1',
			payload: body,
		});
	});

	it('uses the configured event header, and "unknown" for an unknown shape', () => {
		const generic = {
			header: 'x-sig',
			algorithm: 'sha256' as const,
			prefix: '',
			encoding: 'hex' as const,
			eventHeader: 'X-Event',
		};
		const body = { hello: 'world' };
		expect(
			normaliseDelivery({
				provider: 'generic',
				headers: { 'x-event': 'deploy' },
				rawBody: Buffer.from('{}'),
				body,
				generic,
			}).event,
		).toBe('deploy');
		expect(
			normaliseDelivery({
				provider: 'generic',
				headers: {},
				rawBody: Buffer.from('{}'),
				body,
				generic,
			}).event,
		).toBe('unknown');
	});
});
