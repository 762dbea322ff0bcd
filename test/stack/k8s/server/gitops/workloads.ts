import { createHash } from 'node:crypto';
import { timestamp, type Store, type StoreEvent } from '../store';
import { generateName } from '../validation';

/**
 * The Deployment controller, ReplicaSet controller and kubelet for apps/v1 Deployments, in one: a changed pod
 * template gets a new ReplicaSet (`pod-template-hash` label, `deployment.kubernetes.io/revision` annotation),
 * whose pods start, become ready (or crash, fail to pull, stay unready, get OOMKilled: the scenario picked by
 * image tag, image or pod label), and once the new ReplicaSet is available the old ones scale to 0. The
 * Deployment's status follows as the real controller writes it: observedGeneration, replicas / updated / ready /
 * available / unavailable, and the Available and Progressing conditions (NewReplicaSetAvailable,
 * ReplicaSetUpdated, ProgressDeadlineExceeded after spec.progressDeadlineSeconds).
 */
/** `upgradefailed` is helm-controller's: the HelmRelease upgrade fails (pods it picks run healthy). */
export type RolloutOutcome =
	'healthy' | 'crashloop' | 'imagepullbackoff' | 'unready' | 'oomkilled' | 'upgradefailed';
export const ROLLOUT_OUTCOMES: readonly RolloutOutcome[] = [
	'healthy',
	'crashloop',
	'imagepullbackoff',
	'unready',
	'oomkilled',
	'upgradefailed',
];

export interface RolloutScenario {
	outcome: RolloutOutcome;
	/** Lines the container writes each run (default: a few lines fitting the outcome). */
	log?: string[];
	/** Exit code of a crashing container (default 1; OOMKilled is always 137). */
	exitCode?: number;
}

/** What a scenario applies to: an exact image tag, a whole image reference, or a pod template label `key=value`. */
export type RolloutMatch = { tag?: string; image?: string; label?: string } | 'default';

/** The label that picks a scenario from the manifest itself. */
export const SCENARIO_LABEL = 'standin.k8s.io/rollout-scenario';

const DEPLOYMENTS = 'apps/deployments';
const REPLICASETS = 'apps/replicasets';
const PODS = '/pods';
const NODE = 'standin-node-1';
const STEP_MS = 60;
const READY_MS = 120;
const CRASH_RUN_MS = 150;
const MAX_RESTARTS = 6;

function tagOf(image: string): string {
	const noDigest = image.split('@')[0];
	const slash = noDigest.lastIndexOf('/');
	const colon = noDigest.lastIndexOf(':');
	return colon > slash ? noDigest.slice(colon + 1) : 'latest';
}

/** The pod-template-hash: stable for one template, different for any change to it. */
export function templateHash(template: unknown): string {
	const hex = createHash('sha256')
		.update(JSON.stringify(template ?? {}))
		.digest('hex');
	// The real hash is a safe-encoded fnv32a: digits and consonants only.
	return [...hex.slice(0, 10)].map((c) => 'bcdfghjklm'[parseInt(c, 16) % 10] ?? c).join('');
}

function condition(
	type: string,
	status: string,
	reason: string,
	message: string,
	previous?: any,
): any {
	const now = timestamp();
	const same = previous && previous.status === status;
	return {
		type,
		status,
		lastUpdateTime: now,
		lastTransitionTime: same ? previous.lastTransitionTime : now,
		reason,
		message,
	};
}

function podCondition(
	type: string,
	status: string,
	previous?: any,
	reason?: string,
	message?: string,
): any {
	const same = previous && previous.status === status;
	return {
		type,
		status,
		lastProbeTime: null,
		lastTransitionTime: same ? previous.lastTransitionTime : timestamp(),
		...(reason ? { reason } : {}),
		...(message ? { message } : {}),
	};
}

function defaultLog(outcome: RolloutOutcome, image: string): string[] {
	switch (outcome) {
		case 'crashloop':
			return [
				`starting ${image}`,
				'loading configuration from /etc/app/config.yaml',
				'panic: DATABASE_URL is not set',
				'',
				'goroutine 1 [running]:',
				'main.main()',
				'\t/src/main.go:42 +0x1d4',
			];
		case 'oomkilled':
			return [`starting ${image}`, 'warming cache: 1048576 entries'];
		case 'unready':
			return [
				`starting ${image}`,
				'listening on :8080',
				'GET /healthz 503 (dependency check failed: redis: connection refused)',
			];
		default:
			return [`starting ${image}`, 'listening on :8080'];
	}
}

interface PodSim {
	namespace: string;
	name: string;
	scenario: RolloutScenario;
	containers: string[];
	images: Record<string, string>;
	restarts: number;
}

export class WorkloadController {
	private scenarios: Array<{ match: RolloutMatch; scenario: RolloutScenario }> = [];
	private readonly timers = new Set<NodeJS.Timeout>();
	private readonly pending = new Set<string>();
	private readonly podLogs = new Map<string, Record<string, string[]>>();
	private readonly unsubscribe: () => void;

	constructor(private readonly store: Store) {
		this.unsubscribe = store.subscribe((e) => this.onEvent(e));
	}

	setScenario(match: RolloutMatch, scenario: RolloutScenario): void {
		if (!ROLLOUT_OUTCOMES.includes(scenario.outcome))
			throw new Error(`unknown rollout outcome ${scenario.outcome}`);
		this.scenarios = this.scenarios.filter(
			(s) => JSON.stringify(s.match) !== JSON.stringify(match),
		);
		this.scenarios.unshift({ match, scenario });
	}

	/** What a pod of this template does: the first scenario whose tag, image or label matches, else `default`. */
	scenarioFor(template: any): RolloutScenario {
		const labels: Record<string, string> = template?.metadata?.labels ?? {};
		const images: string[] = (template?.spec?.containers ?? []).map((c: any) =>
			String(c.image ?? ''),
		);
		const labelled = labels[SCENARIO_LABEL] as RolloutOutcome | undefined;
		const hit = this.scenarios.find(({ match }) => {
			if (match === 'default') return false;
			if (match.tag !== undefined && images.some((i) => tagOf(i) === match.tag)) return true;
			if (match.image !== undefined && images.includes(match.image)) return true;
			if (match.label !== undefined) {
				const [k, v] = match.label.split('=');
				return labels[k] === v;
			}
			return false;
		});
		if (hit) return hit.scenario;
		if (labelled && ROLLOUT_OUTCOMES.includes(labelled)) return { outcome: labelled };
		return this.scenarios.find((s) => s.match === 'default')?.scenario ?? { outcome: 'healthy' };
	}

	/** Lines written by a pod's containers, or undefined for pods this controller does not run. */
	logs(namespace: string, pod: string): Record<string, string[]> | undefined {
		return this.podLogs.get(`${namespace}/${pod}`);
	}

	stopAll(): void {
		this.unsubscribe();
		for (const t of this.timers) clearTimeout(t);
		this.timers.clear();
	}

	private later(ms: number, fn: () => void): void {
		const t = setTimeout(() => {
			this.timers.delete(t);
			fn();
		}, ms);
		this.timers.add(t);
	}

	private onEvent(e: StoreEvent): void {
		if (e.resource === DEPLOYMENTS && e.type !== 'DELETED') {
			if (e.type === 'ADDED' || JSON.stringify(e.old?.spec) !== JSON.stringify(e.object.spec))
				this.schedule(e.object.metadata.namespace, e.object.metadata.name);
		} else if (e.resource === PODS && e.type === 'DELETED') {
			this.podLogs.delete(`${e.object.metadata.namespace}/${e.object.metadata.name}`);
		}
	}

	/** Reconciles one Deployment soon, once however many changes arrive meanwhile. */
	schedule(namespace: string, name: string): void {
		const key = `${namespace}/${name}`;
		if (this.pending.has(key)) return;
		this.pending.add(key);
		setImmediate(() => {
			this.pending.delete(key);
			this.reconcile(namespace, name);
		});
	}

	private owned(resource: string, namespace: string, uid: string): any[] {
		return this.store
			.list(resource, namespace)
			.filter((o) => o.metadata.ownerReferences?.some((r: any) => r.uid === uid));
	}

	private reconcile(namespace: string, name: string): void {
		const d = this.store.get(DEPLOYMENTS, namespace, name);
		if (!d) return;
		const desired = d.spec.replicas ?? 1;
		const hash = templateHash(d.spec.template);
		const sets = this.owned(REPLICASETS, namespace, d.metadata.uid);
		let current = sets.find((rs) => rs.metadata.labels?.['pod-template-hash'] === hash);
		const revision = Math.max(
			0,
			...sets.map((rs) =>
				Number(rs.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0),
			),
		);
		let newRollout = false;
		if (!current) {
			newRollout = true;
			const labels = { ...(d.spec.template.metadata?.labels ?? {}), 'pod-template-hash': hash };
			current = this.store.create(REPLICASETS, {
				apiVersion: 'apps/v1',
				kind: 'ReplicaSet',
				metadata: {
					name: `${name}-${hash}`,
					namespace,
					labels,
					generation: 1,
					annotations: {
						'deployment.kubernetes.io/desired-replicas': String(desired),
						'deployment.kubernetes.io/max-replicas': String(desired + 1),
						'deployment.kubernetes.io/revision': String(revision + 1),
					},
					ownerReferences: [
						{
							apiVersion: 'apps/v1',
							kind: 'Deployment',
							name,
							uid: d.metadata.uid,
							controller: true,
							blockOwnerDeletion: true,
						},
					],
				},
				spec: {
					replicas: desired,
					selector: {
						matchLabels: { ...(d.spec.selector?.matchLabels ?? {}), 'pod-template-hash': hash },
					},
					template: {
						...d.spec.template,
						metadata: { ...(d.spec.template.metadata ?? {}), labels },
					},
				},
				status: { replicas: 0, observedGeneration: 1 },
			});
		}
		const pods = this.owned(PODS, namespace, current.metadata.uid);
		for (let i = pods.length; i < desired; i++) pods.push(this.createPod(current));
		const ready = (p: any) =>
			p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');
		const newReady = pods.filter(ready).length;
		const complete = newReady >= desired;
		const old = sets.filter((rs) => rs.metadata.uid !== current.metadata.uid);
		if (complete) {
			for (const rs of old) {
				for (const p of this.owned(PODS, namespace, rs.metadata.uid))
					this.store.remove(PODS, namespace, p.metadata.name);
				if (rs.spec.replicas !== 0)
					this.store.update(REPLICASETS, {
						...rs,
						spec: { ...rs.spec, replicas: 0 },
						status: { replicas: 0, observedGeneration: rs.metadata.generation },
					});
			}
		}
		const oldPods = old.flatMap((rs) => this.owned(PODS, namespace, rs.metadata.uid));
		this.writeReplicaSetStatus(current, pods, newReady);
		this.writeDeploymentStatus(d, current, {
			total: pods.length + oldPods.length,
			updated: pods.length,
			ready: newReady + oldPods.filter(ready).length,
			complete,
			newRollout,
		});
	}

	private writeReplicaSetStatus(rs: any, pods: any[], ready: number): void {
		const fresh = this.store.get(REPLICASETS, rs.metadata.namespace, rs.metadata.name);
		if (!fresh) return;
		const status = {
			replicas: pods.length,
			fullyLabeledReplicas: pods.length,
			readyReplicas: ready,
			availableReplicas: ready,
			observedGeneration: fresh.metadata.generation ?? 1,
		};
		if (JSON.stringify(status) !== JSON.stringify(fresh.status))
			this.store.update(REPLICASETS, { ...fresh, status });
	}

	private writeDeploymentStatus(
		d: any,
		rs: any,
		n: { total: number; updated: number; ready: number; complete: boolean; newRollout: boolean },
	): void {
		const fresh = this.store.get(DEPLOYMENTS, d.metadata.namespace, d.metadata.name);
		if (!fresh) return;
		const desired = fresh.spec.replicas ?? 1;
		const prev = fresh.status ?? {};
		const prevCond = (type: string) => prev.conditions?.find((c: any) => c.type === type);
		const rsName = rs.metadata.name;
		const available = Math.min(n.ready, n.total);
		const availableCond =
			available >= desired
				? condition(
						'Available',
						'True',
						'MinimumReplicasAvailable',
						'Deployment has minimum availability.',
						prevCond('Available'),
					)
				: condition(
						'Available',
						'False',
						'MinimumReplicasUnavailable',
						'Deployment does not have minimum availability.',
						prevCond('Available'),
					);
		let progressing: any;
		const deadline = (fresh.spec.progressDeadlineSeconds ?? 600) * 1000;
		const prevProgress = prevCond('Progressing');
		if (n.complete) {
			progressing = condition(
				'Progressing',
				'True',
				'NewReplicaSetAvailable',
				`ReplicaSet "${rsName}" has successfully progressed.`,
				prevProgress,
			);
		} else if (prevProgress?.reason === 'ProgressDeadlineExceeded' && !n.newRollout) {
			progressing = prevProgress;
		} else {
			progressing = condition(
				'Progressing',
				'True',
				n.newRollout ? 'NewReplicaSetCreated' : 'ReplicaSetUpdated',
				n.newRollout
					? `Created new replica set "${rsName}"`
					: `ReplicaSet "${rsName}" is progressing.`,
				prevProgress,
			);
			if (n.newRollout || prevProgress?.reason === 'NewReplicaSetAvailable')
				progressing.lastUpdateTime = timestamp();
			else progressing.lastUpdateTime = prevProgress?.lastUpdateTime ?? timestamp();
			const since = Date.parse(progressing.lastUpdateTime);
			this.later(Math.max(0, since + deadline - Date.now()) + 10, () =>
				this.checkDeadline(fresh.metadata.namespace, fresh.metadata.name, rsName),
			);
		}
		const status: any = {
			observedGeneration: fresh.metadata.generation ?? 1,
			replicas: n.total,
			updatedReplicas: n.updated,
			readyReplicas: n.ready,
			availableReplicas: available,
			unavailableReplicas: Math.max(0, n.total - available),
			conditions: [availableCond, progressing],
		};
		for (const k of ['readyReplicas', 'availableReplicas', 'unavailableReplicas'])
			if (status[k] === 0) delete status[k];
		const comparable = (s: any) =>
			JSON.stringify({
				...s,
				conditions: s?.conditions?.map((c: any) => ({
					...c,
					lastUpdateTime: undefined,
					lastTransitionTime: undefined,
				})),
			});
		if (comparable(status) !== comparable(prev))
			this.store.update(DEPLOYMENTS, { ...fresh, status });
	}

	/** No progress within progressDeadlineSeconds: Progressing=False ProgressDeadlineExceeded, as the controller says. */
	private checkDeadline(namespace: string, name: string, rsName: string): void {
		const d = this.store.get(DEPLOYMENTS, namespace, name);
		const progressing = d?.status?.conditions?.find((c: any) => c.type === 'Progressing');
		if (
			!d ||
			!progressing ||
			progressing.status !== 'True' ||
			progressing.reason === 'NewReplicaSetAvailable'
		)
			return;
		if (!progressing.message.includes(`"${rsName}"`)) return;
		const deadline = (d.spec.progressDeadlineSeconds ?? 600) * 1000;
		if (Date.now() - Date.parse(progressing.lastUpdateTime) < deadline) return;
		const next = condition(
			'Progressing',
			'False',
			'ProgressDeadlineExceeded',
			`ReplicaSet "${rsName}" has timed out progressing.`,
			progressing,
		);
		this.store.update(DEPLOYMENTS, {
			...d,
			status: {
				...d.status,
				conditions: d.status.conditions.map((c: any) => (c.type === 'Progressing' ? next : c)),
			},
		});
	}

	// -------------------------------------------------------------------------------------------------- kubelet

	private createPod(rs: any): any {
		const template = rs.spec.template;
		const scenario = this.scenarioFor(template);
		const containers = (template.spec?.containers ?? []).map((c: any) => ({
			...c,
			imagePullPolicy: c.imagePullPolicy ?? 'IfNotPresent',
			terminationMessagePath: '/dev/termination-log',
			terminationMessagePolicy: 'File',
		}));
		const pod = this.store.create(PODS, {
			apiVersion: 'v1',
			kind: 'Pod',
			metadata: {
				name: generateName(`${rs.metadata.name}-`),
				namespace: rs.metadata.namespace,
				labels: { ...(template.metadata?.labels ?? {}) },
				ownerReferences: [
					{
						apiVersion: 'apps/v1',
						kind: 'ReplicaSet',
						name: rs.metadata.name,
						uid: rs.metadata.uid,
						controller: true,
						blockOwnerDeletion: true,
					},
				],
			},
			spec: {
				...template.spec,
				containers,
				nodeName: NODE,
				restartPolicy: 'Always',
				schedulerName: 'default-scheduler',
				serviceAccountName: template.spec?.serviceAccountName ?? 'default',
			},
			status: {
				phase: 'Pending',
				qosClass: 'BestEffort',
				startTime: timestamp(),
				hostIP: '10.0.0.10',
				podIP: `10.244.0.${Math.floor(Math.random() * 250) + 2}`,
				conditions: [
					podCondition('PodScheduled', 'True'),
					podCondition('Initialized', 'True'),
					podCondition(
						'ContainersReady',
						'False',
						undefined,
						'ContainersNotReady',
						`containers with unready status: [${containers.map((c: any) => c.name).join(' ')}]`,
					),
					podCondition(
						'Ready',
						'False',
						undefined,
						'ContainersNotReady',
						`containers with unready status: [${containers.map((c: any) => c.name).join(' ')}]`,
					),
				],
				containerStatuses: containers.map((c: any) => ({
					name: c.name,
					image: c.image,
					imageID: '',
					ready: false,
					restartCount: 0,
					started: false,
					state: { waiting: { reason: 'ContainerCreating' } },
					lastState: {},
				})),
			},
		});
		const sim: PodSim = {
			namespace: pod.metadata.namespace,
			name: pod.metadata.name,
			scenario,
			restarts: 0,
			containers: containers.map((c: any) => c.name),
			images: Object.fromEntries(containers.map((c: any) => [c.name, c.image])),
		};
		this.podLogs.set(`${sim.namespace}/${sim.name}`, {});
		this.later(STEP_MS, () => this.start(sim));
		return pod;
	}

	/** Changes one pod's status (if it still exists) and lets its Deployment see the change. */
	private patchPod(sim: PodSim, change: (pod: any) => void): boolean {
		const pod = this.store.get(PODS, sim.namespace, sim.name);
		if (!pod) return false;
		change(pod);
		const ready = pod.status.containerStatuses.every((s: any) => s.ready);
		const conds = pod.status.conditions as any[];
		const unready = pod.status.containerStatuses
			.filter((s: any) => !s.ready)
			.map((s: any) => s.name)
			.join(' ');
		pod.status.conditions = conds.map((c) =>
			c.type === 'Ready' || c.type === 'ContainersReady'
				? podCondition(
						c.type,
						ready ? 'True' : 'False',
						c,
						ready ? undefined : 'ContainersNotReady',
						ready ? undefined : `containers with unready status: [${unready}]`,
					)
				: c,
		);
		this.store.update(PODS, pod);
		const rs = pod.metadata.ownerReferences?.[0]?.name;
		const owner = rs && this.store.get(REPLICASETS, sim.namespace, rs);
		const deployment = owner?.metadata.ownerReferences?.[0]?.name;
		if (deployment) this.schedule(sim.namespace, deployment);
		return true;
	}

	/** The log of the container's current run (a restart starts a new one, as the runtime does). */
	private write(sim: PodSim, container: string, lines: string[]): void {
		const logs = this.podLogs.get(`${sim.namespace}/${sim.name}`);
		if (logs) logs[container] = lines;
	}

	private start(sim: PodSim): void {
		const { outcome } = sim.scenario;
		if (outcome === 'imagepullbackoff') {
			const pulled = this.patchPod(sim, (pod) => {
				for (const s of pod.status.containerStatuses) {
					s.state = {
						waiting: {
							reason: 'ErrImagePull',
							message: `failed to pull and unpack image "${s.image}": failed to resolve reference "${s.image}": ${s.image}: not found`,
						},
					};
				}
			});
			if (pulled)
				this.later(STEP_MS, () =>
					this.patchPod(sim, (pod) => {
						for (const s of pod.status.containerStatuses)
							s.state = {
								waiting: {
									reason: 'ImagePullBackOff',
									message: `Back-off pulling image "${s.image}"`,
								},
							};
					}),
				);
			return;
		}
		const startedAt = timestamp();
		const running = this.patchPod(sim, (pod) => {
			pod.status.phase = 'Running';
			for (const s of pod.status.containerStatuses) {
				s.state = { running: { startedAt } };
				s.started = true;
				s.imageID = `${s.image.split('@')[0].replace(/:[^/:]*$/, '')}@sha256:${createHash('sha256').update(s.image).digest('hex')}`;
				s.containerID = `containerd://${createHash('sha256').update(`${sim.name}/${s.name}/${sim.restarts}`).digest('hex')}`;
			}
		});
		if (!running) return;
		for (const c of sim.containers)
			this.write(sim, c, sim.scenario.log ?? defaultLog(outcome, sim.images[c]));
		if (outcome === 'healthy' || outcome === 'upgradefailed')
			this.later(READY_MS, () =>
				this.patchPod(sim, (pod) => {
					for (const s of pod.status.containerStatuses) s.ready = true;
				}),
			);
		else if (outcome === 'crashloop' || outcome === 'oomkilled')
			this.later(CRASH_RUN_MS, () => this.crash(sim, startedAt));
	}

	private crash(sim: PodSim, startedAt: string): void {
		const oom = sim.scenario.outcome === 'oomkilled';
		const terminated = {
			exitCode: oom ? 137 : (sim.scenario.exitCode ?? 1),
			reason: oom ? 'OOMKilled' : 'Error',
			startedAt,
			finishedAt: timestamp(),
		};
		sim.restarts++;
		const alive = this.patchPod(sim, (pod) => {
			for (const s of pod.status.containerStatuses) {
				s.ready = false;
				s.started = false;
				s.restartCount = sim.restarts;
				s.lastState = { terminated: { ...terminated, containerID: s.containerID } };
				s.state = {
					waiting: {
						reason: 'CrashLoopBackOff',
						message: `back-off ${Math.min(300, 10 * 2 ** (sim.restarts - 1))}s restarting failed container=${s.name} pod=${sim.name}_${sim.namespace}(${pod.metadata.uid})`,
					},
				};
			}
		});
		// The back-off is shortened so a test sees several restarts, as `kubectl get pods` shows RESTARTS growing.
		if (alive && sim.restarts < MAX_RESTARTS) this.later(CRASH_RUN_MS * 2, () => this.start(sim));
	}
}
