import { branchAndTag, changedFilesOf, fullSha, isDeletion } from './gitRef';
import type { NormalisedEvent, WebhookProvider } from './types';

/** What a git host's push payload says, before the delivery id is attached. */
export type GitEventDescription = Omit<NormalisedEvent, 'deliveryId'>;

type Json = Record<string, unknown>;

/**
 * GitHub's webhook lists at most 2048 commits and has no total count, so a full list can't be told apart from
 * a cut one; treat a list of exactly that size as cut.
 */
const GITHUB_MAX_LISTED_COMMITS = 2048;

function asObject(value: unknown): Json {
	return value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
}

function asString(value: unknown): string | null {
	return typeof value === 'string' && value !== '' ? value : null;
}

/** push (branch), tag, or delete (either kind of ref went away), from the ref and the new object name. */
function classifyPush(ref: string | null, after: unknown, deletedFlag: unknown): string {
	if (deletedFlag === true || isDeletion(after)) return 'delete';
	return ref?.startsWith('refs/tags/') ? 'tag' : 'push';
}

interface PushFields {
	provider: WebhookProvider;
	event: string;
	ref: string | null;
	commit: string | null;
	repositoryName: string | null;
	cloneUrl: string | null;
	commits: unknown;
	/** Whether the payload lists every pushed commit (and the push is relative to an earlier commit at all). */
	listsEveryCommit: boolean;
}

function describe(fields: PushFields): GitEventDescription {
	const changedFiles = fields.event === 'push' ? changedFilesOf(fields.commits) : [];
	return {
		provider: fields.provider,
		event: fields.event,
		repository: { name: fields.repositoryName, cloneUrl: fields.cloneUrl },
		ref: fields.ref,
		...branchAndTag(fields.ref),
		commit: fields.commit,
		changedFiles,
		changedFilesComplete: fields.event === 'push' && fields.listsEveryCommit,
	};
}

/**
 * GitHub, Gitea, Forgejo and Gogs share the push payload shape: `ref`, `before`, `after`, `commits[]` with
 * `added`/`modified`/`removed`, `head_commit`, and `repository.full_name`/`clone_url`. Gitea adds
 * `total_commits` (it lists only the newest few); GitHub has `created`/`deleted` flags.
 * `headerEvent` is the provider's event header (X-GitHub-Event, X-Gitea-Event): only `push` is a push;
 * any other event keeps its own name and is described as far as the payload allows.
 */
export function describeGitHubStylePush(provider: WebhookProvider, headerEvent: string | null, body: unknown): GitEventDescription {
	const payload = asObject(body);
	const repository = asObject(payload.repository);
	const ref = asString(payload.ref);
	const commits = Array.isArray(payload.commits) ? payload.commits : [];
	const totalCommits = typeof payload.total_commits === 'number' ? payload.total_commits : undefined;
	const isNewRef = payload.created === true || isDeletion(payload.before);
	const listsEveryCommit = !isNewRef && (totalCommits !== undefined ? commits.length >= totalCommits : commits.length < GITHUB_MAX_LISTED_COMMITS);
	const event = headerEvent === 'push' ? classifyPush(ref, payload.after, payload.deleted) : (headerEvent ?? 'unknown');
	return describe({
		provider,
		event,
		// A create/delete event's `ref` is a bare name (`main`), not a full ref: only pushes have full refs.
		ref: headerEvent === 'push' ? ref : null,
		commit: fullSha(asObject(payload.head_commit).id) ?? fullSha(payload.after),
		repositoryName: asString(repository.full_name) ?? asString(repository.name),
		cloneUrl: asString(repository.clone_url),
		commits,
		listsEveryCommit,
	});
}

/**
 * GitLab's Push Hook and Tag Push Hook: `object_kind` push/tag_push, `checkout_sha` (the commit, also for
 * annotated tags whose `after` is the tag object), `project.path_with_namespace`/`git_http_url`, and
 * `total_commits_count` next to at most 20 listed commits.
 */
export function describeGitLabPush(headerEvent: string | null, body: unknown): GitEventDescription {
	const payload = asObject(body);
	const project = asObject(payload.project);
	const repository = asObject(payload.repository);
	const ref = asString(payload.ref);
	const commits = Array.isArray(payload.commits) ? payload.commits : [];
	const total = typeof payload.total_commits_count === 'number' ? payload.total_commits_count : commits.length;
	const kind = asString(payload.object_kind);
	const isPushHook = headerEvent === 'Push Hook' || headerEvent === 'Tag Push Hook' || kind === 'push' || kind === 'tag_push';
	return describe({
		provider: 'gitlab',
		event: isPushHook ? classifyPush(ref, payload.after, undefined) : (kind ?? headerEvent ?? 'unknown'),
		ref: isPushHook ? ref : null,
		commit: fullSha(payload.checkout_sha) ?? fullSha(payload.after),
		repositoryName: asString(project.path_with_namespace) ?? asString(repository.name),
		cloneUrl: asString(project.git_http_url) ?? asString(repository.git_http_url),
		commits,
		listsEveryCommit: !isDeletion(payload.before) && commits.length >= total,
	});
}
