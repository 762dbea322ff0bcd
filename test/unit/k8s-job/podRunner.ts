import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Container } from '@kubernetes/client-node';

/**
 * Runs a container of a built Job manifest on this machine, as the kubelet would start it: its `command` +
 * `args` as argv (no shell in between) and its `env`, with the pod paths remapped to a temp dir. That way
 * the tests exercise the exact scripts and argv the manifest carries, with real sh and real git.
 */
export interface ContainerRun {
	code: number;
	stdout: string;
	stderr: string;
}

export function runContainer(
	container: V1Container,
	env: Record<string, string>,
	cwd: string,
): Promise<ContainerRun> {
	const argv = [...(container.command ?? []), ...(container.args ?? [])];
	const fromManifest = Object.fromEntries(
		(container.env ?? []).map((e) => [e.name, e.value ?? '']),
	);
	return new Promise((resolve, reject) => {
		const child = spawn(argv[0], argv.slice(1), {
			cwd,
			env: { PATH: process.env.PATH, ...fromManifest, GIT_CONFIG_NOSYSTEM: '1', ...env },
		});
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (d) => (stdout += d));
		child.stderr.on('data', (d) => (stderr += d));
		child.on('error', reject);
		child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
	});
}

/** A scratch "pod": workspace, tmp and termination-log paths for one container run. */
export function scratchPod(): {
	root: string;
	workspace: string;
	tmp: string;
	terminationLog: string;
} {
	const root = mkdtempSync(join(tmpdir(), 'k8s-job-pod-'));
	const pod = {
		root,
		workspace: join(root, 'workspace'),
		tmp: join(root, 'tmp'),
		terminationLog: join(root, 'termination-log'),
	};
	mkdirSync(pod.workspace);
	mkdirSync(pod.tmp);
	writeFileSync(pod.terminationLog, '');
	return pod;
}

const gitEnv = {
	PATH: process.env.PATH,
	HOME: tmpdir(),
	GIT_CONFIG_NOSYSTEM: '1',
	GIT_CONFIG_GLOBAL: '/dev/null',
	GIT_AUTHOR_NAME: 't',
	GIT_AUTHOR_EMAIL: 't@127.0.0.1',
	GIT_COMMITTER_NAME: 't',
	GIT_COMMITTER_EMAIL: 't@127.0.0.1',
};

export function git(args: string[], cwd: string): string {
	return execFileSync('git', args, { cwd, env: gitEnv, encoding: 'utf8' }).trim();
}
