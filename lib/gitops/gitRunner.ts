import { simpleGit } from 'simple-git';
import { BumpError, inputError, remoteError } from './errors';
import type { GitAccess } from './gitAccess';
import { redact, redactUrls } from './redact';

/** A git command failed; `output` is its redacted stdout+stderr. */
export class GitCommandError extends Error {
	constructor(
		readonly command: string,
		readonly output: string,
	) {
		super(`git ${command} failed: ${output.trim().split('\n').slice(-3).join(' | ')}`);
		this.name = 'GitCommandError';
	}
}

// simple-git refuses these config keys and env variables unless opted in; we set each of them ourselves, to
// safe values, precisely to pin them (see PINNED_CONFIG in gitAccess.ts).
const UNSAFE_OPT_INS = {
	allowUnsafeConfigEnvCount: true,
	allowUnsafeConfigPaths: true,
	allowUnsafeHooksPath: true,
	allowUnsafeFsMonitor: true,
	allowUnsafeCredentialHelper: true,
	allowUnsafeSshCommand: true,
} as const;

/** Runs git commands in one directory with the access environment; every message leaves here redacted. */
export class GitRunner {
	constructor(
		readonly baseDir: string,
		private readonly access: GitAccess,
	) {}

	async run(args: string[]): Promise<{ stdout: string; stderr: string }> {
		let stderr = '';
		const git = simpleGit({
			baseDir: this.baseDir,
			unsafe: UNSAFE_OPT_INS,
			allowEnvironment: Object.keys(this.access.env),
			timeout: { block: 120_000 },
		})
			.env(this.access.env)
			.outputHandler((_command, _stdout, err) => err.on('data', (chunk: Buffer) => (stderr += chunk.toString())));
		try {
			const stdout = await git.raw(args);
			return { stdout, stderr: this.clean(stderr) };
		} catch (error) {
			const message = error instanceof Error ? error.message : String(error);
			throw new GitCommandError(args[0], this.clean(`${message}\n${stderr}`));
		}
	}

	clean(text: string): string {
		return redact(text, this.access.secrets);
	}
}

const REJECTED_PUSH = /\[rejected\]|\[remote rejected\][^\n]*\((failed to update ref|cannot lock ref)|cannot lock ref|stale info|fetch first|non-fast-forward/;

/** A push refused because the branch moved meanwhile (retry after re-applying), not for auth or policy. */
export function isRejectedPush(error: unknown): boolean {
	return error instanceof GitCommandError && REJECTED_PUSH.test(error.output);
}

/** Turns git's output into the error a user can act on; the URL is shown without credentials. */
export function describeGitFailure(error: unknown, url: string, branch: string): BumpError {
	if (error instanceof BumpError) return error;
	if (!(error instanceof GitCommandError)) return remoteError(redactUrls(error instanceof Error ? error.message : String(error)));
	const where = redactUrls(url);
	const output = error.output;
	if (/Remote branch .* not found|couldn't find remote ref|Could not find remote branch/i.test(output)) {
		return inputError(`Branch "${branch}" does not exist in ${where}`, 'branch');
	}
	if (/Authentication failed|HTTP Basic: Access denied|could not read (Username|Password)|terminal prompts disabled|returned error: 40[13]|Permission denied \(publickey|Invalid username or password/i.test(output)) {
		return remoteError(`Authentication to ${where} failed: check the username and token (or SSH key) of the Git Repository credential`, output);
	}
	if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No \S+ host key is known/i.test(output)) {
		return remoteError(`The SSH host key of ${where} is not in the credential's Known Hosts (host keys are always checked)`, output);
	}
	if (/protected branch|pre-receive hook declined|denied to|refusing to|not allowed to push/i.test(output)) {
		return remoteError(`${where} refused the push to "${branch}"`, output);
	}
	if (/Could not resolve host|Connection refused|Failed to connect|Couldn't connect|timed out|Connection reset|unable to access|does not appear to be a git repository|repository .* not found|returned error: 404|not found/i.test(output)) {
		return remoteError(`Cannot reach the repository ${where}: check the URL and that the server is reachable`, output);
	}
	return remoteError(`git ${error.command} failed for ${where}`, output);
}
