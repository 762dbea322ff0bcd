import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
	appFiles,
	hostPlatform,
	pushBaseImage,
	pushScannerImage,
	scannerImageRef,
} from '../stack/buildkit';
import { type GitServer, startGitServer } from '../stack/git';
import { type ForgeDouble, startForgeDouble } from '../stack/forge';
import { type KubeStandIn, startKubeStandIn } from '../stack/k8s';
import { grantRolloutRead } from '../stack/k8s/rolloutRbac';
import { type N8nInstance, type StackCredential, startN8n } from '../stack/n8n';
import {
	type RunningPrometheus,
	type RunningProcess,
	startPrometheus,
	startPushgateway,
} from '../stack/prometheus';
import { startRegistry } from '../stack/registry';

/**
 * The whole pipeline on 127.0.0.1: the real registry, git over HTTP, the Kubernetes API stand-in (whose Jobs
 * push to that registry), a Pushgateway scraped by Prometheus with deploy/monitoring's rules, and real n8n with
 * this package and the workflows from workflows/, wired to them by editing only each workflow's "Pipeline
 * settings" node. Used by the e2e tests, the demo and bench/e2e.
 */

export const WORKFLOWS_DIR = resolve(__dirname, '../../workflows');
const MONITORING_RULES = resolve(__dirname, '../../deploy/monitoring/rules.yaml');
export const BUILD_ON_PUSH = 'buildOnPush00001';
export const POLL_REGISTRY = 'pollRegistry0001';
export const FLUX_ALERT = 'fluxAlertBuild01';

export const APP_IMAGE = 'webapp/app';
export const RELEASE_IMAGE = 'webapp/release';
// The name deploy/admission's build-job-policy allows a build pod to mount.
const APP_GIT_SECRET = 'git-credentials';
export const HELM_CHART = 'flux-system/flux-system-webapp';

export type Workflow = {
	id: string;
	name: string;
	nodes: Array<{ name: string; type: string; parameters: any }>;
	[key: string]: unknown;
};

export function loadWorkflow(file: string): Workflow {
	return JSON.parse(readFileSync(join(WORKFLOWS_DIR, file), 'utf8')) as Workflow;
}

/**
 * A copy of the workflow with values of its "Pipeline settings" node replaced. Every key must name an existing
 * setting: the workflows are used as shipped, only pointed at this stack.
 */
export function configureWorkflow(
	workflow: Workflow,
	values: Record<string, string | boolean | number>,
): Workflow {
	const copy = JSON.parse(JSON.stringify(workflow)) as Workflow;
	const settings = copy.nodes.find((n) => n.name === 'Pipeline settings');
	if (!settings) throw new Error(`${workflow.name}: no "Pipeline settings" node`);
	const assignments = settings.parameters.assignments.assignments as Array<{
		name: string;
		value: unknown;
	}>;
	for (const [name, value] of Object.entries(values)) {
		const entry = assignments.find((a) => a.name === name);
		if (!entry) throw new Error(`${workflow.name}: "Pipeline settings" has no ${name}`);
		entry.value = value;
	}
	return copy;
}

/**
 * The four credentials the shipped workflows name (n8n binds them by name on import): the build cluster, the
 * registry, the GitOps repository as the bot (HTTPS token) and the webhook signing secret.
 */
export function workflowCredentials(o: {
	kubernetes: StackCredential['data'];
	registry: string;
	registryPlainHttp: boolean;
	gitToken: string;
	webhookSecret: string;
}): StackCredential[] {
	return [
		{ name: 'Build cluster', type: 'kubernetesApi', data: o.kubernetes },
		{
			name: 'Build registry',
			type: 'containerRegistryApi',
			data: { registry: o.registry, plainHttp: o.registryPlainHttp },
		},
		{
			name: 'GitOps repository',
			type: 'gitRepositoryApi',
			data: {
				authentication: 'https',
				username: 'n8n-bot',
				token: o.gitToken,
				authorName: 'n8n build bot',
				authorEmail: 'builds@n8n.local',
			},
		},
		{
			name: 'Webhook signing secret',
			type: 'webhookSigningSecretApi',
			data: { secret: o.webhookSecret },
		},
	];
}

/** The GitOps repository the workflows bump: Flux markers for two images and a Helm chart. */
export function gitopsFiles(registryHost: string): Record<string, string> {
	return {
		'README.md': '# GitOps\n',
		'clusters/prod/webapp/deployment.yaml': [
			'apiVersion: apps/v1',
			'kind: Deployment',
			'metadata:',
			'  name: webapp # the app built on every push',
			'spec:',
			'  replicas: 2',
			'  selector:',
			'    matchLabels: {app: webapp}',
			'  template:',
			'    metadata:',
			'      labels: {app: webapp}',
			'    spec:',
			'      containers:',
			'        - name: app',
			`          image: ${registryHost}/${APP_IMAGE}:main-000000000000 # {"$imagepolicy": "flux-system:webapp"}`,
			'',
		].join('\n'),
		'clusters/prod/releases/deployment.yaml': [
			'apiVersion: apps/v1',
			'kind: Deployment',
			'metadata:',
			'  name: release',
			'spec:',
			'  selector:',
			'    matchLabels: {app: release}',
			'  template:',
			'    metadata:',
			'      labels: {app: release}',
			'    spec:',
			'      containers:',
			'        - name: app',
			`          image: ${registryHost}/${RELEASE_IMAGE}:0.9.0 # {"$imagepolicy": "flux-system:webapp-releases"}`,
			'',
		].join('\n'),
		'charts/webapp/Chart.yaml':
			'apiVersion: v2\nname: webapp\ndescription: The web app\nversion: 0.1.0\nappVersion: "1.0"\n',
		'charts/webapp/values.yaml': `# image the chart deploys\nimage:\n  repository: ${registryHost}/${APP_IMAGE}\n  tag: "bootstrap" # replaced by the pipeline\nreplicas: 1\n`,
	};
}

export interface PipelineStack {
	registry: { host: string; url: string; stop(): Promise<void> };
	git: GitServer;
	kube?: KubeStandIn;
	/** Records the commit statuses build-on-push reports (GitHub API). */
	forge: ForgeDouble;
	/** Where build-on-push pushes its metrics, and the Prometheus that scrapes it (1 s) and evaluates the repo's rules. */
	pushgateway: RunningProcess;
	prometheus: RunningPrometheus;
	n8n: N8nInstance;
	/** Whether the stand-in's Jobs build with real BuildKit (and the base and scanner images were pushed). */
	realBuilds: boolean;
	secret: string;
	gitopsUrl: string;
	appUrl: string;
	stop(): Promise<void>;
}

export interface PipelineStackOptions {
	/** A kubeconfig (YAML text) for a real cluster; without it the stand-in is started. */
	kubeconfig?: string;
	/** For a real cluster: the repository its Jobs push to (host/path, readable from here), default the local registry. */
	imageRepository?: string;
	/** For a real cluster: the app's git URL the Jobs clone, default the local git server's webapp.git. */
	appRepositoryUrl?: string;
	/** Whether imageRepository's registry speaks plain HTTP (default true). */
	registryPlainHttp?: boolean;
	/** Activate only these workflows (default: build-on-push and flux-alert; the poll one runs on demand). */
	activate?: string[];
	/** More workflows to import beside the three shipped ones (e.g. a benchmark's peer). */
	extraWorkflows?: object[];
	ownerPassword?: string;
	/** Extra settings per workflow id, e.g. a real registry for a real cluster. */
	settings?: Record<string, Record<string, string | boolean | number>>;
	/** Log progress lines (the demo). */
	log?: (line: string) => void;
}

/** Starts registry, git, the Kubernetes stand-in (or uses a kubeconfig) and n8n with the three workflows. */
export async function startPipelineStack(opts: PipelineStackOptions = {}): Promise<PipelineStack> {
	const log = opts.log ?? (() => undefined);
	const started: Array<{ stop(): Promise<void> }> = [];
	const stopAll = async () => {
		for (const part of started.reverse()) await part.stop().catch(() => undefined);
	};
	try {
		const registry = await startRegistry();
		started.push(registry);
		log(`registry     ${registry.url}`);
		const gitToken = `git-${randomBytes(9).toString('base64url')}`;
		const git = await startGitServer({ username: 'n8n-bot', password: gitToken });
		started.push(git);
		const gitopsUrl = await git.createBareRepo('gitops', gitopsFiles(registry.host));
		const appUrl =
			opts.appRepositoryUrl ?? (await git.createBareRepo('webapp', appFiles(registry.host)));
		const imageRepository = opts.imageRepository ?? `${registry.host}/${APP_IMAGE}`;
		const imageRegistry = imageRepository.split('/')[0];
		log(`git          ${git.baseUrl} (gitops.git, webapp.git)`);
		let kube: KubeStandIn | undefined;
		let kubernetes: StackCredential['data'];
		if (opts.kubeconfig) {
			kubernetes = {
				authentication: 'kubeconfig',
				kubeconfig: opts.kubeconfig,
				namespace: 'build-system',
			};
			log('kubernetes   the cluster of $KUBECONFIG');
		} else {
			kube = await startKubeStandIn({ registry: { host: registry.host } });
			started.push(kube);
			if (kube.realBuilder) {
				await pushBaseImage(kube.realBuilder, registry.host);
				await pushScannerImage(kube.realBuilder, registry.host);
				log(`buildkit     real (${kube.realBuilder.binDir}); base and SBOM scanner images pushed`);
			} else log(`buildkit     simulated: ${kube.simulatedBecause}`);
			// Flux, simulated: applies clusters/prod of the GitOps repo to namespace prod; n8n may read both (deploy/rollout).
			await grantRolloutRead(kube, ['flux-system', 'prod']);
			await kube.gitops.configure({
				kind: 'flux',
				namespace: 'flux-system',
				name: 'flux-system',
				fetchUrl: git.authedRepoUrl('gitops'),
				repoUrl: gitopsUrl,
				branch: 'main',
				path: 'clusters/prod',
				targetNamespace: 'prod',
				intervalMs: 300,
			});
			kubernetes = kube.n8nCredential();
			log(`kubernetes   ${kube.url} (API stand-in, RBAC from deploy/)`);
		}
		const forge = await startForgeDouble(`ghp_${randomBytes(12).toString('hex')}`);
		started.push(forge);
		const pushgateway = await startPushgateway();
		started.push(pushgateway);
		const prometheus = await startPrometheus({ pushgateway, ruleFiles: [MONITORING_RULES] });
		started.push(prometheus);
		log(`prometheus   ${prometheus.url} (scrapes the Pushgateway ${pushgateway.url})`);
		const secret = randomBytes(24).toString('hex');
		const credentials: StackCredential[] = [
			...workflowCredentials({
				kubernetes,
				registry: imageRegistry,
				registryPlainHttp: opts.registryPlainHttp ?? true,
				gitToken,
				webhookSecret: secret,
			}),
			{
				name: 'Forge (GitHub)',
				type: 'githubApi',
				data: { server: forge.url, user: 'n8n-bot', accessToken: forge.token },
			},
		];
		// The app repository needs the bot's login, as a private repository does: the Jobs' git-clone reads it
		// from a Secret an admin created in the build namespace.
		if (kube)
			await kube.createSecret('build-system', APP_GIT_SECRET, {
				username: 'n8n-bot',
				password: gitToken,
			});
		const common = {
			insecureRegistry: true,
			plainHttpGit: true,
			gitopsRepositoryUrl: gitopsUrl,
			gitopsBranch: 'main',
			...(kube ? { appGitSecretName: APP_GIT_SECRET } : {}),
			// Real BuildKit builds for this host only (no QEMU here) and takes SBOMs from the stack's scanner image
			// (BuildKit's default scanner is on Docker Hub).
			...(kube?.realBuilder
				? { platforms: hostPlatform(), sbomGenerator: scannerImageRef(registry.host) }
				: {}),
		};
		const workflows = [
			configureWorkflow(loadWorkflow('build-on-push.json'), {
				...common,
				appRepositoryUrl: appUrl,
				imageRepository,
				manifestPath: 'clusters/prod/webapp',
				imagePolicy: 'flux-system:webapp',
				rolloutStuckAfterSeconds: 5,
				rolloutTimeoutSeconds: 120,
				commitStatusProvider: 'github',
				forgeApiUrl: forge.url,
				pushgatewayUrl: pushgateway.url,
				...opts.settings?.[BUILD_ON_PUSH],
			}),
			configureWorkflow(loadWorkflow('poll-registry-and-bump.json'), {
				imageRepository: `${registry.host}/${RELEASE_IMAGE}`,
				semverRange: '>=1.0.0',
				plainHttpGit: true,
				gitopsRepositoryUrl: gitopsUrl,
				gitopsBranch: 'main',
				imagePolicy: 'flux-system:webapp-releases',
				manifestPath: 'clusters/prod/releases',
				...opts.settings?.[POLL_REGISTRY],
			}),
			configureWorkflow(loadWorkflow('flux-alert-build.json'), {
				...common,
				helmChart: HELM_CHART,
				appRepositoryUrl: appUrl,
				imageRepository,
				chartPath: 'charts/webapp',
				...opts.settings?.[FLUX_ALERT],
			}),
		];
		log('n8n          starting (package from npm pack, workflows imported)…');
		workflows.push(...((opts.extraWorkflows ?? []) as Workflow[]));
		const n8n = await startN8n({
			workflows,
			credentials,
			activate: opts.activate ?? [BUILD_ON_PUSH, FLUX_ALERT],
			ownerPassword: opts.ownerPassword,
		});
		started.push(n8n);
		log(`n8n          ${n8n.url}`);
		return {
			registry,
			git,
			kube,
			forge,
			pushgateway,
			prometheus,
			n8n,
			secret,
			gitopsUrl,
			appUrl,
			realBuilds: !!kube?.realBuilder,
			stop: stopAll,
		};
	} catch (error) {
		await stopAll();
		throw error;
	}
}

export const randomSha = () => randomBytes(20).toString('hex');

/** A GitHub push delivery for `commit`, signed with X-Hub-Signature-256 over the exact body bytes. */
export async function sendGithubPush(
	stack: Pick<PipelineStack, 'n8n' | 'secret' | 'appUrl'>,
	push: {
		commit: string;
		files: string[];
		before?: string;
		branch?: string;
		deliveryId?: string;
		timestamp?: string;
	},
): Promise<Response> {
	const body = JSON.stringify({
		ref: `refs/heads/${push.branch ?? 'main'}`,
		// A push onto an existing branch: with an all-zero 'before' (a new branch) the file list is not trusted.
		before: push.before ?? randomSha(),
		after: push.commit,
		repository: { name: 'webapp', full_name: 'homelab/webapp', clone_url: stack.appUrl },
		head_commit: {
			id: push.commit,
			message: 'Change the app',
			timestamp: push.timestamp ?? new Date().toISOString(),
			added: [],
			removed: [],
			modified: push.files,
		},
		commits: [
			{ id: push.commit, message: 'Change the app', added: [], removed: [], modified: push.files },
		],
	});
	return await fetch(stack.n8n.webhookUrl('build-on-push'), {
		method: 'POST',
		headers: {
			'content-type': 'application/json',
			'x-github-event': 'push',
			'x-github-delivery': push.deliveryId ?? randomUUID(),
			'x-hub-signature-256': `sha256=${createHmac('sha256', stack.secret).update(body).digest('hex')}`,
		},
		body,
	});
}

/** A Flux notification-controller event (generic-hmac provider: X-Signature: sha256=<hmac of the body>). */
export async function sendFluxEvent(
	stack: Pick<PipelineStack, 'n8n' | 'secret'>,
	event: { revision: string; chart?: string; reason?: string },
): Promise<Response> {
	const [namespace, name] = (event.chart ?? HELM_CHART).split('/');
	const body = JSON.stringify({
		involvedObject: {
			kind: 'HelmChart',
			namespace,
			name,
			apiVersion: 'source.toolkit.fluxcd.io/v1',
			uid: randomUUID(),
		},
		severity: 'info',
		timestamp: new Date().toISOString(),
		message: `packaged 'webapp' chart with version '${event.revision}'`,
		reason: event.reason ?? 'ChartPackageSucceeded',
		metadata: { revision: event.revision },
		reportingController: 'source-controller',
		reportingInstance: 'source-controller-7f5c9d9b8-x2k4p',
	});
	return await fetch(stack.n8n.webhookUrl('flux-helmchart'), {
		method: 'POST',
		headers: {
			'content-type': 'application/json',
			'x-signature': `sha256=${createHmac('sha256', stack.secret).update(body).digest('hex')}`,
		},
		body,
	});
}

/** The items a node output in an execution (first run, first output), or undefined if it did not run. */
export function nodeOutput(execution: { data?: any }, nodeName: string): any[] | undefined {
	const runs = execution.data?.resultData?.runData?.[nodeName];
	if (!runs) return undefined;
	return (runs[0]?.data?.main?.[0] ?? []).map((item: { json: unknown }) => item.json);
}

/** Names of the nodes that ran in an execution. */
export function nodesRun(execution: { data?: any }): string[] {
	return Object.keys(execution.data?.resultData?.runData ?? {});
}
