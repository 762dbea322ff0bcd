import { tmpdir } from 'node:os';
import { EngineError } from '../errors';
import { GitCredential, prepareGitAccess } from './gitAccess';
import { describeGitFailure, GitRunner } from './gitRunner';
import { redactUrlCredentials } from '../gitUrl';

/**
 * The gitRepositoryApi credential test: `git ls-remote --heads` against the repository, with the same
 * hardened, credential-in-environment setup a bump uses. Reads only; never changes the remote.
 */
export async function checkGitAccess(
	credential: GitCredential,
	url: string,
	opts: { allowFileProtocol?: boolean; allowPlainHttp?: boolean } = {},
): Promise<{ ok: boolean; message: string }> {
	if (!url?.trim())
		return { ok: false, message: 'Set Test Repository URL in the credential to test it' };
	let access;
	try {
		access = await prepareGitAccess(url.trim(), credential, opts);
	} catch (error) {
		return { ok: false, message: error instanceof EngineError ? error.message : String(error) };
	}
	try {
		const { stdout } = await new GitRunner(tmpdir(), access).run([
			'ls-remote',
			'--heads',
			'--',
			url.trim(),
		]);
		const heads = stdout.split('\n').filter(Boolean).length;
		return {
			ok: true,
			message: `Connected to ${redactUrlCredentials(url.trim())}: ${heads} branch${heads === 1 ? '' : 'es'}`,
		};
	} catch (error) {
		return { ok: false, message: describeGitFailure(error, url.trim(), '').message };
	} finally {
		await access.dispose();
	}
}
