import { spawn } from 'node:child_process';

/**
 * Runs the real kubectl (the peer these benches compare with) and resolves with the time it exited 0: the
 * moment kubectl itself noticed what it waits for.
 */
export function kubectlDoneAt(
	kubeconfig: string,
	cacheDir: string,
	args: string[],
): Promise<number> {
	const child = spawn('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args], {
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let err = '';
	child.stderr.on('data', (d) => (err += d));
	child.stdout.resume();
	return new Promise((resolve, reject) =>
		child.once('exit', (code) =>
			code === 0
				? resolve(Date.now())
				: reject(new Error(`kubectl ${args.join(' ')} exited ${code}: ${err}`)),
		),
	);
}
