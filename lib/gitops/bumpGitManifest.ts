import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BUMP_DEFAULTS, DEFAULT_ALLOW_PLAIN_HTTP } from './defaults';
import type * as Edits from './edits';
import {
	editScope,
	type Change,
	type EditResult,
	type ManifestEdit,
	type SkippedFile,
} from './edits/types';
import { inputError } from './errors';
import { GitCredential, prepareGitAccess } from './gitAccess';
import { describeGitFailure, isRejectedPush } from './gitRunner';
import { withRepositoryLock } from './repositoryLock';
import {
	checkSourceOrder,
	findNewerBump,
	sourceTrailers,
	type SourceOrder,
	type Superseded,
} from './sourceOrder';
import { withBumpTrailer } from './trailer';
import { unifiedDiff } from './unifiedDiff';
import { defaultCacheDir, Workspace, workspaceDir } from './workspace';

/** The edits (and the yaml and semver packages under them) on first use: n8n loads every node in every process. */
const edits = (): typeof Edits => require('./edits');

export interface BumpRequest {
	repositoryUrl: string;
	branch: string;
	/** Branch to push to; defaults to `branch`. When it exists remotely, the edit is made on top of it. */
	pushBranch?: string;
	edit: ManifestEdit;
	commitMessage: string;
	skipCi?: boolean;
	authorName?: string;
	authorEmail?: string;
	dryRun?: boolean;
	maxAttempts?: number;
	/** Accept an http:// repository URL (the token travels unencrypted). Default DEFAULT_ALLOW_PLAIN_HTTP. */
	allowPlainHttp?: boolean;
	/** The source commit this bump deploys: when a bump of a newer one is in the branch history, nothing changes (sourceOrder.ts). */
	sourceOrder?: Partial<SourceOrder>;
}

export interface BumpOptions {
	cacheDir?: string;
	allowFileProtocol?: boolean;
	/** Clone afresh a cached clone holding more than this many shallow boundaries or packs (default RECLONE_AFTER). */
	recloneAfter?: number;
}

export interface BumpResult {
	changed: boolean;
	commit?: string;
	branch: string;
	files: string[];
	changes: Change[];
	diff: string;
	attempts: number;
	skipped: SkippedFile[];
	/** How the working copy was obtained: a cached clone refreshed, or a (partial) clone made now. */
	workspace: 'warm' | 'cold-partial' | 'cold-full';
	dryRun: boolean;
	/** Set when the bump was skipped because a newer source commit is already deployed (`changed` is false). */
	superseded: Superseded | null;
}

const BRANCH_NAME =
	/^(?!-)(?!.*\.\.)(?!.*[\s~^:?*[\\])(?!.*@\{)(?!.*\/\/)(?!\/)[^\p{Cc}]+(?<![./])(?<!\.lock)$/u;

export function checkBranch(name: string, field: string): string {
	const branch = name.trim().replace(/^refs\/heads\//, '');
	if (!BRANCH_NAME.test(branch)) throw inputError(`"${name}" is not a valid branch name`, field);
	return branch;
}

export function commitMessageFor(message: string, skipCi: boolean | undefined): string {
	const text = message.trim() || BUMP_DEFAULTS.commitMessage;
	return withBumpTrailer(skipCi && !text.includes('[skip ci]') ? `${text} [skip ci]` : text);
}

function diffOf(edit: EditResult): string {
	return edit.files.map((f) => unifiedDiff(f.file, f.before, f.after)).join('');
}

function jitter(attempt: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, Math.random() * 100 * Math.min(attempt, 5)));
}

/**
 * Edits manifests in a GitOps repository and pushes one commit. Safe under concurrency: a push rejected
 * because the branch moved is answered by fetch + reset to the new tip + re-applying the edit from scratch
 * (so a value someone else already set means no commit) + push, up to maxAttempts; never a force-push.
 */
export async function bumpGitManifest(
	request: BumpRequest,
	credential: GitCredential | undefined,
	opts: BumpOptions = {},
): Promise<BumpResult> {
	const branch = checkBranch(request.branch || BUMP_DEFAULTS.branch, 'branch');
	const pushBranch = request.pushBranch?.trim()
		? checkBranch(request.pushBranch, 'pushBranch')
		: branch;
	// Paths and values are checked before any git command runs, so a bad one is named, not reported by git.
	const manifestEdit = edits().checkEdit(request.edit);
	const order = checkSourceOrder(request.sourceOrder);
	const maxAttempts = Math.max(1, Math.floor(request.maxAttempts ?? BUMP_DEFAULTS.maxAttempts));
	const cacheDir = opts.cacheDir ?? defaultCacheDir();
	const url = request.repositoryUrl.trim();
	const author = {
		...credential,
		authorName: request.authorName || credential?.authorName,
		authorEmail: request.authorEmail || credential?.authorEmail,
	};
	const access = await prepareGitAccess(url, author, {
		allowFileProtocol: opts.allowFileProtocol,
		allowPlainHttp: request.allowPlainHttp ?? DEFAULT_ALLOW_PLAIN_HTTP,
	});
	try {
		return await withRepositoryLock(workspaceDir(cacheDir, url, branch), async () => {
			const workspace = await Workspace.open({
				cacheDir,
				url,
				branch,
				pushBranch,
				access,
				scope: editScope(manifestEdit),
				recloneAfter: opts.recloneAfter,
			});
			const mode: BumpResult['workspace'] = workspace.warm
				? 'warm'
				: workspace.partialClone
					? 'cold-partial'
					: 'cold-full';
			const message =
				commitMessageFor(request.commitMessage, request.skipCi) +
				(order ? `\n\n${sourceTrailers(order)}` : '');
			for (let attempt = 1; ; attempt++) {
				const superseded = order
					? ((await findNewerBump(workspace.git, branch, 'HEAD', order)) ?? null)
					: null;
				const edit = superseded
					? { files: [], changes: [], skipped: [] }
					: await edits().planEdit(workspace.dir, manifestEdit);
				const result: BumpResult = {
					changed: edit.changes.length > 0,
					branch: pushBranch,
					files: edit.files.map((f) => f.file),
					changes: edit.changes,
					diff: diffOf(edit),
					attempts: attempt,
					skipped: edit.skipped,
					workspace: mode,
					dryRun: Boolean(request.dryRun),
					superseded,
				};
				if (!result.changed || request.dryRun) return result;
				await workspace.markClean(undefined);
				for (const file of edit.files) await writeFile(join(workspace.dir, file.file), file.after);
				// `commit -- <paths>` stages exactly the edited (tracked) files: one git process instead of add + commit.
				await workspace.git.run([
					'commit',
					'--quiet',
					'--no-verify',
					'-m',
					message,
					'--',
					...result.files,
				]);
				result.commit = await workspace.head();
				try {
					await workspace.git.run([
						'push',
						'--porcelain',
						'--quiet',
						'--no-verify',
						'origin',
						`HEAD:refs/heads/${pushBranch}`,
					]);
					// The tree is the commit that is now the remote tip: the next refresh needs no reset.
					await workspace.markClean(result.commit);
					return result;
				} catch (error) {
					if (!isRejectedPush(error) || attempt >= maxAttempts) throw error;
				}
				await jitter(attempt);
				await workspace.refresh(branch, pushBranch);
			}
		});
	} catch (error) {
		const failure = describeGitFailure(error, url, pushBranch);
		if (isRejectedPush(error)) {
			failure.message = `The push to "${pushBranch}" was rejected ${maxAttempts} times because the branch kept moving; nothing was force-pushed. Raise Max Attempts or retry later`;
		}
		throw failure;
	} finally {
		await access.dispose();
	}
}
