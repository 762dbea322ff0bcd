import {
	branchAndTag,
	changedFilesOf,
	commitWithoutFileLists,
	fullSha,
	isDeletion,
} from './gitRef';
import type { NormalisedEvent, WebhookProvider } from './types';

/** What a git host's push payload says, before the delivery id is attached. */
export type GitEventDescription = Omit<NormalisedEvent, 'deliveryId'>;

type Json = Record<string, unknown>;

/**
 * GitHub's webhook lists at most 2048 commits and has no total count, so a full list can't be told apart from
 * a cut one; treat a list of exactly that size as cut. Only GitHub has this rule: other senders say how many
 * commits were pushed, or the list is treated as possibly cut.
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

/**
 * GitHub's and Gitea's create/delete events name the ref bare (`main`, `v1.0`) with `ref_type` saying which
 * kind it is; the full ref lets branch and tag filters apply to them like to pushes.
 */
function fullRefOf(name: string | null, refType: unknown): string | null {
	if (name === null) return null;
	if (name.startsWith('refs/')) return name;
	if (refType === 'branch') return `refs/heads/${name}`;
	if (refType === 'tag') return `refs/tags/${name}`;
	return null;
}

/** What a push payload says about how many commits it lists. */
interface CommitListing {
	provider: WebhookProvider;
	commits: unknown[];
	/** The sender's count of pushed commits (Gitea `total_commits`, GitLab `total_commits_count`), if it sends one. */
	total: number | undefined;
	/** The ref did not exist before this push: there is no earlier commit the list is relative to. */
	isNewRef: boolean;
	/** GitHub's `forced`: commits were replaced, and the replaced ones are not listed. */
	forced: boolean;
}

/**
 * Why the listed commits may not name every changed file, or null when they do. Each reason is a case where a
 * path filter could skip a build that changed watched files, so the filter lets such a push through instead.
 */
function incompleteListReason(listing: CommitListing): string | null {
	const listed = listing.commits.length;
	if (listing.isNewRef) return 'the ref is new, so no earlier commit bounds the listed commits';
	if (listing.forced) return 'it is a force push, and the commits it replaced are not listed';
	if (listing.total !== undefined) {
		if (listed < listing.total)
			return `the payload lists ${listed} of ${listing.total} pushed commits`;
	} else if (listing.provider === 'github') {
		if (listed >= GITHUB_MAX_LISTED_COMMITS)
			return `GitHub lists at most ${GITHUB_MAX_LISTED_COMMITS} commits of a push`;
	} else {
		return 'the payload does not say how many commits were pushed, so its list may be cut short';
	}
	if (listed === 0) return 'the payload lists no commits';
	const bare = commitWithoutFileLists(listing.commits);
	if (bare !== null) return `commit ${bare} is listed without added/modified/removed files`;
	return null;
}

interface EventFields {
	provider: WebhookProvider;
	event: string;
	ref: string | null;
	commit: string | null;
	repositoryName: string | null;
	cloneUrl: string | null;
	commits: unknown[];
	/** GitHub's and Gitea's `head_commit`, where the payload has one. */
	headCommit?: unknown;
	/** For a branch push: why the file list may be incomplete (null: it is complete). Other events list no files. */
	incompleteBecause: string | null;
}

/** When the pushed commit was made, as the payload states it (ISO 8601), from the listed commit with its id. */
function commitTimestampOf(commit: string | null, candidates: unknown[]): string | null {
	if (!commit) return null;
	const listed = candidates.map(asObject).find((candidate) => candidate.id === commit);
	return asString(listed?.timestamp) ?? null;
}

function describe(fields: EventFields): GitEventDescription {
	const isPush = fields.event === 'push';
	return {
		provider: fields.provider,
		event: fields.event,
		repository: { name: fields.repositoryName, cloneUrl: fields.cloneUrl },
		ref: fields.ref,
		...branchAndTag(fields.ref),
		commit: fields.commit,
		commitTimestamp: commitTimestampOf(fields.commit, [fields.headCommit, ...fields.commits]),
		changedFiles: isPush ? changedFilesOf(fields.commits) : [],
		changedFilesComplete: isPush && fields.incompleteBecause === null,
		...(isPush && fields.incompleteBecause !== null
			? { changedFilesIncompleteReason: fields.incompleteBecause }
			: {}),
	};
}

/**
 * GitHub, Gitea, Forgejo and Gogs share the push payload shape: `ref`, `before`, `after`, `commits[]` with
 * `added`/`modified`/`removed`, `head_commit`, and `repository.full_name`/`clone_url`. Gitea adds
 * `total_commits` (it lists only the newest few); GitHub has `created`/`deleted`/`forced` flags.
 * `headerEvent` is the provider's event header (X-GitHub-Event, X-Gitea-Event): `push` is a push; `create` and
 * `delete` carry a bare ref plus `ref_type` (and for Gitea's create, `sha`); any other event keeps its own name
 * and is described as far as the payload allows.
 */
export function describeGitHubStylePush(
	provider: WebhookProvider,
	headerEvent: string | null,
	body: unknown,
): GitEventDescription {
	const payload = asObject(body);
	const repository = asObject(payload.repository);
	const commits = Array.isArray(payload.commits) ? payload.commits : [];
	const common = {
		provider,
		repositoryName: asString(repository.full_name) ?? asString(repository.name),
		cloneUrl: asString(repository.clone_url),
		commits,
		headCommit: payload.head_commit,
		incompleteBecause: null,
	};
	if (headerEvent === 'create' || headerEvent === 'delete') {
		return describe({
			...common,
			event: headerEvent,
			ref: fullRefOf(asString(payload.ref), payload.ref_type),
			commit: headerEvent === 'create' ? fullSha(payload.sha) : null,
		});
	}
	const ref = asString(payload.ref);
	const isPush = headerEvent === 'push';
	return describe({
		...common,
		event: isPush ? classifyPush(ref, payload.after, payload.deleted) : (headerEvent ?? 'unknown'),
		ref: isPush ? ref : null,
		commit: fullSha(asObject(payload.head_commit).id) ?? fullSha(payload.after),
		incompleteBecause: incompleteListReason({
			provider,
			commits,
			total: typeof payload.total_commits === 'number' ? payload.total_commits : undefined,
			isNewRef: payload.created === true || isDeletion(payload.before),
			forced: payload.forced === true,
		}),
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
	const kind = asString(payload.object_kind);
	const isPushHook =
		headerEvent === 'Push Hook' ||
		headerEvent === 'Tag Push Hook' ||
		kind === 'push' ||
		kind === 'tag_push';
	return describe({
		provider: 'gitlab',
		event: isPushHook
			? classifyPush(ref, payload.after, undefined)
			: (kind ?? headerEvent ?? 'unknown'),
		ref: isPushHook ? ref : null,
		commit: fullSha(payload.checkout_sha) ?? fullSha(payload.after),
		repositoryName: asString(project.path_with_namespace) ?? asString(repository.name),
		cloneUrl: asString(project.git_http_url) ?? asString(repository.git_http_url),
		commits,
		incompleteBecause: incompleteListReason({
			provider: 'gitlab',
			commits,
			total:
				typeof payload.total_commits_count === 'number' ? payload.total_commits_count : undefined,
			isNewRef: isDeletion(payload.before),
			forced: false,
		}),
	});
}
