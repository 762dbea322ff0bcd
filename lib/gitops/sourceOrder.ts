import { quoteValue } from '../errors';
import { inputError } from './errors';
import type { GitRunner } from './gitRunner';

/**
 * Order-aware bumps: a replayed (or late) build of an older source commit must not move a manifest back.
 *
 * Every bump made with a source order carries three trailers in its commit message (Source-Repository,
 * Source-Commit, Source-Commit-Time). Before editing, the history of the branch is searched for a bump of the
 * same source repository whose source commit is newer; if there is one, the bump is skipped and says so. The
 * source commit time (the push payload's head_commit.timestamp, inside the signed body, so a replay carries the
 * original time) is the order: along a branch's history a commit is not older than its parents, so "not newer
 * than the deployed commit" stands in for "an ancestor of it" without access to the app repository.
 *
 * Only the history that can hold a newer bump is fetched: a bump of a newer source commit was committed after
 * that commit, so at most CLOCK_SKEW_MS before this one's time (`--shallow-since`).
 */

export interface SourceOrder {
	/** The key bumps are ordered under, e.g. the app repository `org/webapp`. */
	repository: string;
	/** The source commit built (7 to 64 hex digits). */
	commit: string;
	/** The source commit's time: ISO 8601, or Unix seconds. */
	time: string;
}

/** The newer bump that made this one superseded. */
export interface Superseded {
	sourceCommit: string;
	sourceCommitTime: string;
	/** The bump's source commit, deployed since. */
	deployedSourceCommit: string;
	deployedSourceCommitTime: string;
	/** The GitOps commit that deployed it. */
	deployedBy: string;
}

const CLOCK_SKEW_MS = 24 * 3600_000;
const KEYS = {
	repository: 'Source-Repository',
	commit: 'Source-Commit',
	time: 'Source-Commit-Time',
} as const;

/** Checks and normalises the order fields (the time as ISO 8601 UTC); all empty means no order. */
export function checkSourceOrder(order: Partial<SourceOrder> | undefined): SourceOrder | undefined {
	const repository = order?.repository?.trim() ?? '';
	const commit = order?.commit?.trim().toLowerCase() ?? '';
	const time = order?.time?.trim() ?? '';
	if (!repository && !commit && !time) return undefined;
	if (!/^[\x21-\x7e]{1,200}$/.test(repository)) {
		throw inputError(
			`sourceRepository ${quoteValue(repository)} must be 1 to 200 printable characters without spaces, e.g. org/webapp`,
			'sourceRepository',
		);
	}
	if (!/^[0-9a-f]{7,64}$/.test(commit))
		throw inputError(
			`sourceCommit ${quoteValue(commit)} is not a commit id: give the built commit's SHA`,
			'sourceCommit',
		);
	const millis = /^\d{1,12}$/.test(time) ? Number(time) * 1000 : Date.parse(time);
	if (!time || !Number.isFinite(millis)) {
		throw inputError(
			`sourceCommitTime ${quoteValue(time)} is not a time: give the commit's ISO 8601 timestamp (a GitHub push's head_commit.timestamp) or Unix seconds`,
			'sourceCommitTime',
		);
	}
	return { repository, commit, time: new Date(millis).toISOString() };
}

/** The trailers a bump commit carries. */
export function sourceTrailers(order: SourceOrder): string {
	return `${KEYS.repository}: ${order.repository}\n${KEYS.commit}: ${order.commit}\n${KEYS.time}: ${order.time}`;
}

/**
 * Looks for a bump of a newer commit of the same source repository in the history of `ref`. Deepens (or
 * shortens) the shallow clone to the commits since `order.time` minus the clock skew allowance first.
 */
export async function findNewerBump(
	git: GitRunner,
	remoteBranch: string,
	ref: string,
	order: SourceOrder,
): Promise<Superseded | undefined> {
	const since = Math.floor((Date.parse(order.time) - CLOCK_SKEW_MS) / 1000);
	// A tip committed before then has no newer bump behind it (and the server refuses a shallow fetch that selects nothing).
	const tipTime = Number((await git.run(['log', '-1', '--format=%ct', ref, '--'])).stdout.trim());
	if (tipTime < since) return undefined;
	await git.run([
		'fetch',
		'--quiet',
		'--no-tags',
		'--no-write-fetch-head',
		`--shallow-since=${since}`,
		'origin',
		`+refs/heads/${remoteBranch}:refs/remotes/origin/${remoteBranch}`,
	]);
	const field = (key: string) => `%(trailers:key=${key},valueonly,separator=%x1d)`;
	const format = `%H%x1f${field(KEYS.repository)}%x1f${field(KEYS.commit)}%x1f${field(KEYS.time)}%x1e`;
	const { stdout } = await git.run(['log', `--since=${since}`, `--format=${format}`, ref, '--']);
	const mine = Date.parse(order.time);
	for (const record of stdout.split('\x1e')) {
		const [gitopsCommit, repository, commit, time] = record.trim().split('\x1f');
		if (!gitopsCommit || repository?.trim() !== order.repository) continue;
		const deployedAt = Date.parse(time?.trim() ?? '');
		if (commit?.trim() !== order.commit && deployedAt > mine) {
			return {
				sourceCommit: order.commit,
				sourceCommitTime: order.time,
				deployedSourceCommit: commit.trim(),
				deployedSourceCommitTime: new Date(deployedAt).toISOString(),
				deployedBy: gitopsCommit,
			};
		}
	}
	return undefined;
}
