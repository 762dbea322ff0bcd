import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { ensureTool, freePort, sleep, stopChild } from '../registry/processes';

/**
 * Debian's real `prometheus-pushgateway` and `prometheus` on 127.0.0.1, each on a free port with its data in a
 * temp dir removed on stop. Prometheus scrapes the Pushgateway every second (honor_labels, as a Pushgateway
 * scrape must be configured) and evaluates the given rule files.
 */
export interface RunningProcess {
	url: string;
	pid: number;
	stop(): Promise<void>;
}

export interface RunningPrometheus extends RunningProcess {
	/** Runs an instant PromQL query and returns its vector result. */
	query(
		promql: string,
	): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
}

async function startServer(
	binary: string,
	args: (dir: string, port: number) => string[],
	readyPath: string,
): Promise<RunningProcess & { dir: string }> {
	await ensureTool(binary);
	const dir = mkdtempSync(join(tmpdir(), `buildkit-${binary}-`));
	const port = await freePort();
	const logFile = join(dir, 'server.log');
	const logFd = openSync(logFile, 'a');
	const child: ChildProcess = spawn(binary, args(dir, port), {
		cwd: dir,
		stdio: ['ignore', logFd, logFd],
	});
	closeSync(logFd);
	const url = `http://127.0.0.1:${port}`;
	const stop = async () => {
		await stopChild(child);
		rmSync(dir, { recursive: true, force: true });
	};
	for (let i = 0; i < 300; i++) {
		if (child.exitCode !== null) {
			const log = readFileSync(logFile, 'utf8').slice(-2000);
			await stop();
			throw new Error(`${binary} exited (${child.exitCode}): ${log}`);
		}
		const ready = await request(`${url}${readyPath}`).then(
			async (res) => {
				await res.body.dump();
				return res.statusCode === 200;
			},
			() => false,
		);
		if (ready) return { url, pid: child.pid!, dir, stop };
		await sleep(50);
	}
	await stop();
	throw new Error(`${binary} did not become ready on ${url} within 15 s`);
}

export async function startPushgateway(): Promise<RunningProcess> {
	// In memory only: Debian's build persists to /var/lib/prometheus/pushgateway.data by default, which every
	// Pushgateway on the machine would read at start and write at stop, so one test's pushes reached the next.
	return startServer(
		'prometheus-pushgateway',
		(_dir, port) => [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file='],
		'/-/ready',
	);
}

export async function startPrometheus(opts: {
	pushgateway: RunningProcess;
	ruleFiles?: string[];
}): Promise<RunningPrometheus> {
	const target = new URL(opts.pushgateway.url).host;
	const server = await startServer(
		'prometheus',
		(dir, port) => {
			const config = [
				'global:',
				'  scrape_interval: 1s',
				'  evaluation_interval: 1s',
				...(opts.ruleFiles?.length
					? ['rule_files:', ...opts.ruleFiles.map((file) => `  - ${JSON.stringify(file)}`)]
					: []),
				'scrape_configs:',
				'  - job_name: pushgateway',
				'    honor_labels: true',
				'    static_configs:',
				`      - targets: ['${target}']`,
				'',
			].join('\n');
			writeFileSync(join(dir, 'prometheus.yml'), config);
			return [
				`--config.file=${join(dir, 'prometheus.yml')}`,
				`--storage.tsdb.path=${join(dir, 'data')}`,
				`--web.listen-address=127.0.0.1:${port}`,
				'--web.console.templates=/nonexistent',
				'--web.console.libraries=/nonexistent',
			];
		},
		'/-/ready',
	);
	const query = async (promql: string) => {
		const res = await request(`${server.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
		const body = (await res.body.json()) as {
			status: string;
			error?: string;
			data?: { resultType: string; result: any[] };
		};
		if (body.status !== 'success') throw new Error(`PromQL ${promql} failed: ${body.error}`);
		return body.data!.result;
	};
	return { url: server.url, pid: server.pid, stop: server.stop, query };
}
