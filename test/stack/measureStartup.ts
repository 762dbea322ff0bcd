// Times the whole local stack's start (n8n excluded): the real registry with bearer-token auth (registry +
// token issuer), the git HTTP server and the Kubernetes API stand-in, started together as a test does, then
// stopped by PID. Run: PATH="$(bash scripts/ensure-node24.sh):$PATH" node -r ./test/stack/n8n/tsRequire.js test/stack/measureStartup.ts [runs]
import { startGitServer } from './git';
import { startKubeStandIn } from './k8s';
import { startRegistry } from './registry';

async function once(): Promise<number> {
	const start = performance.now();
	const registry = await startRegistry({ auth: 'token' });
	const [git, kube] = await Promise.all([
		startGitServer({ username: 'bot', password: 'pw' }),
		startKubeStandIn({ registry: { host: registry.host } }),
	]);
	const elapsed = performance.now() - start;
	await Promise.all([kube.stop(), git.stop(), registry.stop()]);
	return elapsed;
}

async function main(): Promise<void> {
	const runs = Number(process.argv[2] ?? 5);
	const times: number[] = [];
	for (let i = 0; i < runs; i++) times.push(await once());
	times.sort((a, b) => a - b);
	console.log(
		`whole stack start (registry + token issuer, git server, Kubernetes stand-in), ${runs} runs: p50 ${times[Math.floor(runs / 2)].toFixed(0)} ms, max ${times[runs - 1].toFixed(0)} ms`,
	);
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
