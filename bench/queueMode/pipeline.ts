import { createHmac, randomBytes } from 'node:crypto';
import { request } from 'node:https';
import {
	configureWorkflow,
	loadWorkflow,
	type Workflow,
	workflowCredentials,
} from '../../test/e2e/pipelineStack';
import { type GitServer, startGitServer } from '../../test/stack/git';
import { type KubeStandIn, startKubeStandIn } from '../../test/stack/k8s';
import type { N8nInstance, StartN8nOptions } from '../../test/stack/n8n';
import { startRegistry } from '../../test/stack/registry';

/**
 * The build-on-push pipeline for many apps on the local stack, for the queue-mode load test: the real registry,
 * git over HTTP, the Kubernetes stand-in (builds succeed quickly and push to that registry), and an n8n started
 * by the caller (one process or queue mode) running a multi-app variant of workflows/build-on-push.json.
 */

export const MULTI_APP_WORKFLOW_ID = 'buildOnPushApps1';
export const WEBHOOK_PATH = 'build-on-push';
export const BUILD_NAMESPACE = 'build-system';
/**
 * workflows/build-on-push.json as shipped, with only its "Pipeline settings" changed so one workflow serves
 * every app (the app is the pushed repository's name). The shipped workflow is already idempotent (Create
 * BuildKit Job with deterministicName + ifExists: reuse) and gives the bump 10 push attempts: with 5, two workers
 * racing on one GitOps branch lost a bump once in 50.
 */
export function multiAppWorkflow(registryHost: string, gitopsUrl: string): Workflow {
	// The trigger names the repository "owner/name"; the app is the name.
	const app = "$json.repository.name.split('/').pop()";
	// The clone URL comes from the settings, never from the webhook body: here the app's repository on the stack's git server.
	const gitBase = gitopsUrl.replace(/\/gitops\.git$/, '');
	const workflow = configureWorkflow(loadWorkflow('build-on-push.json'), {
		appName: `={{ ${app} }}`,
		appRepositoryUrl: `={{ '${gitBase}/' + ${app} + '.git' }}`,
		imageRepository: `={{ '${registryHost}/' + ${app} + '/app' }}`,
		imagePolicy: `={{ 'flux-system:' + ${app} }}`,
		manifestPath: `={{ 'clusters/prod/' + ${app} }}`,
		insecureRegistry: true,
		plainHttpGit: true,
		gitopsRepositoryUrl: gitopsUrl,
		gitopsBranch: 'main',
	});
	workflow.id = MULTI_APP_WORKFLOW_ID;
	workflow.name = 'Build on push, every app (queue-mode load test)';
	return workflow;
}

export const manifestPath = (app: string) => `clusters/prod/${app}/deployment.yaml`;
export const INITIAL_TAG = 'main-000000000000';

/** One Deployment per app, each image line carrying its Flux marker. */
export function gitopsFilesFor(apps: string[], registryHost: string): Record<string, string> {
	const files: Record<string, string> = { 'README.md': '# GitOps\n' };
	for (const app of apps) {
		files[manifestPath(app)] = [
			'apiVersion: apps/v1',
			'kind: Deployment',
			'metadata:',
			`  name: ${app}`,
			'spec:',
			'  template:',
			'    spec:',
			'      containers:',
			'        - name: app',
			`          image: ${registryHost}/${app}/app:${INITIAL_TAG} # {"$imagepolicy": "flux-system:${app}"}`,
			'',
		].join('\n');
	}
	return files;
}

export interface AppsStack {
	registry: { host: string; url: string; stop(): Promise<void> };
	git: GitServer;
	kube: KubeStandIn;
	n8n: N8nInstance;
	secret: string;
	gitopsUrl: string;
	appUrls: Record<string, string>;
	stop(): Promise<void>;
}

/** Starts registry, git (a GitOps repo and one source repo per app), the stand-in and n8n via `startN8n`. */
export async function startAppsStack(
	apps: string[],
	startN8n: (opts: StartN8nOptions) => Promise<N8nInstance>,
	opts: { buildMs?: number } = {},
): Promise<AppsStack> {
	const started: Array<{ stop(): Promise<void> }> = [];
	const stop = async () => {
		for (const part of started.splice(0).reverse()) await part.stop().catch(() => undefined);
	};
	try {
		const registry = await startRegistry();
		started.push(registry);
		const gitToken = `git-${randomBytes(9).toString('base64url')}`;
		const git = await startGitServer({ username: 'n8n-bot', password: gitToken });
		started.push(git);
		const gitopsUrl = await git.createBareRepo('gitops', gitopsFilesFor(apps, registry.host));
		const appUrls: Record<string, string> = {};
		for (const app of apps)
			appUrls[app] = await git.createBareRepo(app, {
				Dockerfile: 'FROM scratch\nCOPY app /app\n',
				'app/main.go': 'package main\n',
			});
		const kube = await startKubeStandIn({ registry: { host: registry.host } });
		started.push(kube);
		await kube.setScenario('default', {
			outcome: 'succeed',
			runMs: opts.buildMs ?? 100,
			logLines: 2,
		});
		const secret = randomBytes(24).toString('hex');
		const credentials = workflowCredentials({
			kubernetes: kube.n8nCredential(BUILD_NAMESPACE),
			registry: registry.host,
			registryPlainHttp: true,
			gitToken,
			webhookSecret: secret,
		});
		const n8n = await startN8n({
			workflows: [multiAppWorkflow(registry.host, gitopsUrl)],
			credentials,
			activate: [MULTI_APP_WORKFLOW_ID],
		});
		started.push(n8n);
		return { registry, git, kube, n8n, secret, gitopsUrl, appUrls, stop };
	} catch (error) {
		await stop();
		throw error;
	}
}

export interface Delivery {
	app: string;
	commit: string;
	deliveryId: string;
}

/** A GitHub push of `commit` to main of the app's repository, signed over the exact body bytes. */
export async function sendPush(
	stack: Pick<AppsStack, 'n8n' | 'secret' | 'appUrls'>,
	delivery: Delivery,
): Promise<{ status: number; body: string }> {
	const files = ['app/main.go'];
	const body = JSON.stringify({
		ref: 'refs/heads/main',
		before: randomBytes(20).toString('hex'),
		after: delivery.commit,
		repository: {
			name: delivery.app,
			full_name: `homelab/${delivery.app}`,
			clone_url: stack.appUrls[delivery.app],
		},
		head_commit: {
			id: delivery.commit,
			message: 'Change the app',
			timestamp: new Date().toISOString(),
			added: [],
			removed: [],
			modified: files,
		},
		commits: [
			{ id: delivery.commit, message: 'Change the app', added: [], removed: [], modified: files },
		],
	});
	const res = await fetch(stack.n8n.webhookUrl(WEBHOOK_PATH), {
		method: 'POST',
		headers: {
			'content-type': 'application/json',
			'x-github-event': 'push',
			'x-github-delivery': delivery.deliveryId,
			'x-hub-signature-256': `sha256=${createHmac('sha256', stack.secret).update(body).digest('hex')}`,
		},
		body,
	});
	return { status: res.status, body: await res.text() };
}

/** The Jobs in the build namespace, read as cluster-admin from the stand-in's API. */
export async function listJobs(kube: KubeStandIn): Promise<
	Array<{
		metadata: {
			name: string;
			annotations?: Record<string, string>;
			labels?: Record<string, string>;
		};
	}>
> {
	const url = new URL(`${kube.url}/apis/batch/v1/namespaces/${BUILD_NAMESPACE}/jobs`);
	const text = await new Promise<string>((resolve, reject) => {
		const req = request(
			url,
			{ ca: kube.caPem, headers: { authorization: `Bearer ${kube.adminToken}` } },
			(res) => {
				let data = '';
				res.on('data', (chunk) => (data += chunk));
				res.on('end', () =>
					res.statusCode === 200
						? resolve(data)
						: reject(
								new Error(`GET ${url.pathname}: HTTP ${res.statusCode} ${data.slice(0, 300)}`),
							),
				);
			},
		);
		req.on('error', reject);
		req.end();
	});
	return (
		JSON.parse(text) as {
			items: Array<{
				metadata: {
					name: string;
					annotations?: Record<string, string>;
					labels?: Record<string, string>;
				};
			}>;
		}
	).items;
}
