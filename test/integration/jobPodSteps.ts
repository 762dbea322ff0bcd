import {
	chmodSync,
	existsSync,
	mkdirSync,
	mkdtempSync,
	readFileSync,
	writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Container } from '@kubernetes/client-node';
import { validateBuildJobInput, type BuildJobInput } from '../../lib/k8s/build/inputs';
import { buildJobManifest } from '../../lib/k8s/build/manifest';
import { runContainer, scratchPod, type ContainerRun } from '../unit/k8s-job/podRunner';

/**
 * Runs the two containers of the Job that Create BuildKit Job generates on this machine, with real git and real
 * BuildKit: their exact command, args and env, the pod paths under a scratch dir. `buildctl-daemonless.sh` is
 * stood in by a launcher that starts the real buildkitd with its own state dir and socket (the upstream script
 * always listens on /run/buildkit, which everything on the machine would share) and then runs the real buildctl
 * with the Job's argv. Privileged mode (root), as the moby/buildkit image runs it. Used by the build-step
 * integration test and bench/buildkit.
 */

/** Where buildkitd/buildctl v0.24 are: BUILDKIT_BIN_DIR, else the cache scripts/ensure-buildkit.sh fills. */
export function buildkitBinDir(): string | undefined {
	return [
		process.env.BUILDKIT_BIN_DIR,
		join(homedir(), '.cache/n8n-nodes-buildkit/buildkit-v0.24.0/bin'),
	].find((d) => d && existsSync(join(d, 'buildkitd')));
}

const LAUNCHER = `#!/bin/sh
set -eu
d=$(mktemp -d /tmp/bk-step.XXXXXX)
buildkitd \${BUILDKITD_FLAGS:-} --root "$d/state" --addr "unix://$d/sock" --otel-socket-path "$d/otel.sock" > "$d/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$d"' EXIT
i=0
until buildctl --addr "unix://$d/sock" debug workers > /dev/null 2>&1; do
  i=$((i + 1)); [ $i -lt 200 ] || { echo "could not connect to buildkitd"; cat "$d/log"; exit 1; } >&2
  sleep 0.1
done
buildctl --addr "unix://$d/sock" "$@"
`;

/** A directory holding the launcher as buildctl-daemonless.sh; put it first on PATH, then the BuildKit binaries. */
export function launcherDir(): string {
	const dir = mkdtempSync(join(tmpdir(), 'bk-step-bin-'));
	writeFileSync(join(dir, 'buildctl-daemonless.sh'), LAUNCHER);
	chmodSync(join(dir, 'buildctl-daemonless.sh'), 0o755);
	return dir;
}

export function jobContainers(input: BuildJobInput): {
	gitClone: V1Container;
	buildkit: V1Container;
} {
	const job = buildJobManifest(
		validateBuildJobInput({ builderMode: 'privileged', registrySecretName: '', ...input }),
		'job',
	);
	return {
		gitClone: job.spec!.template.spec!.initContainers![0],
		buildkit: job.spec!.template.spec!.containers[0],
	};
}

export interface StepRun extends ContainerRun {
	message: string;
	log: string;
	seconds: number;
}

/** The pod's fixed /workspace paths in buildctl's argv, moved under the scratch pod. */
const underPod = (args: string[], workspace: string) =>
	args.map((a) => a.replace(/=\/workspace\//g, `=${workspace}/`));

/**
 * Runs the build container on `workspace` (already holding src/ and git-revision, e.g. from runGitClone).
 * `edit` may change the argv (the bench adds options the node does not expose).
 */
export async function runBuildStep(
	container: V1Container,
	o: {
		workspace: string;
		binDir: string;
		launcher: string;
		env?: Record<string, string>;
		edit?: (args: string[]) => string[];
	},
): Promise<StepRun> {
	const pod = scratchPod();
	const args = (o.edit ?? ((a) => a))(underPod(container.args!, o.workspace));
	const started = performance.now();
	const run = await runContainer(
		{ ...container, args },
		{
			PATH: `${o.launcher}:${o.binDir}:${process.env.PATH}`,
			WORKSPACE: o.workspace,
			METADATA_FILE: join(pod.tmp, 'metadata.json'),
			TERMINATION_LOG: pod.terminationLog,
			...o.env,
		},
		pod.root,
	);
	return {
		...run,
		message: readFileSync(pod.terminationLog, 'utf8'),
		log: run.stdout + run.stderr,
		seconds: (performance.now() - started) / 1000,
	};
}

/** Runs the git-clone container (file:// allowed for a local repository) and returns its workspace. */
export async function runGitClone(
	container: V1Container,
	env: Record<string, string> = {},
): Promise<StepRun & { workspace: string; root: string }> {
	const pod = scratchPod();
	const started = performance.now();
	const run = await runContainer(
		container,
		{
			GIT_ALLOW_PROTOCOL: 'file:https:http',
			WORKSPACE: pod.workspace,
			TMPDIR: pod.tmp,
			TERMINATION_LOG: pod.terminationLog,
			...env,
		},
		pod.root,
	);
	return {
		...run,
		message: readFileSync(pod.terminationLog, 'utf8'),
		log: run.stdout + run.stderr,
		seconds: (performance.now() - started) / 1000,
		workspace: pod.workspace,
		root: pod.root,
	};
}

/** A workspace as git-clone leaves it, from files instead of a repository. */
export function workspaceWith(
	files: Record<string, string>,
	commit: string,
): { root: string; workspace: string } {
	const pod = scratchPod();
	for (const [name, content] of Object.entries(files)) {
		mkdirSync(join(pod.workspace, 'src', name, '..'), { recursive: true });
		writeFileSync(join(pod.workspace, 'src', name), content);
	}
	writeFileSync(join(pod.workspace, 'git-revision'), `${commit}\n`);
	return pod;
}
