import { checkBranch } from './bumpGitManifest';
import { inputError } from './errors';
import { prepareGitAccess, type GitCredential } from './gitAccess';
import { describeGitFailure, GitCommandError, isRejectedPush } from './gitRunner';
import { withRepositoryLock } from './repositoryLock';
import { BUMP_TRAILER, hasBumpTrailer, withBumpTrailer } from './trailer';
import { defaultCacheDir, Workspace, workspaceDir } from './workspace';
import type { BumpOptions } from './bumpGitManifest';

/**
 * Bump Git Manifest's `revert` operation: undoes one of its own bump commits on the branch with `git revert`
 * (a new commit, history kept), pushed with the same fetch + reset + redo + retry loop as a bump, never forced.
 * It refuses a commit without the bump trailer (or by another author than the configured one), a commit that
 * is not on the branch, and one that later commits changed again (it would not revert cleanly); a commit that
 * is already reverted, or whose change is no longer on the branch, is a no-op.
 */
export interface RevertRequest {
	repositoryUrl: string;
	branch: string;
	/** The bump commit to revert (Bump Git Manifest's `commit` output). */
	commit: string;
	/** Why, written into the revert commit's message (e.g. Wait for Rollout's message). */
	reason?: string;
	authorName?: string;
	authorEmail?: string;
	skipCi?: boolean;
	maxAttempts?: number;
	/** An http:// remote is accepted only with this opt-in, as for a bump. */
	allowPlainHttp?: boolean;
}

export interface RevertResult {
	operation: 'revert';
	changed: boolean;
	/** The revert commit pushed now, or the earlier one that already reverted it. */
	commit: string | null;
	reverted: string;
	alreadyReverted: boolean;
	branch: string;
	files: string[];
	attempts: number;
}

const SHA = /^[0-9a-f]{7,64}$/;
const REASON_MAX = 2000;

/** The message git revert writes, plus the reason and our trailer. */
export function revertMessage(
	subject: string,
	commit: string,
	reason: string | undefined,
	skipCi: boolean | undefined,
): string {
	const why = (reason ?? '').trim().slice(0, REASON_MAX);
	const title = `Revert "${subject}"${skipCi && !subject.includes('[skip ci]') ? ' [skip ci]' : ''}`;
	return withBumpTrailer(
		[title, ...(why ? ['', why] : []), '', `This reverts commit ${commit}.`].join('\n'),
	);
}

export async function revertGitManifest(
	request: RevertRequest,
	credential: GitCredential | undefined,
	opts: BumpOptions = {},
): Promise<RevertResult> {
	const branch = checkBranch(request.branch || 'main', 'branch');
	const wanted = request.commit.trim().toLowerCase();
	if (!SHA.test(wanted))
		throw inputError(
			`Commit to revert "${request.commit.slice(0, 80)}" is not a commit SHA: use the "commit" output of the bump`,
			'revertCommit',
		);
	const maxAttempts = Math.max(1, Math.floor(request.maxAttempts ?? 5));
	const cacheDir = opts.cacheDir ?? defaultCacheDir();
	const url = request.repositoryUrl.trim();
	const author = {
		...credential,
		authorName: request.authorName || credential?.authorName,
		authorEmail: request.authorEmail || credential?.authorEmail,
	};
	const access = await prepareGitAccess(url, author, {
		allowFileProtocol: opts.allowFileProtocol,
		allowPlainHttp: request.allowPlainHttp,
	});
	try {
		return await withRepositoryLock(workspaceDir(cacheDir, url, branch), async () => {
			const workspace = await Workspace.open({
				cacheDir,
				url,
				branch,
				access,
				scope: [''],
				recloneAfter: opts.recloneAfter,
			});
			const git = (args: string[]) => workspace.git.run(args).then((r) => r.stdout.trim());
			const ok = (args: string[]) =>
				workspace.git.run(args).then(
					() => true,
					() => false,
				);
			for (let attempt = 1; ; attempt++) {
				// The commit and its parent must be here: a shallow cache may start after them.
				if (
					!(await ok(['rev-parse', '--verify', '--quiet', `${wanted}^{commit}`])) ||
					!(await ok(['rev-parse', '--verify', '--quiet', `${wanted}^`]))
				) {
					await ok([
						'fetch',
						'--quiet',
						'--no-tags',
						'--no-write-fetch-head',
						'--depth=2',
						'origin',
						wanted,
					]);
				}
				if (!(await ok(['merge-base', '--is-ancestor', wanted, 'HEAD'])))
					await ok([
						'fetch',
						'--quiet',
						'--no-tags',
						'--no-write-fetch-head',
						'--deepen=200',
						'origin',
						branch,
					]);
				const full = await git(['rev-parse', '--verify', '--quiet', `${wanted}^{commit}`]).catch(
					() => '',
				);
				if (!full || !(await ok(['merge-base', '--is-ancestor', full, 'HEAD']))) {
					throw inputError(
						`Commit ${wanted} is not on branch "${branch}" of the repository: nothing to revert`,
						'revertCommit',
					);
				}
				const [authorEmail, ...body] = (await git(['show', '-s', '--format=%ae%n%B', full])).split(
					'\n',
				);
				const message = body.join('\n');
				const expectedEmail = author.authorEmail?.trim().toLowerCase();
				if (
					!hasBumpTrailer(message) ||
					(expectedEmail && authorEmail.trim().toLowerCase() !== expectedEmail)
				) {
					throw inputError(
						`Commit ${full.slice(0, 12)} was not made by Bump Git Manifest (${hasBumpTrailer(message) ? `author ${authorEmail}, not ${expectedEmail}` : `no "${BUMP_TRAILER}" trailer`}): only its own bumps are reverted`,
						'revertCommit',
					);
				}
				const result: RevertResult = {
					operation: 'revert',
					changed: false,
					commit: null,
					reverted: full,
					alreadyReverted: false,
					branch,
					files: [],
					attempts: attempt,
				};
				const earlier = await git([
					'log',
					'--format=%H',
					'-F',
					`--grep=This reverts commit ${full}.`,
					`${full}..HEAD`,
				]);
				if (earlier) return { ...result, alreadyReverted: true, commit: earlier.split('\n')[0] };
				await workspace.markClean(undefined);
				try {
					await git(['revert', '--no-commit', '--no-edit', full]);
				} catch (error) {
					await ok(['revert', '--abort']);
					await ok(['reset', '--quiet', '--hard', 'HEAD']);
					const files = await git(['diff-tree', '--no-commit-id', '--name-only', '-r', full]).catch(
						() => '',
					);
					throw inputError(
						`Commit ${full.slice(0, 12)} cannot be reverted cleanly: later commits changed ${files.split('\n').filter(Boolean).join(', ') || 'the same files'} again (a newer deploy?). Nothing was pushed`,
						'revertCommit',
						error instanceof GitCommandError
							? error.output.trim().split('\n').slice(-2).join(' ')
							: undefined,
					);
				}
				result.files = (await git(['diff', '--cached', '--name-only'])).split('\n').filter(Boolean);
				if (result.files.length === 0) {
					// The branch no longer has the change (someone undid it by hand): there is nothing to revert.
					await git(['reset', '--quiet', '--hard', 'HEAD']);
					await workspace.markClean(await workspace.head());
					return { ...result, alreadyReverted: true };
				}
				const subject = message.split('\n')[0];
				await git([
					'commit',
					'--quiet',
					'--no-verify',
					'-m',
					revertMessage(subject, full, request.reason, request.skipCi),
				]);
				result.commit = await workspace.head();
				result.changed = true;
				try {
					await git([
						'push',
						'--porcelain',
						'--quiet',
						'--no-verify',
						'origin',
						`HEAD:refs/heads/${branch}`,
					]);
					await workspace.markClean(result.commit);
					return result;
				} catch (error) {
					if (!isRejectedPush(error) || attempt >= maxAttempts) throw error;
				}
				await new Promise((resolve) =>
					setTimeout(resolve, Math.random() * 100 * Math.min(attempt, 5)),
				);
				await workspace.refresh(branch);
			}
		});
	} catch (error) {
		const failure = describeGitFailure(error, url, branch);
		if (isRejectedPush(error)) {
			failure.message = `The revert push to "${branch}" was rejected ${maxAttempts} times because the branch kept moving; nothing was force-pushed. Raise Max Attempts or retry later`;
		}
		throw failure;
	} finally {
		await access.dispose();
	}
}
