import { spawnSync } from 'node:child_process';
import { hostPlatform } from '../stack/buildkit';
import { commitFiles, readRemoteFile, remoteLog } from '../stack/git';
import { pushFiles } from '../stack/k8s/gitopsRepo';
import { pushTags, pushTestImage } from '../stack/registry';
import {
	APP_IMAGE,
	BUILD_ON_PUSH,
	FLUX_ALERT,
	POLL_REGISTRY,
	type PipelineStack,
	RELEASE_IMAGE,
	nodeOutput,
	nodesRun,
	randomSha,
	sendFluxEvent,
	sendGithubPush,
	startPipelineStack,
} from './pipelineStack';

// The three shipped workflows, as they are in workflows/ (only their "Pipeline settings" pointed at the stack),
// run in real n8n 2.41 against the real registry, git over HTTP and the Kubernetes API stand-in.
jest.setTimeout(300_000);

const INDEX_TYPES =
	'application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json';

async function registryDigest(
	stack: PipelineStack,
	repository: string,
	tag: string,
): Promise<string | null> {
	const res = await fetch(`${stack.registry.url}/v2/${repository}/manifests/${tag}`, {
		method: 'HEAD',
		headers: { accept: INDEX_TYPES },
	});
	return res.ok ? res.headers.get('docker-content-digest') : null;
}

const seconds = (iso: string) => Date.parse(iso) / 1000;

/** The value of the one series a PromQL query returns. */
async function promValue(stack: PipelineStack, promql: string): Promise<number> {
	const result = await stack.prometheus.query(promql);
	expect(result).toHaveLength(1);
	return Number(result[0].value[1]);
}

/** The Source-Commit of the newest bump in a log (a revert of a bump, as after a rollback, carries none). */
function newestBumpSource(log: Array<{ message: string }>): string {
	return log.map((c) => c.message.match(/Source-Commit: (\w+)/)?.[1]).find(Boolean)!;
}

describe('shipped workflows in real n8n on the local stack', () => {
	let stack: PipelineStack;
	const deployment = 'clusters/prod/webapp/deployment.yaml';

	beforeAll(async () => {
		stack = await startPipelineStack();
	});

	afterAll(async () => {
		await stack?.stop();
	});

	/**
	 * A new commit in the app repository for a build to clone: with real BuildKit every succeeding build is a real
	 * one, so the pushed commit must exist (a made-up sha is enough only where the build outcome is scripted).
	 */
	let commitCount = 0;
	const appCommit = (script = `#!/bin/sh\necho "@GREETING@, release ${++commitCount}"\n`) =>
		commitFiles(stack.appUrl, { 'app/main.sh': script });

	describe('build-on-push.json', () => {
		let executionsSoFar = 0;

		async function nextExecution() {
			executionsSoFar += 1;
			const all = await stack.n8n.waitForExecutions(BUILD_ON_PUSH, executionsSoFar, 120_000);
			const execution = all[executionsSoFar - 1];
			// Where a run ended and why, printed so that an unexpected status explains itself.
			const result = execution.data?.resultData;
			console.log(
				`build-on-push execution ${execution.id}: ${execution.status}, last node ${result?.lastNodeExecuted}${result?.error ? `: ${result.error.message}` : ''}`,
			);
			return execution;
		}

		it('builds the pushed commit, verifies SBOM, provenance and digest, and commits exactly one bump', async () => {
			const before = await remoteLog(stack.gitopsUrl);
			const original = await readRemoteFile(stack.gitopsUrl, 'main', deployment);
			// A real commit: with real BuildKit the Job clones and builds it, and its provenance names it.
			const commit = await appCommit();
			const res = await sendGithubPush(stack, { commit, files: ['app/main.go'] });
			expect(res.status).toBe(200);

			const execution = await nextExecution();
			expect(execution.status).toBe('success');
			const [deployed] = nodeOutput(execution, 'Deployed')!;
			const tag = `main-${commit.slice(0, 12)}`;
			expect(deployed).toMatchObject({
				outcome: 'deployed',
				tag,
				sourceCommit: commit,
				image: `${stack.registry.host}/${APP_IMAGE}:${tag}`,
			});
			expect(deployed.jobName).toMatch(/^webapp-/);
			expect(typeof deployed.durationSeconds).toBe('number');

			// The build (real BuildKit when available) pushed that tag; its digest is what the workflow verified and deployed.
			expect(await registryDigest(stack, APP_IMAGE, tag)).toBe(deployed.digest);
			const [verified] = nodeOutput(execution, 'Verify image')!;
			expect(verified.attestations).toMatchObject({ sbom: true, provenance: true });
			expect(verified.provenance).toMatchObject({ revision: commit, revisionMatches: true });
			// Real BuildKit builds this host's platform only (no QEMU here); the scripted build pushes both of the workflow's.
			expect(verified.platforms).toEqual(
				stack.realBuilds
					? [hostPlatform()]
					: expect.arrayContaining(['linux/amd64', 'linux/arm64']),
			);
			expect(verified.platforms).not.toContain('unknown/unknown');

			// Exactly one new GitOps commit, changing only the marked image line.
			const after = await remoteLog(stack.gitopsUrl);
			expect(after.length).toBe(before.length + 1);
			expect(after[0].sha).toBe(deployed.gitopsCommit);
			expect(after[0].parents).toEqual([before[0].sha]);
			expect(after[0].message).toContain(`Deploy webapp ${tag} (${commit.slice(0, 12)})`);
			const expected = original.replace(
				`${APP_IMAGE}:main-000000000000`,
				`${APP_IMAGE}:${tag}@${deployed.digest}`,
			);
			expect(await readRemoteFile(stack.gitopsUrl, 'main', deployment)).toBe(expected);
			expect(after[0].message).toContain(`Source-Commit: ${commit}`);

			// The simulated Flux applied that commit and the Deployment rolled out the new image.
			expect(deployed.rollout).toBe('rolledOut');
			const [rollout] = nodeOutput(execution, 'Wait for Rollout')!;
			expect(rollout).toMatchObject({
				status: 'rolledOut',
				appliedRevision: `main@sha1:${deployed.gitopsCommit}`,
			});
			expect(rollout.workloads).toEqual([
				expect.objectContaining({
					kind: 'Deployment',
					namespace: 'prod',
					name: 'webapp',
					image: `${stack.registry.host}/${APP_IMAGE}:${tag}@${deployed.digest}`,
					availableReplicas: 2,
				}),
			]);
			// The pushed commit shows pending, then success, with a link to the execution.
			expect(stack.forge.statuses(commit).map((s) => [s.state, s.repository, s.context])).toEqual([
				['pending', 'homelab/webapp', 'n8n/build-on-push'],
				['success', 'homelab/webapp', 'n8n/build-on-push'],
			]);
			expect(stack.forge.statuses(commit)[1].targetUrl).toMatch(
				new RegExp(`/workflow/${BUILD_ON_PUSH}/executions/\\d+$`),
			);
		});

		it('diagnoses a crash-looping image, reverts the bump and reports the failure on the commit', async () => {
			const before = await remoteLog(stack.gitopsUrl);
			const original = await readRemoteFile(stack.gitopsUrl, 'main', deployment);
			const commit = await appCommit();
			await stack.kube!.gitops.setRolloutScenario(
				{ tag: `main-${commit.slice(0, 12)}` },
				{ outcome: 'crashloop' },
			);
			expect((await sendGithubPush(stack, { commit, files: ['app/main.go'] })).status).toBe(200);
			const execution = await nextExecution();
			expect(execution.status).toBe('error');
			const [rolledBack] = nodeOutput(execution, 'Rolled back')!;
			expect(rolledBack).toMatchObject({
				outcome: 'rolled back',
				failedStep: 'Wait for Rollout',
				status: 'failed',
				reason: 'CrashLoopBackOff',
				sourceCommit: commit,
			});
			expect(rolledBack.message).toMatch(/Container app keeps crashing \(CrashLoopBackOff/);
			expect(rolledBack.logTail).toContain('panic: DATABASE_URL is not set');
			// The GitOps repo ends where it started: the bump and exactly one revert of it.
			const after = await remoteLog(stack.gitopsUrl);
			expect(after.length).toBe(before.length + 2);
			expect(after[1].sha).toBe(rolledBack.gitopsCommit);
			expect(after[0]).toMatchObject({
				sha: rolledBack.revertCommit,
				parents: [rolledBack.gitopsCommit],
			});
			expect(after[0].message).toContain(`This reverts commit ${rolledBack.gitopsCommit}.`);
			expect(after[0].message).toContain('CrashLoopBackOff');
			expect(await readRemoteFile(stack.gitopsUrl, 'main', deployment)).toBe(original);
			const statuses = stack.forge.statuses(commit);
			expect(statuses.map((s) => s.state)).toEqual(['pending', 'failure']);
			expect(statuses[1].description).toMatch(/^Wait for Rollout: CrashLoopBackOff/);
		});

		it('a replayed older push (an older head_commit.timestamp) builds but does not move GitOps back', async () => {
			const before = await remoteLog(stack.gitopsUrl);
			const deployed = await readRemoteFile(stack.gitopsUrl, 'main', deployment);
			const older = await appCommit();
			const timestamp = new Date(Date.now() - 3600_000).toISOString();
			expect(
				(await sendGithubPush(stack, { commit: older, files: ['app/main.go'], timestamp })).status,
			).toBe(200);
			const execution = await nextExecution();
			expect(execution.status).toBe('success');
			const [bump] = nodeOutput(execution, 'Bump GitOps manifest')!;
			expect(bump).toMatchObject({
				changed: false,
				commit: null,
				superseded: { sourceCommit: older, deployedSourceCommit: newestBumpSource(before) },
			});
			expect(await remoteLog(stack.gitopsUrl)).toEqual(before);
			expect(await readRemoteFile(stack.gitopsUrl, 'main', deployment)).toBe(deployed);
		});

		it('starts nothing for a push that touches no app source', async () => {
			const res = await sendGithubPush(stack, {
				commit: randomSha(),
				files: ['clusters/prod/webapp/deployment.yaml'],
			});
			expect(res.status).toBe(202);
			const all = await stack.n8n.executions(BUILD_ON_PUSH);
			expect(all.length).toBe(executionsSoFar);
		});

		it('ends a failing build on the error branch with the reason and the log tail, and bumps nothing', async () => {
			// The Dockerfile's RUN step runs the app's self-test: this commit makes it fail (scripted without BuildKit).
			if (!stack.realBuilds) await stack.kube!.setScenario('default', { outcome: 'build-fail' });
			try {
				const before = await remoteLog(stack.gitopsUrl);
				const commit = await appCommit(
					'#!/bin/sh\necho "selftest: DATABASE_URL is not set" >&2\nexit 3\n',
				);
				expect((await sendGithubPush(stack, { commit, files: ['app/main.go'] })).status).toBe(200);
				const execution = await nextExecution();
				expect(execution.status).toBe('error');
				const [failure] = nodeOutput(execution, 'Build failed')!;
				expect(failure).toMatchObject({
					outcome: 'failed',
					failedStep: 'Wait for Job',
					status: 'failed',
					sourceCommit: commit,
				});
				expect(failure.reason).toBeTruthy();
				expect(failure.message).toBeTruthy();
				expect(failure.logTail.length).toBeGreaterThan(0);
				if (stack.realBuilds) {
					expect(failure.reason).toBe('BuildFailed');
					expect(failure.logTail).toContain('selftest: DATABASE_URL is not set');
				}
				expect(nodesRun(execution)).not.toContain('Bump GitOps manifest');
				expect(await remoteLog(stack.gitopsUrl)).toEqual(before);
			} finally {
				await stack.kube!.setScenario('default', { outcome: 'succeed' });
			}
		});

		it('refuses to roll out a build whose provenance names another commit than the one pushed', async () => {
			const other = await appCommit();
			const pushed = await appCommit();
			// The builder checks out `other` although the Job names `pushed` (real BuildKit records what it built).
			await stack.kube!.setScenario('default', { outcome: 'succeed', cloneRevision: other });
			try {
				const before = await remoteLog(stack.gitopsUrl);
				expect(
					(await sendGithubPush(stack, { commit: pushed, files: ['app/main.go'] })).status,
				).toBe(200);
				const execution = await nextExecution();
				expect(execution.status).toBe('error');
				const [verified] = nodeOutput(execution, 'Verify image')!;
				expect(verified.provenance).toMatchObject({ revision: other, revisionMatches: false });
				const [refused] = nodeOutput(execution, 'Rollout refused')!;
				expect(refused).toMatchObject({
					outcome: 'failed',
					failedStep: 'Verify image',
					sourceCommit: pushed,
					reason: `the provenance records revision ${other}, not the pushed commit ${pushed}`,
				});
				expect(nodesRun(execution)).not.toContain('Bump GitOps manifest');
				expect(await remoteLog(stack.gitopsUrl)).toEqual(before);
			} finally {
				await stack.kube!.setScenario('default', { outcome: 'succeed' });
			}
		});

		it('refuses to roll out an image built without SBOM and provenance', async () => {
			await stack.kube!.setScenario('default', { outcome: 'succeed', attestations: false });
			try {
				const before = await remoteLog(stack.gitopsUrl);
				const commit = randomSha();
				expect((await sendGithubPush(stack, { commit, files: ['app/main.go'] })).status).toBe(200);
				const execution = await nextExecution();
				expect(execution.status).toBe('error');
				const [failure] = nodeOutput(execution, 'Step failed')!;
				expect(failure).toMatchObject({
					outcome: 'failed',
					failedStep: 'Verify image',
					sourceCommit: commit,
				});
				expect(failure.reason).toMatch(/sbom|provenance|attestation/i);
				// The image itself was pushed; it just may not be deployed.
				expect(await registryDigest(stack, APP_IMAGE, `main-${commit.slice(0, 12)}`)).toMatch(
					/^sha256:/,
				);
				expect(await remoteLog(stack.gitopsUrl)).toEqual(before);
			} finally {
				await stack.kube!.setScenario('default', { outcome: 'succeed' });
			}
		});

		it('pushes its numbers to the Pushgateway, which the real Prometheus scrapes and turns into delivery rates', async () => {
			const runs = await stack.n8n.executions(BUILD_ON_PUSH);
			// Every run pushed, failed ones too (before Fail the execution), and the Pushgateway took it.
			for (const run of runs)
				expect(nodeOutput(run, 'Push metrics')).toEqual([
					expect.not.objectContaining({ error: expect.anything() }),
				]);
			const deployed = runs.find((run) => nodeOutput(run, 'Deployed')?.[0].outcome === 'deployed')!;
			const rolledBack = runs.find((run) => nodeOutput(run, 'Rolled back'))!;
			const buildFailed = runs.find((run) => nodeOutput(run, 'Build failed'))!;
			const lastBuilt = runs
				.filter((run) => nodeOutput(run, 'Wait for Job')?.[0]?.status === 'succeeded')
				.at(-1)!;
			const last = runs.at(-1)!;
			const group = '{job="n8n_buildkit_pipeline",app="webapp"}';
			// Prometheus scrapes every second: wait until it has the last run's push.
			for (
				let i = 0;
				(await stack.prometheus.query(`push_time_seconds${group} >= ${seconds(last.startedAt)}`))
					.length === 0;
				i++
			) {
				if (i === 100) throw new Error('Prometheus did not scrape the last push within 10 s');
				await new Promise((done) => setTimeout(done, 100));
			}
			const within = (value: number, run: { startedAt: string; stoppedAt: string | null }) => {
				expect(value).toBeGreaterThanOrEqual(seconds(run.startedAt));
				expect(value).toBeLessThanOrEqual(seconds(run.stoppedAt!));
			};

			// Later runs (the replayed push that deployed nothing, the failures) left the deploy time as it was.
			const deployTime = await promValue(
				stack,
				`n8n_buildkit_last_deploy_timestamp_seconds${group}`,
			);
			within(deployTime, deployed);
			const [pushed] = nodeOutput(deployed, 'Push to main')!;
			const leadTime = await promValue(stack, `n8n_buildkit_lead_time_seconds${group}`);
			expect(leadTime).toBeGreaterThan(0);
			expect(leadTime).toBeCloseTo(deployTime - seconds(pushed.commitTimestamp), 0);
			within(
				await promValue(stack, `n8n_buildkit_last_failed_rollout_timestamp_seconds${group}`),
				rolledBack,
			);
			within(
				await promValue(stack, `n8n_buildkit_last_build_failure_timestamp_seconds${group}`),
				buildFailed,
			);
			expect(await promValue(stack, `n8n_buildkit_build_duration_seconds${group}`)).toBe(
				nodeOutput(lastBuilt, 'Wait for Job')![0].durationSeconds,
			);
			expect(await promValue(stack, `n8n_buildkit_last_run_success${group}`)).toBe(
				nodeOutput(last, 'Deployed') ? 1 : 0,
			);

			// deploy/monitoring's recording rules: one rollout deployed, one failed.
			expect(await promValue(stack, 'n8n_buildkit_app:deployments:7d{app="webapp"}')).toBe(1);
			expect(await promValue(stack, 'n8n_buildkit_app:failed_deployments:7d{app="webapp"}')).toBe(
				1,
			);
			expect(await promValue(stack, 'n8n_buildkit_app:change_failure_ratio:7d{app="webapp"}')).toBe(
				0.5,
			);

			// The exposition as pushed, read back from the Pushgateway, passes promtool's lint.
			const exposed = await (await fetch(`${stack.pushgateway.url}/metrics`)).text();
			const ours = exposed
				.split('\n')
				.filter((line) => /^(# (HELP|TYPE) )?n8n_buildkit_/.test(line));
			expect(
				ours
					.filter((line) => line.startsWith('# HELP'))
					.map((line) => line.split(' ')[2])
					.sort(),
			).toEqual([
				'n8n_buildkit_build_duration_seconds',
				'n8n_buildkit_last_build_failure_timestamp_seconds',
				'n8n_buildkit_last_deploy_timestamp_seconds',
				'n8n_buildkit_last_failed_rollout_timestamp_seconds',
				'n8n_buildkit_last_run_success',
				'n8n_buildkit_lead_time_seconds',
			]);
			const lint = spawnSync('promtool', ['check', 'metrics'], {
				input: `${ours.join('\n')}\n`,
				encoding: 'utf8',
			});
			expect(lint.stdout + lint.stderr).toBe('');
			expect(lint.status).toBe(0);
		});
	});

	describe('build-on-push.json with a broken GitOps repository', () => {
		it('reports the Flux reconcile error with the controller message', async () => {
			const broken = 'clusters/prod/broken/deployment.yaml';
			const bad =
				'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: broken\nspec:\n  selector:\n    matchLabels: {app: broken}\n  template:\n    metadata:\n      labels: {app: broken}\n    spec:\n      containers:\n        - name: app\n';
			await pushFiles(stack.git, 'gitops', { [broken]: bad }, 'add a broken manifest');
			const previous = (await stack.n8n.executions(BUILD_ON_PUSH)).length;
			const commit = await appCommit();
			expect((await sendGithubPush(stack, { commit, files: ['app/main.go'] })).status).toBe(200);
			const execution = (await stack.n8n.waitForExecutions(BUILD_ON_PUSH, previous + 1, 180_000))[
				previous
			];
			expect(execution.status).toBe('error');
			const [rolledBack] = nodeOutput(execution, 'Rolled back')!;
			expect(rolledBack).toMatchObject({
				failedStep: 'Wait for Rollout',
				status: 'failed',
				reason: 'ReconciliationFailed',
			});
			expect(rolledBack.message).toBe(
				`Flux Kustomization flux-system/flux-system failed to apply main@sha1:${rolledBack.gitopsCommit}: Deployment/prod/broken dry-run failed (Invalid): Deployment.apps "broken" is invalid: spec.template.spec.containers[0].image: Required value`,
			);
			expect(stack.forge.statuses(commit).map((s) => s.state)).toEqual(['pending', 'failure']);
		});
	});

	describe('poll-registry-and-bump.json', () => {
		it('bumps to the highest semver release once, then finds nothing to do', async () => {
			const registry = stack.registry.host;
			await pushTestImage({
				registry,
				repository: RELEASE_IMAGE,
				tags: ['1.0.0'],
				seed: 'release-1.0.0',
			});
			await pushTags({
				registry,
				repository: RELEASE_IMAGE,
				fromTag: '1.0.0',
				tags: ['1.2.0', '1.10.0-rc.1', 'latest'],
			});
			const { digest } = await pushTestImage({
				registry,
				repository: RELEASE_IMAGE,
				tags: ['1.10.0'],
				seed: 'release-1.10.0',
			});
			const before = await remoteLog(stack.gitopsUrl);

			const first = await stack.n8n.execute(POLL_REGISTRY);
			expect(first.status).toBe('success');
			const [bumped] = nodeOutput(first.data, 'Bumped')!;
			expect(bumped).toMatchObject({ outcome: 'bumped', tag: '1.10.0', digest });
			const afterFirst = await remoteLog(stack.gitopsUrl);
			expect(afterFirst.length).toBe(before.length + 1);
			expect(afterFirst[0].sha).toBe(bumped.gitopsCommit);
			expect(
				await readRemoteFile(stack.gitopsUrl, 'main', 'clusters/prod/releases/deployment.yaml'),
			).toContain(
				`image: ${registry}/${RELEASE_IMAGE}:1.10.0@${digest} # {"$imagepolicy": "flux-system:webapp-releases"}`,
			);

			const second = await stack.n8n.execute(POLL_REGISTRY);
			expect(second.status).toBe('success');
			expect(nodeOutput(second.data, 'Up to date')).toEqual([
				expect.objectContaining({ outcome: 'up to date', tag: '1.10.0' }),
			]);
			expect(nodeOutput(second.data, 'Bumped')).toBeUndefined();
			expect(await remoteLog(stack.gitopsUrl)).toEqual(afterFirst);
		});
	});

	describe('flux-alert-build.json', () => {
		it('builds for a HelmChart revision and bumps values and chart version once', async () => {
			const before = await remoteLog(stack.gitopsUrl);
			expect((await sendFluxEvent(stack, { revision: '0.2.0' })).status).toBe(200);
			const [first] = await stack.n8n.waitForExecutions(FLUX_ALERT, 1, 120_000);
			expect(first.status).toBe('success');
			const [bumped] = nodeOutput(first, 'Chart bumped')!;
			expect(bumped).toMatchObject({
				outcome: 'chart bumped',
				chartRevision: '0.2.0',
				tag: 'chart-0.2.0',
			});
			expect(await registryDigest(stack, APP_IMAGE, 'chart-0.2.0')).toBe(bumped.digest);
			expect(await readRemoteFile(stack.gitopsUrl, 'main', 'charts/webapp/Chart.yaml')).toContain(
				'version: 0.1.1\n',
			);
			expect(await readRemoteFile(stack.gitopsUrl, 'main', 'charts/webapp/values.yaml')).toContain(
				'  tag: "chart-0.2.0" # replaced by the pipeline\n',
			);
			const afterFirst = await remoteLog(stack.gitopsUrl);
			expect(afterFirst.length).toBe(before.length + 1);

			// The same revision again (a new event, not a replay): the image is rebuilt, the chart stays as it is.
			expect((await sendFluxEvent(stack, { revision: '0.2.0' })).status).toBe(200);
			const executions = await stack.n8n.waitForExecutions(FLUX_ALERT, 2, 120_000);
			expect(nodeOutput(executions[1], 'Chart bumped')).toEqual([
				expect.objectContaining({ outcome: 'chart already up to date' }),
			]);
			expect(await remoteLog(stack.gitopsUrl)).toEqual(afterFirst);
		});

		it('ignores events about another HelmChart', async () => {
			expect(
				(await sendFluxEvent(stack, { revision: '9.9.9', chart: 'flux-system/other-chart' }))
					.status,
			).toBe(200);
			const executions = await stack.n8n.waitForExecutions(FLUX_ALERT, 3, 60_000);
			expect(nodesRun(executions[2])).toContain('Not our chart');
			expect(nodesRun(executions[2])).not.toContain('Create BuildKit Job');
		});
	});
});
