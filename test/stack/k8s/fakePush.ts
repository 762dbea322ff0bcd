import { appendFileSync } from 'node:fs';
import { createHash } from 'node:crypto';

/**
 * A stand-in for test/stack/registry's pushTestImage, loaded by the stand-in's server through its `pushModule`
 * option: it takes FAKE_PUSH_DELAY_MS to "push" and appends each call to FAKE_PUSH_LOG, so tests can cut a
 * push short (restart) and count pushes without a registry.
 */
export async function pushTestImage(opts: {
	registry: string;
	repository: string;
	tags: string[];
	seed?: string;
}): Promise<{ digest: string }> {
	await new Promise((r) => setTimeout(r, Number(process.env.FAKE_PUSH_DELAY_MS ?? 0)));
	if (process.env.FAKE_PUSH_LOG)
		appendFileSync(process.env.FAKE_PUSH_LOG, `${JSON.stringify({ ...opts, pid: process.pid })}\n`);
	return { digest: `sha256:${createHash('sha256').update(`${opts.seed}`).digest('hex')}` };
}
