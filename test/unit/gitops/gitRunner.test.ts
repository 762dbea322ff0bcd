import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitCommandError, GitRunner, gitTiming } from '../../../lib/gitops/gitRunner';

describe('a git that stays silent', () => {
	let bin: string;
	const saved = { ...gitTiming };
	beforeAll(async () => {
		bin = await mkdtemp(join(tmpdir(), 'git-runner-'));
		// Stands in for a git stuck where SIGTERM does not reach it: it ignores SIGTERM and prints nothing.
		await writeFile(join(bin, 'git'), "#!/bin/sh\ntrap '' TERM\nexec sleep 60\n");
		await chmod(join(bin, 'git'), 0o755);
		Object.assign(gitTiming, { silenceLimitMs: 100, killGraceMs: 100 });
	});
	afterAll(async () => {
		Object.assign(gitTiming, saved);
		await rm(bin, { recursive: true, force: true });
	});

	it('gets SIGTERM, then SIGKILL when it ignores that, and the command fails naming the silence', async () => {
		const runner = new GitRunner(bin, {
			env: { PATH: `${bin}:/usr/bin:/bin` },
			secrets: [],
			dispose: async () => undefined,
		});
		const error = await runner.run(['fetch', 'origin']).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(GitCommandError);
		expect((error as GitCommandError).command).toBe('fetch');
		expect((error as GitCommandError).output).toMatch(/no output for 0\.1 s, stopped/);
	});
});
