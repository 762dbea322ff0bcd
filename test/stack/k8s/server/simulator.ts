import { createHash, randomBytes } from 'node:crypto';
import type { JobScenario, RealBuilder, RegistryTarget, ScenarioMatch } from '../types';
import { pushImages, resolveRevision } from './push';
import { type ContainerExit, podDirFor, RealPod } from './realPod';
import { timestamp, type Store } from './store';
import { generateName } from './validation';

/**
 * A Job controller + scheduler + kubelet in one: each Job gets a Pod (init container `git-clone`, container
 * `buildkit`) that moves through the phases a real cluster shows for the scenario the test picked, with the
 * Job's status (startTime, active/ready/succeeded/failed, SuccessCriteriaMet/FailureTarget before
 * Complete/Failed, completionTime) following. Every step is a store write, so watches see each change.
 *
 * With a real builder, a Job whose scenario is `succeed` runs for real (see realPod.ts): its containers' exits,
 * termination messages and output make the statuses and logs, and the image is whatever BuildKit pushed. The
 * scripted outcomes remain for what a host cannot produce (OOMKilled, ImagePullBackOff, Unschedulable, …).
 *
 * State is a small record per Job (phase + when it was entered) that is persisted with the objects, so after a
 * restart each Job resumes where it was; steps that fell due while the server was down are applied at once.
 */
type Phase =
	| 'blocked' // the pod was refused (quota); the controller retries
	| 'pending' // pod created, not scheduled yet
	| 'stalled' // unschedulable or image pull back-off: only the deadline ends it
	| 'initializing' // git-clone running
	| 'imagepull' // build image cannot be pulled
	| 'running' // buildkit running
	| 'crashloop' // buildkit crashed, back-off before restart
	| 'pushing'
	| 'real' // the pod's containers are running as real processes
	| 'succeeded' // SuccessCriteriaMet set, Complete pending
	| 'backoff' // pod failed, replacement pending
	| 'failing' // FailureTarget set, Failed pending
	| 'finished';

interface SimRecord {
	namespace: string;
	jobName: string;
	uid: string;
	scenario: JobScenario;
	phase: Phase;
	phaseSince: number;
	startedAt: number;
	finishedAt?: number;
	podName?: string;
	failures: number;
	restarts: number;
	failReason?: string;
	failMessage?: string;
	/** Why this Job's pods are simulated; undefined: they run for real. */
	simulatedBecause?: string;
}

/** How many pods ran for real and how many were simulated, with the reasons. */
export interface BuildCounts {
	real: number;
	simulated: number;
	reasons: Record<string, number>;
}

export interface SimulatorSnapshot {
	sims: SimRecord[];
	scenarios: Array<{ match: ScenarioMatch; scenario: JobScenario }>;
	/** "namespace/pod" -> container -> log lines written so far */
	logs: Record<string, Record<string, string[]>>;
	builds?: BuildCounts;
}

export interface SimulatorOptions {
	registry?: RegistryTarget;
	pushModule?: string;
	/** Admission for the pods the controller creates (ResourceQuota): a reason to refuse, or undefined. */
	admitPod?: (pod: any) => string | undefined;
	/** Deletes a finished Job and its pods when its ttlSecondsAfterFinished runs out. */
	deleteJob: (namespace: string, name: string) => void;
	realBuilder?: RealBuilder;
	/** Why there is no real builder (reported per Job). */
	simulatedBecause?: string;
}

const JOBS = 'batch/jobs';
const PODS = '/pods';
const NODE = 'standin-node-1';
const ANNOTATION = 'buildkit.n8n.io';
const TERMINAL_SETTLE_MS = 15;

const hex = (seed: string) => createHash('sha256').update(seed).digest('hex');

function setCondition(
	conditions: any[],
	type: string,
	status: string,
	reason?: string,
	message?: string,
	withProbe = false,
): any[] {
	const now = timestamp();
	const existing = conditions.find((c) => c.type === type);
	const next: any = {
		type,
		status,
		...(withProbe ? { lastProbeTime: now } : { lastProbeTime: null }),
		lastTransitionTime: now,
	};
	if (reason) next.reason = reason;
	if (message) next.message = message;
	if (existing && existing.status === status) next.lastTransitionTime = existing.lastTransitionTime;
	return existing ? conditions.map((c) => (c.type === type ? next : c)) : [...conditions, next];
}

/** Whether a URL (or `//host/...`) names a host on this machine's loopback. */
function onLoopback(url: string): boolean {
	const host = /^(?:[a-z+]+:)?\/\/(?:[^@/]*@)?(\[[^\]]*\]|[^/:]*)/i.exec(url)?.[1] ?? '';
	return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function redactUrl(url: string): string {
	return url.replace(/\/\/[^/@]*@/, '//');
}

export class JobSimulator {
	private readonly sims = new Map<string, SimRecord>();
	private readonly timers = new Map<string, NodeJS.Timeout>();
	private scenarios: SimulatorSnapshot['scenarios'] = [];
	private podLogs: SimulatorSnapshot['logs'] = {};
	private readonly realPods = new Map<string, RealPod>();
	private builds: BuildCounts = { real: 0, simulated: 0, reasons: {} };

	constructor(
		private readonly store: Store,
		private readonly opts: SimulatorOptions,
	) {}

	setScenario(match: ScenarioMatch, scenario: JobScenario): void {
		this.scenarios = this.scenarios.filter(
			(s) => JSON.stringify(s.match) !== JSON.stringify(match),
		);
		this.scenarios.unshift({ match, scenario });
	}

	private scenarioFor(job: any): JobScenario {
		const name = job.metadata.name;
		const app = job.metadata.labels?.webapp ?? job.spec?.template?.metadata?.labels?.webapp;
		const hit =
			this.scenarios.find((s) => s.match !== 'default' && s.match.jobName === name) ??
			this.scenarios.find(
				(s) => s.match !== 'default' && s.match.appName !== undefined && s.match.appName === app,
			) ??
			this.scenarios.find((s) => s.match === 'default');
		return hit?.scenario ?? { outcome: 'succeed' };
	}

	snapshot(): SimulatorSnapshot {
		return {
			sims: [...this.sims.values()],
			scenarios: this.scenarios,
			logs: this.podLogs,
			builds: this.builds,
		};
	}

	restore(snapshot: Partial<SimulatorSnapshot>): void {
		this.scenarios = snapshot.scenarios ?? [];
		this.podLogs = snapshot.logs ?? {};
		this.builds = snapshot.builds ?? this.builds;
		for (const sim of snapshot.sims ?? []) {
			this.sims.set(`${sim.namespace}/${sim.jobName}`, sim);
			const job = this.job(sim);
			// A push cut short by the restart is simply done again (pushes are idempotent).
			if (sim.phase === 'pushing' && job) void this.push(sim, job);
			// The processes died with the server: the node runs the pod's containers again (builds are idempotent).
			else if (sim.phase === 'real' && job) void this.runReal(sim);
			else this.wake(sim);
		}
	}

	stopAll(): void {
		for (const t of this.timers.values()) clearTimeout(t);
		this.timers.clear();
		for (const pod of this.realPods.values()) pod.kill();
	}

	buildCounts(): BuildCounts {
		return this.builds;
	}

	/** What each container of a pod has written so far. */
	logs(namespace: string, podName: string): Record<string, string[]> {
		return this.podLogs[`${namespace}/${podName}`] ?? {};
	}

	/** A pod left the store: its logs go with it, as on a real node. */
	podRemoved(namespace: string, podName: string): void {
		delete this.podLogs[`${namespace}/${podName}`];
	}

	/** Called after a Job was stored: the controller notices it and starts a pod. */
	start(job: any): void {
		const sim: SimRecord = {
			namespace: job.metadata.namespace,
			jobName: job.metadata.name,
			uid: job.metadata.uid,
			scenario: this.scenarioFor(job),
			phase: 'pending',
			phaseSince: Date.now(),
			startedAt: Date.now(),
			failures: 0,
			restarts: 0,
		};
		sim.simulatedBecause = this.simulatedBecause(job, sim.scenario);
		this.sims.set(`${sim.namespace}/${sim.jobName}`, sim);
		this.updateJob(sim, (j) => {
			j.status = {
				startTime: timestamp(sim.startedAt),
				active: 1,
				ready: 0,
				terminating: 0,
				uncountedTerminatedPods: {},
			};
		});
		this.createPod(sim);
		this.wake(sim);
	}

	/** The Job is gone (deleted or TTL): stop simulating it. Pod cleanup is the caller's (garbage collector's) job. */
	forget(namespace: string, name: string): void {
		const key = `${namespace}/${name}`;
		clearTimeout(this.timers.get(key));
		this.timers.delete(key);
		this.sims.delete(key);
		this.realPods.get(key)?.kill();
	}

	/** Undefined when the Job's pods can run for real, else why not. */
	private simulatedBecause(job: any, scenario: JobScenario): string | undefined {
		if (!this.opts.realBuilder) return this.opts.simulatedBecause ?? 'no real BuildKit configured';
		if (scenario.outcome !== 'succeed') return `scripted outcome '${scenario.outcome}'`;
		if (scenario.attestations === false) return 'scripted build without attestations';
		if (scenario.scripted) return 'scripted build of a set length';
		// A real pod reaches what the Job names; tests reach loopback only.
		const annotations = job.metadata.annotations ?? {};
		const gitUrl = String(annotations[`${ANNOTATION}/git-url`] ?? '');
		if (!onLoopback(gitUrl)) return 'git URL not on loopback';
		if (!this.images(job).every((ref) => onLoopback(`//${ref}`)))
			return 'image registry not on loopback';
		const args: string[] = job.spec.template.spec.containers.flatMap((c: any) => [
			...(c.command ?? []),
			...(c.args ?? []),
		]);
		// Without generator=, BuildKit pulls docker/buildkit-syft-scanner from Docker Hub; tests reach loopback only.
		if (args.some((a) => a.startsWith('attest:sbom') && !a.includes('generator=')))
			return 'SBOM without a generator image would pull from Docker Hub';
		return undefined;
	}

	private runMs(sim: SimRecord): number {
		return Math.max(20, sim.scenario.runMs ?? 300);
	}

	private job(sim: SimRecord): any | undefined {
		const job = this.store.get(JOBS, sim.namespace, sim.jobName);
		return job?.metadata.uid === sim.uid ? job : undefined;
	}

	private updateJob(sim: SimRecord, mutate: (job: any) => void): void {
		const job = this.job(sim);
		if (!job) return;
		mutate(job);
		this.store.update(JOBS, job);
	}

	private updatePod(sim: SimRecord, mutate: (pod: any) => void): void {
		const pod = sim.podName && this.store.get(PODS, sim.namespace, sim.podName);
		if (!pod) return;
		mutate(pod);
		this.store.update(PODS, pod);
	}

	private log(sim: SimRecord, container: string, ...lines: string[]): void {
		if (!sim.podName) return;
		const pod = (this.podLogs[`${sim.namespace}/${sim.podName}`] ??= {});
		(pod[container] ??= []).push(...lines);
	}

	private enter(sim: SimRecord, phase: Phase): void {
		sim.phase = phase;
		sim.phaseSince = Date.now();
	}

	/** When the current phase moves on by itself (undefined: only a deadline or deletion ends it). */
	private phaseDue(sim: SimRecord): number | undefined {
		const r = this.runMs(sim);
		const after = (fraction: number) => sim.phaseSince + Math.round(r * fraction);
		switch (sim.phase) {
			case 'pending':
				return after(0.1);
			case 'initializing':
				return after(0.3);
			case 'imagepull':
				return after(0.3);
			case 'running':
				return ['hang', 'deadline'].includes(sim.scenario.outcome) ? undefined : after(1);
			case 'crashloop':
				return after(1); // back-off is long next to the run, as on a node (10 s, doubling)
			case 'backoff':
				return after(0.2);
			case 'blocked':
				return after(0.5);
			case 'succeeded':
			case 'failing':
				return sim.phaseSince + TERMINAL_SETTLE_MS;
			default:
				return undefined; // stalled, pushing and real (async), finished
		}
	}

	private deadlineAt(sim: SimRecord, job: any): number | undefined {
		if (job.spec?.activeDeadlineSeconds)
			return sim.startedAt + job.spec.activeDeadlineSeconds * 1000;
		if (sim.scenario.outcome === 'deadline') return sim.startedAt + this.runMs(sim);
		return undefined;
	}

	private ttlAt(sim: SimRecord, job: any): number | undefined {
		const ttl = job.spec?.ttlSecondsAfterFinished;
		return sim.finishedAt !== undefined && typeof ttl === 'number'
			? sim.finishedAt + ttl * 1000
			: undefined;
	}

	private wake(sim: SimRecord): void {
		const key = `${sim.namespace}/${sim.jobName}`;
		clearTimeout(this.timers.get(key));
		this.timers.delete(key);
		const job = this.job(sim);
		if (!job) {
			this.sims.delete(key);
			return;
		}
		const candidates: number[] = [];
		if (sim.phase === 'finished') {
			const ttl = this.ttlAt(sim, job);
			if (ttl !== undefined) candidates.push(ttl);
		} else {
			const due = this.phaseDue(sim);
			if (due !== undefined) candidates.push(due);
			const deadline = ['succeeded', 'failing', 'pushing'].includes(sim.phase)
				? undefined
				: this.deadlineAt(sim, job);
			if (deadline !== undefined) candidates.push(deadline);
		}
		if (candidates.length === 0) return;
		const delay = Math.max(0, Math.min(...candidates) - Date.now());
		this.timers.set(
			key,
			setTimeout(() => {
				try {
					this.tick(sim);
				} catch (err) {
					// A simulator bug must not take the API server down with it; server.log has the trace.
					console.error(`simulator: ${sim.namespace}/${sim.jobName} in ${sim.phase}:`, err);
				}
			}, delay),
		);
	}

	private tick(sim: SimRecord): void {
		const job = this.job(sim);
		if (!job || this.sims.get(`${sim.namespace}/${sim.jobName}`) !== sim) return;
		const now = Date.now();
		if (sim.phase === 'finished') {
			const ttl = this.ttlAt(sim, job);
			if (ttl !== undefined && now >= ttl) {
				this.forget(sim.namespace, sim.jobName);
				this.opts.deleteJob(sim.namespace, sim.jobName);
				return;
			}
		} else {
			const deadline = this.deadlineAt(sim, job);
			if (
				deadline !== undefined &&
				now >= deadline &&
				!['succeeded', 'failing', 'pushing'].includes(sim.phase)
			) {
				this.failJob(
					sim,
					'DeadlineExceeded',
					'Job was active longer than specified deadline',
					true,
				);
			} else {
				const due = this.phaseDue(sim);
				if (due !== undefined && now >= due) this.advance(sim, job);
			}
		}
		if (sim.phase !== 'pushing') this.wake(sim);
	}

	private countBuild(sim: SimRecord): void {
		if (sim.simulatedBecause === undefined) this.builds.real++;
		else {
			this.builds.simulated++;
			this.builds.reasons[sim.simulatedBecause] =
				(this.builds.reasons[sim.simulatedBecause] ?? 0) + 1;
		}
	}

	private advance(sim: SimRecord, job: any): void {
		const outcome = sim.scenario.outcome;
		switch (sim.phase) {
			case 'pending':
				return outcome === 'unschedulable' ? this.markUnschedulable(sim) : this.schedule(sim);
			case 'initializing':
				return outcome === 'git-fail' ? this.gitFails(sim) : this.initDone(sim);
			case 'imagepull':
				return this.imagePullBackOff(sim);
			case 'running':
				return this.buildEnds(sim, job);
			case 'crashloop':
				return this.restartAfterCrash(sim, job);
			case 'backoff':
			case 'blocked':
				this.createPod(sim);
				return;
			case 'succeeded':
				this.updateJob(sim, (j) => {
					j.status.conditions = setCondition(
						j.status.conditions ?? [],
						'Complete',
						'True',
						'CompletionsReached',
						'Reached expected number of succeeded pods',
						true,
					);
					j.status.completionTime = timestamp();
				});
				return this.finish(sim);
			case 'failing':
				this.deletePods(sim);
				this.updateJob(sim, (j) => {
					j.status.conditions = setCondition(
						j.status.conditions ?? [],
						'Failed',
						'True',
						sim.failReason,
						sim.failMessage,
						true,
					);
					j.status.terminating = 0;
				});
				return this.finish(sim);
			default:
				return;
		}
	}

	private finish(sim: SimRecord): void {
		sim.finishedAt = Date.now();
		this.enter(sim, 'finished');
	}

	private containerNames(job: any): { init: string[]; main: string[] } {
		const spec = job.spec.template.spec;
		return {
			init: (spec.initContainers ?? []).map((c: any) => c.name),
			main: spec.containers.map((c: any) => c.name),
		};
	}

	private buildContainer(pod: any): any {
		return pod.spec.containers.find((c: any) => c.name === 'buildkit') ?? pod.spec.containers[0];
	}

	private createPod(sim: SimRecord): void {
		const job = this.job(sim);
		if (!job) return;
		const template = structuredClone(job.spec.template);
		const name = generateName(`${sim.jobName}-`);
		const spec = template.spec;
		spec.serviceAccountName ??= 'default';
		spec.serviceAccount ??= spec.serviceAccountName;
		spec.enableServiceLinks ??= true;
		spec.priority ??= 0;
		spec.preemptionPolicy ??= 'PreemptLowerPriority';
		spec.tolerations ??= [
			{
				key: 'node.kubernetes.io/not-ready',
				operator: 'Exists',
				effect: 'NoExecute',
				tolerationSeconds: 300,
			},
			{
				key: 'node.kubernetes.io/unreachable',
				operator: 'Exists',
				effect: 'NoExecute',
				tolerationSeconds: 300,
			},
		];
		const limits = [...(spec.initContainers ?? []), ...spec.containers].map(
			(c: any) => c.resources ?? {},
		);
		const qosClass = limits.every((r) => !r.limits && !r.requests) ? 'BestEffort' : 'Burstable';
		const pod = {
			apiVersion: 'v1',
			kind: 'Pod',
			metadata: {
				name,
				generateName: `${sim.jobName}-`,
				namespace: sim.namespace,
				labels: template.metadata?.labels ?? {},
				...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
				ownerReferences: [
					{
						apiVersion: 'batch/v1',
						kind: 'Job',
						name: sim.jobName,
						uid: sim.uid,
						controller: true,
						blockOwnerDeletion: true,
					},
				],
				finalizers: ['batch.kubernetes.io/job-tracking'],
			},
			spec,
			status: { phase: 'Pending', qosClass },
		};
		const refused = this.opts.admitPod?.(pod);
		if (refused) {
			this.failedCreateEvent(sim, `Error creating: pods "${name}" is forbidden: ${refused}`);
			this.updateJob(sim, (j) => {
				j.status.active = 0;
			});
			this.enter(sim, 'blocked');
			return;
		}
		this.store.create(PODS, pod);
		this.updateJob(sim, (j) => {
			j.status.active = 1;
		});
		sim.podName = name;
		this.enter(sim, 'pending');
	}

	/** The Warning event the job controller records when it cannot create a pod (count goes up on repeats). */
	private failedCreateEvent(sim: SimRecord, message: string): void {
		const name = `${sim.jobName}.${sim.uid.slice(0, 8)}`;
		const now = timestamp();
		const existing = this.store.get('/events', sim.namespace, name);
		if (existing) {
			this.store.update('/events', {
				...existing,
				message,
				count: existing.count + 1,
				lastTimestamp: now,
			});
			return;
		}
		this.store.create('/events', {
			apiVersion: 'v1',
			kind: 'Event',
			metadata: { name, namespace: sim.namespace },
			involvedObject: {
				apiVersion: 'batch/v1',
				kind: 'Job',
				namespace: sim.namespace,
				name: sim.jobName,
				uid: sim.uid,
			},
			reason: 'FailedCreate',
			message,
			type: 'Warning',
			count: 1,
			firstTimestamp: now,
			lastTimestamp: now,
			source: { component: 'job-controller' },
			reportingComponent: 'job-controller',
		});
	}

	private markUnschedulable(sim: SimRecord): void {
		this.updatePod(sim, (p) => {
			const mem =
				this.buildContainer(p).resources?.requests?.memory ??
				this.buildContainer(p).resources?.limits?.memory;
			const message = `0/3 nodes are available: 3 Insufficient ${mem ? 'memory' : 'cpu'}. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.`;
			p.status.conditions = setCondition(
				p.status.conditions ?? [],
				'PodScheduled',
				'False',
				'Unschedulable',
				message,
			);
		});
		this.enter(sim, 'stalled');
	}

	private containerStatus(c: any, state: any, extra: Record<string, unknown> = {}): any {
		const image = c.image.includes('/') ? c.image : `docker.io/library/${c.image}`;
		return {
			name: c.name,
			image,
			imageID: state.waiting ? '' : `${image.replace(/[:@].*$/, '')}@sha256:${hex(image)}`,
			...(state.waiting
				? {}
				: { containerID: `containerd://${hex(`${c.name}${randomBytes(4).toString('hex')}`)}` }),
			ready: !!state.running,
			restartCount: 0,
			started: !!state.running,
			state,
			lastState: {},
			...extra,
		};
	}

	private schedule(sim: SimRecord): void {
		const job = this.job(sim);
		if (!job) return;
		const { init } = this.containerNames(job);
		this.updatePod(sim, (p) => {
			const now = timestamp();
			p.spec.nodeName = NODE;
			p.status.hostIP = '10.0.0.11';
			p.status.hostIPs = [{ ip: '10.0.0.11' }];
			p.status.podIP = `10.244.0.${10 + (parseInt(hex(p.metadata.name).slice(0, 2), 16) % 200)}`;
			p.status.podIPs = [{ ip: p.status.podIP }];
			p.status.startTime = now;
			let c = setCondition([], 'PodReadyToStartContainers', 'True');
			c = setCondition(
				c,
				'Initialized',
				init.length ? 'False' : 'True',
				init.length ? 'ContainersNotInitialized' : undefined,
				init.length ? `containers with incomplete status: [${init.join(' ')}]` : undefined,
			);
			c = setCondition(
				c,
				'Ready',
				'False',
				'ContainersNotReady',
				`containers with unready status: [${p.spec.containers.map((x: any) => x.name).join(' ')}]`,
			);
			c = setCondition(
				c,
				'ContainersReady',
				'False',
				'ContainersNotReady',
				`containers with unready status: [${p.spec.containers.map((x: any) => x.name).join(' ')}]`,
			);
			p.status.conditions = setCondition(c, 'PodScheduled', 'True');
			p.status.initContainerStatuses = (p.spec.initContainers ?? []).map((ic: any, i: number) =>
				this.containerStatus(
					ic,
					i === 0 ? { running: { startedAt: now } } : { waiting: { reason: 'PodInitializing' } },
				),
			);
			p.status.containerStatuses = p.spec.containers.map((mc: any) =>
				this.containerStatus(mc, {
					waiting: { reason: init.length ? 'PodInitializing' : 'ContainerCreating' },
				}),
			);
		});
		this.countBuild(sim);
		if (sim.simulatedBecause === undefined) {
			this.enter(sim, 'real');
			void this.runReal(sim);
		} else if (init.length) {
			this.log(sim, init[0], `Cloning into '/workspace/src'...`);
			if (sim.scenario.outcome !== 'git-fail')
				this.log(sim, init[0], `remote: Enumerating objects: 42, done.`);
			this.enter(sim, 'initializing');
		} else this.startBuild(sim);
	}

	private gitFails(sim: SimRecord): void {
		const job = this.job(sim);
		const url = redactUrl(
			job?.metadata.annotations?.[`${ANNOTATION}/git-url`] ?? 'https://git.example/app.git',
		);
		const exitCode = sim.scenario.exitCode ?? 128;
		this.log(sim, 'git-clone', `fatal: repository '${url}' not found`);
		this.updatePod(sim, (p) => {
			const now = timestamp();
			p.status.phase = 'Failed';
			p.status.initContainerStatuses = p.status.initContainerStatuses.map((s: any, i: number) =>
				i === 0
					? {
							...s,
							ready: false,
							started: false,
							state: {
								terminated: {
									exitCode,
									reason: 'Error',
									startedAt: s.state.running?.startedAt ?? now,
									finishedAt: now,
									containerID: s.containerID,
								},
							},
						}
					: s,
			);
			p.status.conditions = setCondition(p.status.conditions, 'PodReadyToStartContainers', 'False');
		});
		this.podFailed(sim);
	}

	private initDone(sim: SimRecord): void {
		const job = this.job(sim);
		const rev = job?.metadata.annotations?.[`${ANNOTATION}/git-revision`] || 'main';
		this.log(
			sim,
			'git-clone',
			`Receiving objects: 100% (42/42), done.`,
			`HEAD is now at ${hex(rev).slice(0, 7)} ${rev}`,
		);
		this.updatePod(sim, (p) => {
			const now = timestamp();
			p.status.initContainerStatuses = p.status.initContainerStatuses.map((s: any) => ({
				...s,
				ready: true,
				started: false,
				state: {
					terminated: {
						exitCode: 0,
						reason: 'Completed',
						startedAt: s.state.running?.startedAt ?? now,
						finishedAt: now,
						containerID: s.containerID,
					},
				},
			}));
			p.status.conditions = setCondition(p.status.conditions, 'Initialized', 'True');
		});
		if (sim.scenario.outcome === 'imagepullbackoff') {
			this.updatePod(sim, (p) => {
				const c = this.buildContainer(p);
				p.status.containerStatuses = p.status.containerStatuses.map((s: any) =>
					s.name === c.name
						? {
								...s,
								state: {
									waiting: {
										reason: 'ErrImagePull',
										message: `rpc error: code = NotFound desc = failed to pull and unpack image "${s.image}": failed to resolve reference "${s.image}": ${s.image}: not found`,
									},
								},
							}
						: s,
				);
			});
			this.enter(sim, 'imagepull');
		} else this.startBuild(sim);
	}

	private imagePullBackOff(sim: SimRecord): void {
		this.updatePod(sim, (p) => {
			const c = this.buildContainer(p);
			p.status.containerStatuses = p.status.containerStatuses.map((s: any) =>
				s.name === c.name
					? {
							...s,
							state: {
								waiting: {
									reason: 'ImagePullBackOff',
									message: `Back-off pulling image "${c.image}"`,
								},
							},
						}
					: s,
			);
		});
		// Stays here until the Job's deadline, as a real Job does.
		this.enter(sim, 'stalled');
	}

	private startBuild(sim: SimRecord): void {
		const job = this.job(sim);
		this.updatePod(sim, (p) => {
			const now = timestamp();
			p.status.phase = 'Running';
			p.status.containerStatuses = p.spec.containers.map((c: any) => {
				const prev = p.status.containerStatuses?.find((s: any) => s.name === c.name);
				const base = this.containerStatus(c, { running: { startedAt: now } });
				return prev
					? { ...base, restartCount: prev.restartCount, lastState: prev.lastState }
					: base;
			});
			p.status.conditions = setCondition(p.status.conditions, 'Ready', 'True');
			p.status.conditions = setCondition(p.status.conditions, 'ContainersReady', 'True');
		});
		this.updateJob(sim, (j) => {
			j.status.ready = 1;
		});
		if (sim.restarts === 0) {
			const images = this.images(job);
			const n = sim.scenario.logLines ?? 8;
			this.log(
				sim,
				'buildkit',
				'#1 [internal] load build definition from Dockerfile',
				'#1 transferring dockerfile: 312B done',
				'#1 DONE 0.0s',
				'#2 [internal] load metadata for docker.io/library/alpine:3.20',
				'#2 DONE 0.4s',
				'#3 [1/3] FROM docker.io/library/alpine:3.20',
				'#3 DONE 0.6s',
				'#4 [2/3] COPY . /src',
				'#4 DONE 0.1s',
				'#5 [3/3] RUN make build',
				...Array.from(
					{ length: n },
					(_, i) =>
						`#5 ${(0.1 * (i + 1)).toFixed(3)} step ${i + 1}/${n}: compiling ${images[0] ?? 'app'}`,
				),
			);
		} else this.log(sim, 'buildkit', `#5 [3/3] RUN make build (restart ${sim.restarts})`);
		this.enter(sim, 'running');
	}

	private images(job: any): string[] {
		const raw = job?.metadata.annotations?.[`${ANNOTATION}/images`] ?? '';
		return raw
			.split(',')
			.map((s: string) => s.trim())
			.filter(Boolean);
	}

	private terminateBuild(
		sim: SimRecord,
		terminated: Record<string, unknown>,
		podPhase: string | undefined,
		restart = false,
	): void {
		this.updatePod(sim, (p) => {
			const now = timestamp();
			const c = this.buildContainer(p);
			p.status.containerStatuses = p.status.containerStatuses.map((s: any) => {
				if (s.name !== c.name) return s;
				const done = {
					terminated: {
						...terminated,
						startedAt: s.state.running?.startedAt ?? now,
						finishedAt: now,
						containerID: s.containerID,
					},
				};
				return restart
					? {
							...s,
							ready: false,
							started: false,
							restartCount: s.restartCount + 1,
							lastState: done,
							state: {
								waiting: {
									reason: 'CrashLoopBackOff',
									message: `back-off 10s restarting failed container=${c.name} pod=${p.metadata.name}_${p.metadata.namespace}(${p.metadata.uid})`,
								},
							},
						}
					: { ...s, ready: false, started: false, state: done };
			});
			if (podPhase) p.status.phase = podPhase;
			p.status.conditions = setCondition(p.status.conditions, 'Ready', 'False', 'PodCompleted');
			p.status.conditions = setCondition(
				p.status.conditions,
				'ContainersReady',
				'False',
				'PodCompleted',
			);
		});
	}

	private buildEnds(sim: SimRecord, job: any): void {
		const outcome = sim.scenario.outcome;
		if (outcome === 'succeed') {
			this.enter(sim, 'pushing');
			void this.push(sim, job);
			return;
		}
		if (outcome === 'crashloop') {
			sim.restarts++;
			this.log(
				sim,
				'buildkit',
				'panic: runtime error: invalid memory address or nil pointer dereference',
			);
			this.terminateBuild(sim, { exitCode: 2, reason: 'Error' }, undefined, true);
			this.updateJob(sim, (j) => {
				j.status.ready = 0;
			});
			this.enter(sim, 'crashloop');
			return;
		}
		if (outcome === 'oomkilled') {
			this.terminateBuild(sim, { exitCode: 137, reason: 'OOMKilled' }, 'Failed');
		} else {
			const exitCode = sim.scenario.exitCode ?? 1;
			this.log(
				sim,
				'buildkit',
				'#5 ERROR: process "/bin/sh -c make build" did not complete successfully: exit code: 2',
				'------',
				' > [3/3] RUN make build:',
				'0.612 make: *** [Makefile:3: build] Error 2',
				'------',
				'ERROR: failed to solve: process "/bin/sh -c make build" did not complete successfully: exit code: 2',
			);
			this.terminateBuild(sim, { exitCode, reason: 'Error' }, 'Failed');
		}
		this.podFailed(sim);
	}

	private restartAfterCrash(sim: SimRecord, job: any): void {
		if (sim.restarts > (job.spec.backoffLimit ?? 6)) {
			this.failJob(
				sim,
				'BackoffLimitExceeded',
				'Job has reached the specified backoff limit',
				true,
			);
			return;
		}
		this.startBuild(sim);
	}

	private async push(sim: SimRecord, job: any): Promise<void> {
		const images = this.images(job);
		const a = job.metadata.annotations ?? {};
		const wanted = String(a[`${ANNOTATION}/attestations`] ?? '')
			.split(',')
			.map((s) => s.trim());
		const withAttestations =
			sim.scenario.attestations !== false &&
			(wanted.includes('sbom') || wanted.includes('provenance'));
		const gitUrl = a[`${ANNOTATION}/git-url`] ?? '';
		let outcome: { digest: string } | { error: string };
		try {
			const revision =
				withAttestations && wanted.includes('provenance')
					? await resolveRevision(
							gitUrl,
							sim.scenario.cloneRevision ?? a[`${ANNOTATION}/git-revision`] ?? '',
						)
					: '';
			const digest = await pushImages({
				refs: images,
				seed: sim.uid,
				registry: this.opts.registry,
				pushModule: this.opts.pushModule,
				attestations: withAttestations
					? {
							sbom: wanted.includes('sbom'),
							provenance: wanted.includes('provenance'),
							sourceRepository: gitUrl,
							revision,
						}
					: false,
			});
			outcome = { digest };
		} catch (err) {
			outcome = { error: err instanceof Error ? err.message : String(err) };
		}
		if (this.sims.get(`${sim.namespace}/${sim.jobName}`) !== sim || !this.job(sim)) return;
		if ('error' in outcome) {
			this.log(
				sim,
				'buildkit',
				'#6 exporting to image',
				`#6 ERROR: failed to push ${images[0] ?? ''}: ${outcome.error}`,
				`ERROR: failed to solve: failed to push ${images[0] ?? ''}: ${outcome.error}`,
			);
			this.terminateBuild(sim, { exitCode: 1, reason: 'Error' }, 'Failed');
			this.podFailed(sim);
		} else {
			const digest = outcome.digest;
			this.log(
				sim,
				'buildkit',
				'#5 DONE 4.2s',
				'#6 exporting to image',
				'#6 exporting layers 0.3s done',
				`#6 exporting manifest sha256:${hex(`${digest}m`)} done`,
				`#6 exporting config sha256:${hex(`${digest}c`)} done`,
				'#6 pushing layers 0.8s done',
				...images.map((ref) => `#6 pushing manifest for ${ref}@${digest} 0.1s done`),
				'#6 DONE 1.4s',
			);
			const message = JSON.stringify({ digest, image: images[0] ?? '' });
			this.terminateBuild(sim, { exitCode: 0, reason: 'Completed', message }, 'Succeeded');
			this.jobSucceeded(sim);
		}
		this.wake(sim);
	}

	private jobSucceeded(sim: SimRecord): void {
		this.updateJob(sim, (j) => {
			j.status.active = 0;
			j.status.ready = 0;
			j.status.succeeded = 1;
			j.status.conditions = setCondition(
				j.status.conditions ?? [],
				'SuccessCriteriaMet',
				'True',
				'CompletionsReached',
				'Reached expected number of succeeded pods',
				true,
			);
		});
		this.enter(sim, 'succeeded');
	}

	/** An event on the pod, as the kubelet records them (Pulled, FailedMount). */
	private podEvent(sim: SimRecord, reason: string, message: string, type = 'Normal'): void {
		const pod = sim.podName && this.store.get(PODS, sim.namespace, sim.podName);
		if (!pod) return;
		const now = timestamp();
		this.store.create('/events', {
			apiVersion: 'v1',
			kind: 'Event',
			metadata: {
				name: `${pod.metadata.name}.${randomBytes(8).toString('hex')}`,
				namespace: sim.namespace,
			},
			involvedObject: {
				apiVersion: 'v1',
				kind: 'Pod',
				namespace: sim.namespace,
				name: pod.metadata.name,
				uid: pod.metadata.uid,
			},
			reason,
			message,
			type,
			count: 1,
			firstTimestamp: now,
			lastTimestamp: now,
			source: { component: 'kubelet', host: NODE },
			reportingComponent: 'kubelet',
			reportingInstance: NODE,
		});
	}

	/**
	 * The pod's containers as real processes (realPod.ts). Statuses follow their starts and exits; the
	 * termination message is what the container wrote to its terminationMessagePath (with
	 * FallbackToLogsOnError, the log tail when that is empty and the container failed), as the kubelet does.
	 */
	private async runReal(sim: SimRecord): Promise<void> {
		const key = `${sim.namespace}/${sim.jobName}`;
		const pod = sim.podName && this.store.get(PODS, sim.namespace, sim.podName);
		const builder = this.opts.realBuilder;
		if (!pod || !builder) return;
		const real = new RealPod(builder, podDirFor(builder, pod));
		const ran =
			sim.scenario.cloneRevision === undefined
				? pod
				: withCloneRevision(pod, sim.scenario.cloneRevision);
		this.realPods.set(key, real);
		let blocked = false;
		const initNames: string[] = (pod.spec.initContainers ?? []).map((c: any) => c.name);
		const messageOf = (name: string, exit: ContainerExit): string | undefined => {
			if (exit.message) return exit.message;
			const c = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].find(
				(x: any) => x.name === name,
			);
			if (exit.exitCode === 0 || c?.terminationMessagePolicy !== 'FallbackToLogsOnError')
				return undefined;
			return (
				(this.podLogs[`${sim.namespace}/${sim.podName}`]?.[name] ?? [])
					.slice(-80)
					.join('\n')
					.slice(-2048) || undefined
			);
		};
		const live = () => this.sims.get(key) === sim && sim.phase === 'real';
		let ok = false;
		try {
			ok = await real.run(ran, (name) => this.store.get('/secrets', sim.namespace, name)?.data, {
				started: (name, isInit, note) => {
					if (!live()) return;
					this.podEvent(sim, 'Pulled', note);
					const now = timestamp();
					if (isInit) {
						this.updatePod(sim, (p) => {
							p.status.initContainerStatuses = p.status.initContainerStatuses.map((s: any) =>
								s.name === name ? { ...s, state: { running: { startedAt: now } } } : s,
							);
						});
						return;
					}
					this.updatePod(sim, (p) => {
						p.status.phase = 'Running';
						p.status.containerStatuses = p.status.containerStatuses.map((s: any) =>
							s.name === name
								? { ...s, ready: true, started: true, state: { running: { startedAt: now } } }
								: s,
						);
						p.status.conditions = setCondition(p.status.conditions, 'Ready', 'True');
						p.status.conditions = setCondition(p.status.conditions, 'ContainersReady', 'True');
					});
					this.updateJob(sim, (j) => {
						j.status.ready = 1;
					});
				},
				line: (name, line) => this.log(sim, name, line),
				exited: (name, isInit, exit) => {
					if (!live()) return;
					const message = messageOf(name, exit);
					const terminated = {
						exitCode: exit.exitCode,
						reason: exit.exitCode === 0 ? 'Completed' : 'Error',
						...(message ? { message } : {}),
						startedAt: exit.startedAt,
						finishedAt: exit.finishedAt,
					};
					if (!isInit) {
						this.terminateBuild(sim, terminated, exit.exitCode === 0 ? 'Succeeded' : 'Failed');
						return;
					}
					const last = initNames[initNames.length - 1] === name;
					this.updatePod(sim, (p) => {
						p.status.initContainerStatuses = p.status.initContainerStatuses.map((s: any) =>
							s.name === name
								? {
										...s,
										ready: exit.exitCode === 0,
										started: false,
										state: { terminated: { ...terminated, containerID: s.containerID } },
									}
								: s,
						);
						if (exit.exitCode !== 0) {
							p.status.phase = 'Failed';
							p.status.conditions = setCondition(
								p.status.conditions,
								'PodReadyToStartContainers',
								'False',
							);
						} else if (last)
							p.status.conditions = setCondition(p.status.conditions, 'Initialized', 'True');
					});
				},
				blocked: (reason) => {
					blocked = true;
					this.podEvent(sim, 'FailedMount', reason, 'Warning');
				},
			});
		} catch (err) {
			this.log(
				sim,
				'buildkit',
				`stand-in: could not run the pod: ${err instanceof Error ? err.message : String(err)}`,
			);
		}
		this.realPods.delete(key);
		real.cleanUp();
		// Deleted, past its deadline or restarted meanwhile: whoever ended it has written the statuses.
		if (!live() || !this.job(sim)) return;
		if (blocked) {
			this.enter(sim, 'stalled');
		} else if (ok) {
			this.jobSucceeded(sim);
		} else {
			this.podFailed(sim);
		}
		this.wake(sim);
	}

	private podFailed(sim: SimRecord): void {
		sim.failures++;
		const job = this.job(sim);
		this.updateJob(sim, (j) => {
			j.status.active = 0;
			j.status.ready = 0;
			j.status.failed = sim.failures;
		});
		if (job && sim.failures > (job.spec.backoffLimit ?? 6))
			this.failJob(
				sim,
				'BackoffLimitExceeded',
				'Job has reached the specified backoff limit',
				false,
			);
		else this.enter(sim, 'backoff');
	}

	/** FailureTarget now; Failed once the pods are gone (the settle step), as the real controller orders them. */
	private failJob(sim: SimRecord, reason: string, message: string, terminatePods: boolean): void {
		if (terminatePods) this.realPods.get(`${sim.namespace}/${sim.jobName}`)?.kill();
		sim.failReason = reason;
		sim.failMessage = message;
		if (terminatePods) {
			this.updatePod(sim, (p) => {
				if (p.status.phase === 'Succeeded' || p.status.phase === 'Failed') return;
				const now = timestamp();
				p.metadata.deletionTimestamp = now;
				p.metadata.deletionGracePeriodSeconds = 30;
				p.status.phase = 'Failed';
				p.status.conditions = setCondition(
					p.status.conditions ?? [],
					'DisruptionTarget',
					'True',
					'DeletionByJobController',
					'Job controller: deleting pod',
				);
				p.status.containerStatuses = (p.status.containerStatuses ?? []).map((s: any) =>
					s.state.running
						? {
								...s,
								ready: false,
								started: false,
								state: {
									terminated: {
										exitCode: 143,
										reason: 'Error',
										startedAt: s.state.running.startedAt,
										finishedAt: now,
										containerID: s.containerID,
									},
								},
							}
						: s,
				);
			});
		}
		this.updateJob(sim, (j) => {
			if (terminatePods && j.status.active) {
				j.status.failed = (j.status.failed ?? 0) + 1;
				j.status.terminating = 1;
			}
			j.status.active = 0;
			j.status.ready = 0;
			j.status.conditions = setCondition(
				j.status.conditions ?? [],
				'FailureTarget',
				'True',
				reason,
				message,
				true,
			);
		});
		this.enter(sim, 'failing');
	}

	/** The controller removes pods it terminated (deadline, crash loop) before it sets Failed. */
	private deletePods(sim: SimRecord): void {
		for (const pod of this.store.list(PODS, sim.namespace)) {
			if (
				pod.metadata.ownerReferences?.some((o: any) => o.uid === sim.uid) &&
				pod.metadata.deletionTimestamp
			) {
				this.store.remove(PODS, sim.namespace, pod.metadata.name);
			}
		}
	}
}

/** The pod with its git-clone container told to check out another revision (JobScenario.cloneRevision). */
function withCloneRevision(pod: any, revision: string): any {
	const copy = structuredClone(pod);
	for (const c of copy.spec.initContainers ?? []) {
		for (const e of c.env ?? []) if (e.name === 'GIT_REVISION') e.value = revision;
	}
	return copy;
}
