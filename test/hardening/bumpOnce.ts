// One bump in its own process, so a test can kill it mid-push the way a cancelled or crashed n8n worker
// dies. Usage: node test/stack/k8s/run-ts.cjs test/hardening/bumpOnce.ts '<json {request, credential, cacheDir}>'
import { bumpGitManifest, type BumpRequest, type GitCredential } from '../../lib/gitops';

const { request, credential, cacheDir } = JSON.parse(process.argv[2]) as {
	request: BumpRequest;
	credential?: GitCredential;
	cacheDir: string;
};
bumpGitManifest(request, credential, { cacheDir }).then(
	(result) =>
		process.stdout.write(`${JSON.stringify({ ok: true, commit: result.commit ?? null })}\n`),
	(error: Error) => {
		process.stdout.write(`${JSON.stringify({ ok: false, message: error.message })}\n`);
		process.exitCode = 1;
	},
);
