import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { git } from '../../../git';
import { createHash } from 'node:crypto';
import { timestamp, type Store, type StoreEvent } from '../store';
import type { WorkloadController } from './workloads';

/**
 * Flux kustomize-controller and Argo CD application-controller, simulated: each configured source polls the
 * real GitOps repository (git over HTTP), and on a new commit builds the manifests under its path, validates
 * them as the apiserver would (a dry-run), applies the Deployments (the WorkloadController then rolls them out)
 * and writes the status the real controller writes. Field shapes follow kustomize-controller api/v1
 * (KustomizationStatus: conditions with fluxcd/pkg meta reasons, lastAppliedRevision / lastAttemptedRevision
 * `<branch>@sha1:<sha>`, inventory) and argo-cd pkg/apis/application/v1alpha1 (ApplicationStatus: sync,
 * health, operationState, conditions, history, summary). A HelmRelease among the manifests is stored and, a
 * moment later, released by a simulated helm-controller (api/v2 HelmReleaseStatus: observedGeneration, Ready /
 * Released / Stalled with its reasons and message formats, lastAttempted*, history); the chart is not rendered.
 */
export interface GitOpsSourceConfig {
	kind: 'flux' | 'argo';
	namespace: string;
	name: string;
	/** The URL this process fetches from (may carry credentials; never written into an object). */
	fetchUrl: string;
	/** The URL shown in the objects. */
	repoUrl: string;
	branch: string;
	/** Folder of the manifests, e.g. `clusters/prod`. */
	path: string;
	/** Namespace the manifests are applied to (Flux targetNamespace / Argo destination.namespace). */
	targetNamespace: string;
	/** Poll interval (ms, default 200). */
	intervalMs?: number;
}

const DEPLOYMENTS = 'apps/deployments';
const KUSTOMIZATIONS = 'kustomize.toolkit.fluxcd.io/kustomizations';
const APPLICATIONS = 'argoproj.io/applications';
const HELMRELEASES = 'helm.toolkit.fluxcd.io/helmreleases';
/** helm-controller's reconcile after the Kustomization applied the HelmRelease: long enough to be seen lagging. */
const HELM_RELEASE_MS = 300;
const NAMESPACES = '/namespaces';

class ReconcileError extends Error {
	constructor(
		readonly stage: 'build' | 'apply',
		message: string,
	) {
		super(message);
	}
}

function cond(
	type: string,
	status: string,
	reason: string,
	message: string,
	generation: number,
	previous?: any,
): any {
	const same = previous && previous.status === status && previous.reason === reason;
	return {
		lastTransitionTime: same ? previous.lastTransitionTime : timestamp(),
		message,
		observedGeneration: generation,
		reason,
		status,
		type,
	};
}

/** The apiserver's validation of a Deployment, with its error text (`Deployment.apps "x" is invalid: ...`). */
export function deploymentErrors(d: any): string[] {
	const errs: string[] = [];
	const selector = d.spec?.selector?.matchLabels;
	const labels = d.spec?.template?.metadata?.labels ?? {};
	if (!d.spec?.selector) errs.push('spec.selector: Required value');
	else if (selector && !Object.entries(selector).every(([k, v]) => labels[k] === v)) {
		errs.push(
			`spec.template.metadata.labels: Invalid value: ${JSON.stringify(labels)}: \`selector\` does not match template \`labels\``,
		);
	}
	const containers = d.spec?.template?.spec?.containers;
	if (!Array.isArray(containers) || containers.length === 0)
		errs.push('spec.template.spec.containers: Required value');
	else {
		containers.forEach((c: any, i: number) => {
			if (!c?.name) errs.push(`spec.template.spec.containers[${i}].name: Required value`);
			if (!c?.image) errs.push(`spec.template.spec.containers[${i}].image: Required value`);
		});
	}
	return errs;
}

interface Source {
	config: GitOpsSourceConfig;
	cache: string;
	timer?: NodeJS.Timeout;
	busy: boolean;
	/** The last commit reconciled (applied or failed). */
	attempted?: string;
	/** Deployments applied by the last successful reconcile. */
	managed: Array<{ namespace: string; name: string }>;
}

export class GitOpsControllers {
	private readonly sources = new Map<string, Source>();
	private stopped = false;
	private readonly unsubscribe: () => void;
	private readonly helmTimers = new Set<NodeJS.Timeout>();

	constructor(
		private readonly store: Store,
		private readonly workloads: WorkloadController,
	) {
		this.unsubscribe = store.subscribe((e) => this.onEvent(e));
	}

	/** Creates the Kustomization or Application object (as a user would) and starts its controller. */
	configure(config: GitOpsSourceConfig): void {
		const key = `${config.kind}/${config.namespace}/${config.name}`;
		this.remove(key);
		for (const ns of [config.namespace, config.targetNamespace]) this.ensureNamespace(ns);
		const resource = config.kind === 'flux' ? KUSTOMIZATIONS : APPLICATIONS;
		const existing = this.store.get(resource, config.namespace, config.name);
		if (existing) this.store.remove(resource, config.namespace, config.name);
		this.store.create(
			resource,
			config.kind === 'flux' ? this.kustomization(config) : this.application(config),
		);
		const source: Source = {
			config,
			cache: mkdtempSync(join(tmpdir(), 'standin-gitops-')),
			busy: false,
			managed: [],
		};
		this.sources.set(key, source);
		void git(['init', '-q', '--bare', source.cache]).then(() => this.poll(source));
	}

	stopAll(): void {
		this.stopped = true;
		this.unsubscribe();
		for (const t of this.helmTimers) clearTimeout(t);
		for (const key of [...this.sources.keys()]) this.remove(key);
	}

	private remove(key: string): void {
		const source = this.sources.get(key);
		if (!source) return;
		clearTimeout(source.timer);
		this.sources.delete(key);
		rmSync(source.cache, { recursive: true, force: true });
	}

	private ensureNamespace(name: string): void {
		if (this.store.get(NAMESPACES, undefined, name)) return;
		this.store.create(NAMESPACES, {
			apiVersion: 'v1',
			kind: 'Namespace',
			metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
			spec: { finalizers: ['kubernetes'] },
			status: { phase: 'Active' },
		});
	}

	private kustomization(c: GitOpsSourceConfig): any {
		return {
			apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
			kind: 'Kustomization',
			metadata: {
				name: c.name,
				namespace: c.namespace,
				generation: 1,
				finalizers: ['finalizers.fluxcd.io'],
			},
			spec: {
				interval: '1m',
				path: `./${c.path.replace(/^\.?\//, '')}`,
				prune: true,
				force: false,
				sourceRef: { kind: 'GitRepository', name: c.name },
				targetNamespace: c.targetNamespace,
				timeout: '5m',
			},
			status: { observedGeneration: -1, conditions: [] },
		};
	}

	private application(c: GitOpsSourceConfig): any {
		return {
			apiVersion: 'argoproj.io/v1alpha1',
			kind: 'Application',
			metadata: {
				name: c.name,
				namespace: c.namespace,
				generation: 1,
				finalizers: ['resources-finalizer.argocd.argoproj.io'],
			},
			spec: {
				project: 'default',
				source: { repoURL: c.repoUrl, path: c.path, targetRevision: c.branch },
				destination: { server: 'https://kubernetes.default.svc', namespace: c.targetNamespace },
				syncPolicy: { automated: { prune: true, selfHeal: true } },
			},
			status: {
				sync: {
					status: 'Unknown',
					comparedTo: { source: { repoURL: c.repoUrl }, destination: {} },
				},
				health: { status: 'Unknown' },
			},
		};
	}

	private poll(source: Source): void {
		if (this.stopped || !this.sources.has(this.keyOf(source))) return;
		source.timer = setTimeout(() => this.poll(source), source.config.intervalMs ?? 200);
		if (source.busy) return;
		source.busy = true;
		this.tick(source)
			.catch((err) =>
				process.stderr.write(`gitops ${this.keyOf(source)}: ${(err as Error).message}\n`),
			)
			.finally(() => (source.busy = false));
	}

	private keyOf(source: Source): string {
		return `${source.config.kind}/${source.config.namespace}/${source.config.name}`;
	}

	private async tick(source: Source): Promise<void> {
		const { config } = source;
		const out = await git(['ls-remote', config.fetchUrl, `refs/heads/${config.branch}`]);
		const sha = out.split(/\s/)[0];
		if (!sha || sha === source.attempted) return;
		if (
			config.kind === 'flux' &&
			this.store.get(KUSTOMIZATIONS, config.namespace, config.name)?.spec?.suspend
		)
			return;
		await git(
			[
				'fetch',
				'-q',
				'--depth',
				'1',
				config.fetchUrl,
				`+refs/heads/${config.branch}:refs/heads/${config.branch}`,
			],
			source.cache,
		);
		source.attempted = sha;
		this.progressing(source, sha);
		try {
			const docs = await this.build(source, sha);
			const applied = this.apply(source, docs);
			source.managed = applied;
			this.succeeded(source, sha, applied);
		} catch (error) {
			if (!(error instanceof ReconcileError)) throw error;
			this.failed(source, sha, error);
		}
	}

	/** All YAML documents under the path at that commit (`kustomize build` of a folder without kustomization.yaml). */
	private async build(source: Source, sha: string): Promise<any[]> {
		const path = source.config.path.replace(/^\.?\//, '').replace(/\/$/, '');
		const files = (await git(['ls-tree', '-r', '--name-only', sha, '--', path], source.cache))
			.split('\n')
			.filter((f) => /\.ya?ml$/.test(f) && !/(^|\/)kustomization\.ya?ml$/.test(f));
		const docs: any[] = [];
		for (const file of files.sort()) {
			const text = await git(['cat-file', 'blob', `${sha}:${file}`], source.cache);
			for (const doc of parseAllDocuments(text)) {
				if (doc.errors.length) {
					const e = doc.errors[0];
					const line = e.linePos?.[0]?.line;
					throw new ReconcileError(
						'build',
						`kustomize build failed: ${file}: yaml: ${line ? `line ${line}: ` : ''}${e.message.split('\n')[0]}`,
					);
				}
				const value = doc.toJS();
				if (value && typeof value === 'object') docs.push(value);
			}
		}
		return docs;
	}

	/** Dry-run every Deployment first (nothing is applied when one is invalid), then apply them and any HelmRelease. */
	private apply(source: Source, docs: any[]): Array<{ namespace: string; name: string }> {
		const { config } = source;
		const deployments = docs.filter((d) => d.apiVersion === 'apps/v1' && d.kind === 'Deployment');
		for (const d of deployments) {
			const ns = config.targetNamespace;
			const errs = deploymentErrors(d);
			if (errs.length) {
				const detail = errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`;
				throw new ReconcileError(
					'apply',
					`Deployment/${ns}/${d.metadata?.name} dry-run failed (Invalid): Deployment.apps "${d.metadata?.name}" is invalid: ${detail}`,
				);
			}
		}
		const applied: Array<{ namespace: string; name: string }> = [];
		const tracking: Record<string, string> =
			config.kind === 'flux'
				? {
						'kustomize.toolkit.fluxcd.io/name': config.name,
						'kustomize.toolkit.fluxcd.io/namespace': config.namespace,
					}
				: { 'app.kubernetes.io/instance': config.name };
		for (const d of deployments) {
			const namespace = config.targetNamespace;
			const name = d.metadata.name;
			const spec = {
				replicas: 1,
				progressDeadlineSeconds: 600,
				revisionHistoryLimit: 10,
				strategy: {
					type: 'RollingUpdate',
					rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
				},
				...d.spec,
			};
			const current = this.store.get(DEPLOYMENTS, namespace, name);
			const metadata = {
				...(d.metadata ?? {}),
				namespace,
				labels: { ...(d.metadata?.labels ?? {}), ...tracking },
			};
			if (!current)
				this.store.create(DEPLOYMENTS, {
					apiVersion: 'apps/v1',
					kind: 'Deployment',
					metadata: { ...metadata, generation: 1 },
					spec,
					status: {},
				});
			else if (
				JSON.stringify(current.spec) !== JSON.stringify(spec) ||
				JSON.stringify(current.metadata.labels) !== JSON.stringify(metadata.labels)
			) {
				const generation =
					(current.metadata.generation ?? 1) +
					(JSON.stringify(current.spec) !== JSON.stringify(spec) ? 1 : 0);
				this.store.update(DEPLOYMENTS, {
					...current,
					metadata: { ...current.metadata, labels: metadata.labels, generation },
					spec,
				});
			}
			applied.push({ namespace, name });
		}
		for (const h of docs.filter(
			(d) => d.apiVersion === 'helm.toolkit.fluxcd.io/v2' && d.kind === 'HelmRelease',
		))
			this.applyHelmRelease(h, config.targetNamespace, tracking);
		return applied;
	}

	/** Stores the HelmRelease (generation +1 when its spec changed) and lets helm-controller release it later. */
	private applyHelmRelease(doc: any, namespace: string, labels: Record<string, string>): void {
		const name = doc.metadata?.name;
		const current = this.store.get(HELMRELEASES, namespace, name);
		const metadata = {
			...(doc.metadata ?? {}),
			namespace,
			labels: { ...(doc.metadata?.labels ?? {}), ...labels },
		};
		if (!current)
			this.store.create(HELMRELEASES, {
				...doc,
				metadata: { ...metadata, generation: 1, finalizers: ['finalizers.fluxcd.io'] },
				status: {},
			});
		else if (JSON.stringify(current.spec) !== JSON.stringify(doc.spec))
			this.store.update(HELMRELEASES, {
				...current,
				metadata: { ...current.metadata, generation: (current.metadata.generation ?? 1) + 1 },
				spec: doc.spec,
			});
		else return;
		const timer = setTimeout(() => {
			this.helmTimers.delete(timer);
			if (!this.stopped) this.releaseHelm(namespace, name);
		}, HELM_RELEASE_MS);
		this.helmTimers.add(timer);
	}

	/**
	 * helm-controller's install/upgrade of the current spec: it succeeds, or fails when a rollout scenario
	 * `upgradefailed` matches `values.image` (repository:tag) the way pod scenarios match a pod template.
	 */
	private releaseHelm(namespace: string, name: string): void {
		const hr = this.store.get(HELMRELEASES, namespace, name);
		if (!hr) return;
		const gen = hr.metadata.generation ?? 1;
		const chart = hr.spec?.chart?.spec ?? {};
		const chartName = chart.chart ?? name;
		const chartVersion = chart.version ?? '0.1.0';
		const releaseName = hr.spec?.releaseName ?? name;
		const storageNamespace = hr.spec?.storageNamespace ?? hr.spec?.targetNamespace ?? namespace;
		const history: any[] = hr.status?.history ?? [];
		const action = history.some((h) => h.status === 'deployed') ? 'upgrade' : 'install';
		const Action = action === 'upgrade' ? 'Upgrade' : 'Install';
		const version = (history[0]?.version ?? 0) + 1;
		const image = hr.spec?.values?.image;
		const failed =
			this.workloads.scenarioFor({
				metadata: { labels: hr.metadata.labels },
				spec: { containers: [{ image: image ? `${image.repository}:${image.tag}` : '' }] },
			}).outcome === 'upgradefailed';
		const configDigest = `sha256:${createHash('sha256')
			.update(JSON.stringify(hr.spec?.values ?? {}))
			.digest('hex')}`;
		const now = timestamp();
		const snapshot = {
			name: releaseName,
			namespace: storageNamespace,
			version,
			status: failed ? 'failed' : 'deployed',
			chartName,
			chartVersion,
			appVersion: chartVersion,
			configDigest,
			firstDeployed: history.at(-1)?.firstDeployed ?? now,
			lastDeployed: now,
			digest: `sha256:${createHash('sha256').update(`${releaseName}.v${version}`).digest('hex')}`,
		};
		const message = failed
			? `Helm ${action} failed for release ${storageNamespace}/${releaseName} with chart ${chartName}@${chartVersion}: context deadline exceeded`
			: `Helm ${action} succeeded for release ${storageNamespace}/${releaseName}.v${version} with chart ${chartName}@${chartVersion}`;
		const reason = `${Action}${failed ? 'Failed' : 'Succeeded'}`;
		const prev = (t: string) => hr.status?.conditions?.find((c: any) => c.type === t);
		const status = failed ? 'False' : 'True';
		hr.status = {
			...hr.status,
			observedGeneration: gen,
			lastAttemptedGeneration: gen,
			lastAttemptedRevision: chartVersion,
			lastAttemptedConfigDigest: configDigest,
			lastAttemptedReleaseAction: action,
			helmChart: `${chart.sourceRef?.namespace ?? namespace}/${namespace}-${name}`,
			storageNamespace,
			history: [
				snapshot,
				...history.map((h) => (h.status === 'deployed' ? { ...h, status: 'superseded' } : h)),
			].slice(0, 5),
			conditions: [
				cond('Ready', status, reason, message, gen, prev('Ready')),
				cond('Released', status, reason, message, gen, prev('Released')),
				...(failed
					? [
							cond(
								'Stalled',
								'True',
								'RetriesExceeded',
								`Failed to ${action} after 1 attempt(s)`,
								gen,
								prev('Stalled'),
							),
						]
					: []),
			],
		};
		this.store.update(HELMRELEASES, hr);
	}

	private progressing(source: Source, sha: string): void {
		const { config } = source;
		const revision = `${config.branch}@sha1:${sha}`;
		if (config.kind === 'flux') {
			this.updateStatus(KUSTOMIZATIONS, config, (obj) => {
				const gen = obj.metadata.generation ?? 1;
				const prev = (t: string) => obj.status?.conditions?.find((c: any) => c.type === t);
				obj.status.conditions = [
					cond(
						'Reconciling',
						'True',
						'Progressing',
						`Building manifests for revision ${revision} with a timeout of 5m0s`,
						gen,
						prev('Reconciling'),
					),
					cond('Ready', 'Unknown', 'Progressing', 'Reconciliation in progress', gen, prev('Ready')),
				];
			});
		} else {
			this.updateStatus(APPLICATIONS, config, (obj) => {
				obj.status.operationState = {
					operation: {
						sync: { revision: sha },
						initiatedBy: { automated: true },
						retry: { limit: 5 },
					},
					phase: 'Running',
					message: 'waiting for completion of hook and 1 more resources',
					startedAt: timestamp(),
				};
			});
		}
	}

	private succeeded(
		source: Source,
		sha: string,
		applied: Array<{ namespace: string; name: string }>,
	): void {
		const { config } = source;
		const revision = `${config.branch}@sha1:${sha}`;
		if (config.kind === 'flux') {
			this.updateStatus(KUSTOMIZATIONS, config, (obj) => {
				const gen = obj.metadata.generation ?? 1;
				obj.status = {
					...obj.status,
					observedGeneration: gen,
					lastAppliedRevision: revision,
					lastAttemptedRevision: revision,
					conditions: [
						cond(
							'Ready',
							'True',
							'ReconciliationSucceeded',
							`Applied revision: ${revision}`,
							gen,
							obj.status?.conditions?.find((c: any) => c.type === 'Ready'),
						),
					],
					inventory: {
						entries: applied.map((a) => ({
							id: `${a.namespace}_${a.name}_apps_Deployment`,
							v: 'v1',
						})),
					},
				};
			});
		} else {
			this.updateStatus(APPLICATIONS, config, (obj) => {
				const now = timestamp();
				const sourceRef = {
					repoURL: config.repoUrl,
					path: config.path,
					targetRevision: config.branch,
				};
				const resources = applied.map((a) => ({
					group: 'apps',
					version: 'v1',
					kind: 'Deployment',
					namespace: a.namespace,
					name: a.name,
					status: 'Synced',
					message: `deployment.apps/${a.name} configured`,
					hookPhase: 'Running',
					syncPhase: 'Sync',
				}));
				obj.status.operationState = {
					...obj.status.operationState,
					phase: 'Succeeded',
					message: 'successfully synced (all tasks run)',
					finishedAt: now,
					syncResult: { revision: sha, source: sourceRef, resources },
				};
				obj.status.sync = {
					status: 'Synced',
					revision: sha,
					comparedTo: { source: sourceRef, destination: obj.spec.destination },
				};
				obj.status.conditions = undefined;
				obj.status.reconciledAt = now;
				const history = obj.status.history ?? [];
				obj.status.history = [
					...history,
					{
						revision: sha,
						deployedAt: now,
						id: history.length,
						source: sourceRef,
						deployStartedAt: obj.status.operationState.startedAt,
						initiatedBy: { automated: true },
					},
				].slice(-10);
				obj.status.sourceType = 'Directory';
				this.argoHealth(obj, applied);
			});
		}
	}

	private failed(source: Source, sha: string, error: ReconcileError): void {
		const { config } = source;
		const revision = `${config.branch}@sha1:${sha}`;
		if (config.kind === 'flux') {
			this.updateStatus(KUSTOMIZATIONS, config, (obj) => {
				const gen = obj.metadata.generation ?? 1;
				const reason = error.stage === 'build' ? 'BuildFailed' : 'ReconciliationFailed';
				obj.status = {
					...obj.status,
					observedGeneration: gen,
					lastAttemptedRevision: revision,
					conditions: [
						cond(
							'Ready',
							'False',
							reason,
							error.message,
							gen,
							obj.status?.conditions?.find((c: any) => c.type === 'Ready'),
						),
					],
				};
			});
		} else {
			this.updateStatus(APPLICATIONS, config, (obj) => {
				const now = timestamp();
				if (error.stage === 'build') {
					const message = `Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = Manifest generation error (cached): ${error.message}`;
					obj.status.operationState = {
						...obj.status.operationState,
						phase: 'Error',
						message,
						finishedAt: now,
					};
					obj.status.sync = { ...obj.status.sync, status: 'Unknown' };
					obj.status.conditions = [{ type: 'ComparisonError', message, lastTransitionTime: now }];
				} else {
					const message = `one or more objects failed to apply, reason: ${error.message}`;
					obj.status.operationState = {
						...obj.status.operationState,
						phase: 'Failed',
						message,
						finishedAt: now,
						syncResult: { revision: sha, source: obj.spec.source, resources: [] },
					};
					obj.status.sync = {
						status: 'OutOfSync',
						revision: sha,
						comparedTo: { source: obj.spec.source, destination: obj.spec.destination },
					};
					obj.status.conditions = [
						{
							type: 'SyncError',
							message: `Failed sync attempt to ${sha}: ${message}`,
							lastTransitionTime: now,
						},
					];
				}
				obj.status.reconciledAt = now;
			});
		}
	}

	private updateStatus(
		resource: string,
		config: GitOpsSourceConfig,
		change: (obj: any) => void,
	): void {
		const obj = this.store.get(resource, config.namespace, config.name);
		if (!obj) return;
		obj.status ??= {};
		const before = JSON.stringify(obj.status);
		change(obj);
		if (JSON.stringify(obj.status) !== before) this.store.update(resource, obj);
	}

	/** Argo CD's health of a Deployment (resource_customizations / health_deployment.go) and of the app (the worst). */
	private argoHealth(app: any, managed: Array<{ namespace: string; name: string }>): void {
		const order = ['Healthy', 'Suspended', 'Progressing', 'Missing', 'Degraded', 'Unknown'];
		let worst = { status: 'Healthy' } as { status: string; message?: string };
		const images = new Set<string>();
		const resources: any[] = [];
		for (const m of managed) {
			const d = this.store.get(DEPLOYMENTS, m.namespace, m.name);
			const health = d ? deploymentHealth(d) : { status: 'Missing' };
			for (const c of d?.spec?.template?.spec?.containers ?? []) images.add(c.image);
			resources.push({
				group: 'apps',
				version: 'v1',
				kind: 'Deployment',
				namespace: m.namespace,
				name: m.name,
				status: 'Synced',
				health,
			});
			if (order.indexOf(health.status) > order.indexOf(worst.status)) worst = health;
		}
		const previous = app.status.health;
		app.status.health =
			previous?.status === worst.status && previous?.message === worst.message
				? previous
				: { ...worst, lastTransitionTime: timestamp() };
		app.status.resources = resources;
		app.status.summary = { images: [...images].sort() };
	}

	private onEvent(e: StoreEvent): void {
		if (e.resource !== DEPLOYMENTS) return;
		const { namespace, name } = e.object.metadata;
		for (const source of this.sources.values()) {
			if (
				source.config.kind !== 'argo' ||
				!source.managed.some((m) => m.namespace === namespace && m.name === name)
			)
				continue;
			setImmediate(() => {
				if (this.stopped) return;
				this.updateStatus(APPLICATIONS, source.config, (app) => {
					if (app.status.sync?.status === 'Synced') this.argoHealth(app, source.managed);
				});
			});
		}
	}
}

export function deploymentHealth(d: any): { status: string; message?: string } {
	const s = d.status ?? {};
	if (d.spec?.paused) return { status: 'Suspended', message: 'Deployment is paused' };
	if ((s.observedGeneration ?? 0) < (d.metadata?.generation ?? 1))
		return {
			status: 'Progressing',
			message:
				'Waiting for rollout to finish: observed deployment generation less than desired generation',
		};
	const progressing = s.conditions?.find((c: any) => c.type === 'Progressing');
	if (progressing?.reason === 'ProgressDeadlineExceeded')
		return {
			status: 'Degraded',
			message: `Deployment "${d.metadata.name}" exceeded its progress deadline`,
		};
	const replicas = d.spec?.replicas ?? 1;
	const updated = s.updatedReplicas ?? 0;
	if (updated < replicas)
		return {
			status: 'Progressing',
			message: `Waiting for rollout to finish: ${updated} out of ${replicas} new replicas have been updated...`,
		};
	if ((s.replicas ?? 0) > updated)
		return {
			status: 'Progressing',
			message: `Waiting for rollout to finish: ${(s.replicas ?? 0) - updated} old replicas are pending termination...`,
		};
	if ((s.availableReplicas ?? 0) < updated)
		return {
			status: 'Progressing',
			message: `Waiting for rollout to finish: ${s.availableReplicas ?? 0} of ${updated} updated replicas are available...`,
		};
	return { status: 'Healthy' };
}
