import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';

/** Root of this repository (test/stack/n8n is three levels down). */
export const REPO_ROOT = resolve(__dirname, '../../..');

export interface N8nToolchain {
	/** Directory holding the Node 24 `node` binary (n8n 2.x refuses older Node). */
	nodeBinDir: string;
	nodeBin: string;
	/** n8n's own CLI script, run with `nodeBin`. */
	n8nBin: string;
	/** The cached install root (its node_modules holds n8n and its dependencies, e.g. bcryptjs). */
	n8nDir: string;
}

let cached: N8nToolchain | undefined;

/**
 * Node 24 and n8n, installed once per machine outside the repo by the scripts/ensure-*.sh recipes (the first
 * n8n install takes minutes; later calls only print the cached directory).
 */
export function n8nToolchain(): N8nToolchain {
	if (cached) return cached;
	const script = (name: string) =>
		execFileSync('bash', [join(REPO_ROOT, 'scripts', name)], {
			encoding: 'utf8',
			stdio: ['ignore', 'pipe', 'inherit'],
		}).trim();
	const nodeBinDir = script('ensure-node24.sh');
	const n8nDir = script('ensure-n8n.sh');
	cached = {
		nodeBinDir,
		nodeBin: join(nodeBinDir, 'node'),
		n8nBin: join(n8nDir, 'node_modules', 'n8n', 'bin', 'n8n'),
		n8nDir,
	};
	return cached;
}

/** The environment for child processes: Node 24 first on PATH, so n8n's task runner and npm use it too. */
export function withNode24Path(env: NodeJS.ProcessEnv, tools: N8nToolchain): NodeJS.ProcessEnv {
	return { ...env, PATH: `${tools.nodeBinDir}:${env.PATH ?? ''}` };
}
