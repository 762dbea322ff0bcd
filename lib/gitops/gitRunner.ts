import { spawn } from 'node:child_process';
import { InputError, RemoteError } from '../errors';
import { inputError, remoteError, type BumpError } from './errors';
import type { GitAccess } from './gitAccess';
import { redactUrlCredentials } from '../gitUrl';
import { redact } from '../redact';

/** A git command failed; `output` is its redacted stdout+stderr. */
export class GitCommandError extends RemoteError {
	constructor(
		readonly command: string,
		readonly output: string,
	) {
		super(`git ${command} failed: ${output.trim().split('\n').slice(-3).join(' | ')}`);
	}
}

/**
 * silenceLimitMs: a command that prints nothing for this long is taken as hung (a stalled server) and stopped
 * with SIGTERM, on which git removes its lock files. killGraceMs: if it has not exited that long after, SIGKILL
 * (a git stuck where SIGTERM does not reach it must not hold the repository lock forever). Exported so a test
 * can shorten them.
 */
export const gitTiming = { silenceLimitMs: 120_000, killGraceMs: 10_000 };

/**
 * Runs git commands in one directory with the access environment; every message leaves here redacted.
 *
 * git is spawned directly, without a shell and with exactly the access environment (nothing inherited), so the
 * pinned config and credentials of gitAccess.ts are all git sees. simple-git is not used here: it waits 50 ms
 * after every command that printed nothing (its completion heuristic, not configurable), and most commands of a
 * bump are silent, so it cost ~250 ms of a ~500 ms warm bump. Its argument guards are not needed: every
 * argument is ours, and user values (branch, paths, URL, message) are checked first and passed after `--`,
 * inside a refspec, or as the value of `-m`.
 */
export class GitRunner {
	constructor(
		readonly baseDir: string,
		private readonly access: GitAccess,
	) {}

	run(args: string[]): Promise<{ stdout: string; stderr: string }> {
		return new Promise((resolve, reject) => {
			const child = spawn('git', args, {
				cwd: this.baseDir,
				env: this.access.env,
				stdio: ['ignore', 'pipe', 'pipe'],
			});
			const stdout: Buffer[] = [];
			const stderr: Buffer[] = [];
			let problem: string | undefined;
			let silence: NodeJS.Timeout | undefined;
			let grace: NodeJS.Timeout | undefined;
			const watch = () => {
				if (problem) return;
				clearTimeout(silence);
				silence = setTimeout(() => {
					problem = `no output for ${gitTiming.silenceLimitMs / 1000} s, stopped`;
					child.kill('SIGTERM'); // git removes its lock files on SIGTERM, not on SIGKILL
					grace = setTimeout(() => child.kill('SIGKILL'), gitTiming.killGraceMs);
				}, gitTiming.silenceLimitMs);
			};
			// A promise settles once, so a second call (an 'error' then a 'close') changes nothing.
			const finish = (code: number | null, signal: NodeJS.Signals | null) => {
				clearTimeout(silence);
				clearTimeout(grace);
				const out = Buffer.concat(stdout).toString();
				const err = Buffer.concat(stderr).toString();
				if (code === 0 && !problem) return resolve({ stdout: out, stderr: this.clean(err) });
				const status = problem ?? (signal ? `killed by ${signal}` : `exit code ${code}`);
				const command =
					args.find((arg, i) => !arg.startsWith('-') && args[i - 1] !== '-c') ?? 'git';
				reject(new GitCommandError(command, this.clean(`${out}\n${err}\n${status}`)));
			};
			child.stdout.on('data', (chunk: Buffer) => (stdout.push(chunk), watch()));
			child.stderr.on('data', (chunk: Buffer) => (stderr.push(chunk), watch()));
			child.once('error', (error) => {
				problem = error.message;
				if (child.pid === undefined) finish(null, null); // never started (no git on PATH, no directory)
			});
			child.once('close', finish);
			watch();
		});
	}

	clean(text: string): string {
		return redact(text, this.access.secrets);
	}
}

const REJECTED_PUSH =
	/\[rejected\]|\[remote rejected\][^\n]*\((failed to update ref|cannot lock ref)|cannot lock ref|stale info|fetch first|non-fast-forward/;

/** A push refused because the branch moved meanwhile (retry after re-applying), not for auth or policy. */
export function isRejectedPush(error: unknown): boolean {
	return error instanceof GitCommandError && REJECTED_PUSH.test(error.output);
}

/** Turns git's output into the error a user can act on; the URL is shown without credentials. */
export function describeGitFailure(error: unknown, url: string, branch: string): BumpError {
	if (
		error instanceof InputError ||
		(error instanceof RemoteError && !(error instanceof GitCommandError))
	)
		return error;
	if (!(error instanceof GitCommandError))
		return remoteError(
			redactUrlCredentials(error instanceof Error ? error.message : String(error)),
		);
	const where = redactUrlCredentials(url);
	const output = error.output;
	if (
		/Remote branch .* not found|couldn't find remote ref|Could not find remote branch/i.test(output)
	) {
		return inputError(`Branch "${branch}" does not exist in ${where}`, 'branch');
	}
	if (
		/Authentication failed|HTTP Basic: Access denied|could not read (Username|Password)|terminal prompts disabled|returned error: 40[13]|Permission denied \(publickey|Invalid username or password/i.test(
			output,
		)
	) {
		return remoteError(
			`Authentication to ${where} failed: check the username and token (or SSH key) of the Git Repository credential`,
			output,
		);
	}
	if (
		/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No \S+ host key is known/i.test(
			output,
		)
	) {
		return remoteError(
			`The SSH host key of ${where} is not in the credential's Known Hosts (host keys are always checked)`,
			output,
		);
	}
	if (
		/protected branch|pre-receive hook declined|denied to|refusing to|not allowed to push/i.test(
			output,
		)
	) {
		return remoteError(`${where} refused the push to "${branch}"`, output);
	}
	if (
		/Could not resolve host|Connection refused|Failed to connect|Couldn't connect|timed out|Connection reset|unable to access|does not appear to be a git repository|repository .* not found|returned error: 404|not found/i.test(
			output,
		)
	) {
		return remoteError(
			`Cannot reach the repository ${where}: check the URL and that the server is reachable`,
			output,
		);
	}
	return remoteError(`git ${error.command} failed for ${where}`, output);
}
