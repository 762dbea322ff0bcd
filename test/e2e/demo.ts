import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { remoteLog } from '../stack/git';
import { screenshotWorkflows } from './screenshots';
import {
	BUILD_ON_PUSH,
	FLUX_ALERT,
	POLL_REGISTRY,
	type PipelineStack,
	type PipelineStackOptions,
	nodeOutput,
	sendGithubPush,
	startPipelineStack,
} from './pipelineStack';

/**
 * The demo behind `npm run demo`: the whole stack and real n8n with the package and the workflows, one signed
 * push, and what happened at each step. Runs until Ctrl-C (or exits after the push with DEMO_EXIT=1).
 */

const say = (line = '') => process.stdout.write(`${line}\n`);

/** With KUBECONFIG, Jobs run on that cluster: it needs an image repository and an app repository it can reach. */
function realClusterOptions(): PipelineStackOptions {
	const kubeconfigPath = process.env.KUBECONFIG;
	if (!kubeconfigPath) return {};
	const imageRepository = process.env.DEMO_IMAGE_REPOSITORY;
	const appRepositoryUrl = process.env.DEMO_APP_REPO_URL;
	if (!imageRepository || !appRepositoryUrl) {
		throw new Error(
			'With KUBECONFIG set the Job runs in your cluster, so also set DEMO_IMAGE_REPOSITORY (e.g. registry.local:5000/webapp/app, ' +
				'reachable by the cluster and by this machine) and DEMO_APP_REPO_URL (a git URL with a Dockerfile the cluster can clone).',
		);
	}
	return {
		kubeconfig: readFileSync(kubeconfigPath.split(':')[0], 'utf8'),
		imageRepository,
		appRepositoryUrl,
		registryPlainHttp: process.env.DEMO_REGISTRY_PLAIN_HTTP !== 'false',
	};
}

/** The commit to build: the head of the app repository's main branch. */
function headCommit(stack: PipelineStack): Promise<string> | string {
	if (!process.env.KUBECONFIG) return remoteLog(stack.appUrl).then((log) => log[0].sha);
	const out = execFileSync('git', ['ls-remote', stack.appUrl, 'refs/heads/main'], {
		encoding: 'utf8',
	});
	return out.split(/\s+/)[0];
}

function describeRun(execution: { status: string; data?: any }): void {
	const runData = execution.data?.resultData?.runData ?? {};
	const took = (node: string) => (runData[node] ? `${runData[node][0].executionTime} ms` : '');
	const first = (node: string) => nodeOutput(execution, node)?.[0];
	const push = first('Push to main');
	if (push)
		say(
			`1. webhook      ${push.provider} ${push.event} to ${push.branch}, commit ${push.commit} (delivery ${push.deliveryId})`,
		);
	const job = first('Create BuildKit Job');
	if (job && !job.error)
		say(
			`2. job created  ${job.namespace}/${job.jobName}  image ${job.image}  attestations ${job.attestations.join(',') || 'none'}  (${took('Create BuildKit Job')})`,
		);
	const wait = first('Wait for Job');
	if (wait && !wait.error)
		say(
			`3. job ${wait.status.padEnd(9)} ${wait.jobName} in ${wait.durationSeconds} s  digest ${wait.digest ?? '-'}${wait.status !== 'succeeded' ? `  reason ${wait.reason}` : ''}`,
		);
	const verify = first('Verify image');
	if (verify && !verify.error) {
		say(
			`4. verified     tag ${verify.latestTag}  digest ${verify.digest}  platforms ${(verify.platforms ?? []).join(', ')}`,
		);
		say(
			`                sbom ${verify.attestations?.sbom}  provenance ${verify.attestations?.provenance}  revision ${verify.provenance?.revision} matches: ${verify.provenance?.revisionMatches}`,
		);
	}
	const bump = first('Bump GitOps manifest');
	if (bump && !bump.error) {
		say(
			`5. gitops       ${bump.changed ? `commit ${bump.commit} on ${bump.branch}` : 'nothing to change'}  files ${bump.files.join(', ')}  (${took('Bump GitOps manifest')})`,
		);
		if (bump.diff) say(bump.diff.trimEnd().replace(/^/gm, '                '));
	}
	const rollout = first('Wait for Rollout');
	if (rollout && !rollout.error) {
		const kind =
			rollout.source?.kind === 'argoApplication' ? 'Argo CD Application' : 'Flux Kustomization';
		const applied = rollout.source
			? `  ${kind} ${rollout.source.namespace}/${rollout.source.name} applied ${rollout.appliedRevision ?? '-'}`
			: '';
		say(
			`6. rollout      ${rollout.status} in ${rollout.durationSeconds} s${applied}${rollout.status !== 'rolledOut' ? `  reason ${rollout.reason}` : ''}`,
		);
		for (const w of rollout.workloads) {
			say(
				`                ${w.kind} ${w.namespace}/${w.name} runs ${w.image}  ready ${w.readyReplicas}/${w.desiredReplicas} (updated ${w.updatedReplicas}, available ${w.availableReplicas})`,
			);
		}
	}
	const revert = first('Revert the bump');
	if (revert && !revert.error)
		say(
			`7. reverted     ${revert.reverted} by ${revert.alreadyReverted ? 'the earlier ' : ''}commit ${revert.commit} on ${revert.branch}`,
		);
	const done = first('Deployed');
	if (done)
		say(
			`=> ${done.outcome}: ${done.image}@${done.digest} (job ${done.jobName}, ${done.durationSeconds} s, gitops ${done.gitopsCommit})`,
		);
	for (const node of ['Build failed', 'Rollout refused', 'Step failed', 'Rolled back']) {
		const failure = first(node);
		if (failure) {
			say(`=> FAILED at ${failure.failedStep}: ${failure.reason}`);
			if (failure.logTail) say(failure.logTail.replace(/^/gm, '   | '));
		}
	}
	say(`execution status: ${execution.status}`);
}

/** Whether the Job's build ran with real BuildKit, as the stand-in counts its build pods. */
async function describeBuilds(stack: PipelineStack): Promise<string> {
	if (!stack.kube) return 'build: on the cluster of $KUBECONFIG';
	const builds = await stack.kube.builds();
	if (builds.real > 0 && builds.simulated === 0)
		return `build: real BuildKit (buildkitd + buildctl from ${stack.kube.realBuilder?.binDir}), ${builds.real} build pod(s)`;
	const why = Object.entries(builds.reasons)
		.map(([reason, n]) => `${reason} (${n})`)
		.join('; ');
	return `build: ${builds.real} real, ${builds.simulated} simulated${why ? `: ${why}` : ''}`;
}

let stack: PipelineStack | undefined;
let stopping = false;

/** Stops what the demo started (each part by its own PID) and exits. */
async function stop(code: number): Promise<void> {
	if (stopping) return;
	stopping = true;
	say('\nstopping everything the demo started…');
	await stack?.stop();
	process.exit(code);
}

async function main(): Promise<void> {
	const t0 = Date.now();
	process.on('SIGINT', () => void stop(0));
	process.on('SIGTERM', () => void stop(0));

	say('starting the stack (127.0.0.1 only):');
	stack = await startPipelineStack({
		...realClusterOptions(),
		ownerPassword: process.env.DEMO_PASSWORD ?? 'buildkit-demo',
		log: (line) => say(`  ${line}`),
	});
	say(`  ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
	say();

	const commit = await headCommit(stack);
	say(
		`sending a signed GitHub push of ${commit} (app/main.go changed) to ${stack.n8n.webhookUrl('build-on-push')}`,
	);
	const sent = Date.now();
	const res = await sendGithubPush(stack, { commit, files: ['app/main.go'] });
	say(`  answered ${res.status} in ${Date.now() - sent} ms`);
	const [execution] = await stack.n8n.waitForExecutions(BUILD_ON_PUSH, 1, 30 * 60_000);
	say();
	describeRun(execution);
	for (const status of stack.forge.statuses(commit))
		say(
			`commit status  ${status.state.padEnd(8)} ${status.description ?? ''}  (${status.targetUrl ?? '-'})`,
		);
	say(await describeBuilds(stack));
	say();
	say(
		`n8n: ${stack.n8n.url}/workflow/${BUILD_ON_PUSH}/executions  (login ${stack.n8n.owner.email} / ${stack.n8n.owner.password})`,
	);
	if (process.env.DEMO_SCREENSHOTS) {
		const shots = [
			{ workflowId: BUILD_ON_PUSH, file: 'build-on-push' },
			{ workflowId: POLL_REGISTRY, file: 'poll-registry-and-bump' },
			{ workflowId: FLUX_ALERT, file: 'flux-alert-build' },
		];
		for (const path of await screenshotWorkflows(stack.n8n, shots, process.env.DEMO_SCREENSHOTS))
			say(`screenshot: ${path}`);
	}
	if (process.env.DEMO_EXIT === '1') return stop(execution.status === 'success' ? 0 : 1);
	say('everything keeps running; Ctrl-C stops it all.');
}

main().catch(async (error) => {
	process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
	await stop(1);
});
