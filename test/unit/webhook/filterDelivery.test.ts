import { filterDelivery, normaliseDelivery, type NormalisedEvent } from '../../../lib/webhook';
import { fixture } from './signing';

function event(
	file: string,
	provider: 'github' | 'gitea' | 'gitlab' | 'flux',
	headers: Record<string, string>,
): NormalisedEvent {
	const rawBody = fixture(file);
	return normaliseDelivery({ provider, headers, rawBody, body: JSON.parse(rawBody.toString()) });
}

const githubPush = event('github-push.json', 'github', { 'x-github-event': 'push' });
const githubTag = event('github-tag-push.json', 'github', { 'x-github-event': 'push' });
const giteaBump = event('gitea-push.json', 'gitea', { 'x-gitea-event': 'push' });
const gitlabPush = event('gitlab-push.json', 'gitlab', { 'x-gitlab-event': 'Push Hook' });
const fluxChart = event('flux-helmchart.json', 'flux', {});

describe('filterDelivery', () => {
	it('accepts everything when no filter is set', () => {
		for (const e of [githubPush, githubTag, giteaBump, gitlabPush, fluxChart])
			expect(filterDelivery(e, {})).toEqual({ accept: true });
	});

	it('filters by event, with the reason', () => {
		expect(filterDelivery(githubTag, { events: ['push'] })).toEqual({
			accept: false,
			reason: 'event "tag" is not one of: push',
		});
		expect(filterDelivery(githubTag, { events: ['push', 'tag'] })).toEqual({ accept: true });
		expect(filterDelivery(fluxChart, { events: ['ChartPackageSucceeded'] })).toEqual({
			accept: true,
		});
		expect(filterDelivery(fluxChart, { events: ['NewArtifact'] }).accept).toBe(false);
	});

	it('ignores tag events when branch globs are set and tag globs are not, saying how to build tags', () => {
		expect(filterDelivery(githubTag, { branches: ['main'] })).toEqual({
			accept: false,
			reason:
				'tag "v1.4.0" is not built: Branches is set (main) and Tags is empty; add tag globs (e.g. v*) to build tags',
		});
		expect(filterDelivery(githubTag, { events: ['push', 'tag'], branches: ['**'] }).accept).toBe(
			false,
		);
		expect(filterDelivery(githubTag, {}).accept).toBe(true);
	});

	it('filters by branch globs, with ! excludes', () => {
		expect(filterDelivery(giteaBump, { branches: ['release/*'] }).accept).toBe(true);
		expect(filterDelivery(giteaBump, { branches: ['main'] })).toEqual({
			accept: false,
			reason: 'branch "release/1.4" matches none of: main',
		});
		expect(filterDelivery(giteaBump, { branches: ['*'] }).accept).toBe(false); // * does not cross /
		expect(filterDelivery(giteaBump, { branches: ['**', '!release/**'] }).accept).toBe(false);
		expect(filterDelivery(githubPush, { branches: ['!release/**'] }).accept).toBe(true);
	});

	it('applies branch globs only to events on branches, tag globs only to tags', () => {
		expect(filterDelivery(githubTag, { branches: ['main'], tags: ['v*'] }).accept).toBe(true);
		expect(filterDelivery(githubTag, { tags: ['v1.*'] }).accept).toBe(true);
		expect(filterDelivery(githubTag, { tags: ['v2.*'] })).toEqual({
			accept: false,
			reason: 'tag "v1.4.0" matches none of: v2.*',
		});
		expect(filterDelivery(githubPush, { tags: ['v2.*'] }).accept).toBe(true);
	});

	it('ignores a push that touches only deploy/ when the path filter is src/** (the bump-commit loop breaker)', () => {
		expect(filterDelivery(giteaBump, { paths: ['src/**'] })).toEqual({
			accept: false,
			reason: 'none of the 1 changed file matches: src/**',
		});
		expect(filterDelivery(githubPush, { paths: ['src/**'] }).accept).toBe(true);
		expect(filterDelivery(gitlabPush, { paths: ['Dockerfile'] }).accept).toBe(true);
		expect(filterDelivery(gitlabPush, { paths: ['src/**', '!docs/**'] }).accept).toBe(false);
		expect(filterDelivery(gitlabPush, { paths: ['**', '!docs/**'] }).accept).toBe(true); // Dockerfile still counts
	});

	it('matches dot-directories like any other path', () => {
		const dotted = { ...githubPush, changedFiles: ['.github/workflows/ci.yml'] };
		expect(filterDelivery(dotted, { paths: ['.github/**'] }).accept).toBe(true);
		expect(filterDelivery(dotted, { paths: ['**/*.yml'] }).accept).toBe(true);
	});

	it('accepts rather than loses a push whose file list is incomplete, and does not apply paths to tags', () => {
		expect(
			filterDelivery({ ...giteaBump, changedFilesComplete: false }, { paths: ['src/**'] }).accept,
		).toBe(true);
		expect(filterDelivery(githubTag, { paths: ['src/**'] }).accept).toBe(true);
	});
});
