import { toIsoTime, type JobLike } from './outcome';
import { findStuckPod, type PodLike, type PodProblem } from './podDiagnosis';

export interface StuckMonitorOptions {
	stuckAfterMs: number;
	listPods: () => Promise<PodLike[]>;
	onStuck: (problem: PodProblem) => void;
	now?: () => number;
}

/**
 * Looks at the Job's pods only when a stuck pod could exist: a pod cannot have been stuck for stuckAfter before
 * the Job is that old, and a problem seen with its start time needs exactly one more look, at start + stuckAfter.
 * So a healthy build costs one pod LIST per stuckAfter of run time (none when it ends sooner), and a stuck pod is
 * reported within moments of crossing the threshold rather than a polling interval later. Image pulls and
 * scheduling never touch the Job object, so the Job watch alone cannot see them.
 */
export class StuckPodMonitor {
	private timer: NodeJS.Timeout | undefined;
	private job: JobLike | undefined;
	private stopped = false;
	private readonly firstSeen = new Map<string, number>();
	private readonly now: () => number;
	checks = 0;

	constructor(private readonly options: StuckMonitorOptions) {
		this.now = options.now ?? Date.now;
	}

	/** Feed every state of the Job; the first one starts the clock. */
	jobSeen(job: JobLike): void {
		const first = this.job === undefined;
		this.job = job;
		if (!first || this.stopped) return;
		const created = Date.parse(toIsoTime(job.metadata?.creationTimestamp) ?? '') || this.now();
		this.schedule(created + this.options.stuckAfterMs);
	}

	stop(): void {
		this.stopped = true;
		clearTimeout(this.timer);
	}

	private schedule(at: number): void {
		if (this.stopped) return;
		clearTimeout(this.timer);
		// A floor keeps a clock skew between us and the cluster from turning into a tight loop.
		this.timer = setTimeout(() => void this.check(), Math.max(250, at - this.now()));
	}

	private async check(): Promise<void> {
		if (this.stopped) return;
		this.checks++;
		let pods: PodLike[];
		try {
			pods = await this.options.listPods();
		} catch {
			this.schedule(this.now() + Math.min(this.options.stuckAfterMs, 5000));
			return;
		}
		if (this.stopped) return;
		const now = this.now();
		if (pods.length === 0) {
			const problem = this.noPods(now);
			if (problem) return this.options.onStuck(problem);
			return this.schedule(now + this.options.stuckAfterMs);
		}
		const result = findStuckPod(pods, now, this.options.stuckAfterMs, this.firstSeen);
		if (result.stuck) {
			const { sinceMs: _since, ...problem } = result.stuck;
			return this.options.onStuck(problem);
		}
		this.schedule(result.nextCheckAt ?? now + this.options.stuckAfterMs);
	}

	/** A Job that has made no pod for stuckAfter is stuck before any pod can be: quota or admission refuse them. */
	private noPods(now: number): PodProblem | undefined {
		const job = this.job;
		if (!job || job.spec?.suspend || (job.status?.active ?? 0) > 0) return undefined;
		const created = Date.parse(toIsoTime(job.metadata?.creationTimestamp) ?? '');
		if (Number.isNaN(created) || now - created < this.options.stuckAfterMs) return undefined;
		const name = job.metadata?.name ?? 'the Job';
		return {
			reason: 'NoPodCreated',
			message: `No pod was created for Job ${name} in ${Math.round((now - created) / 1000)} s: a ResourceQuota may be exhausted or an admission webhook may reject the pod (kubectl describe job ${name} shows the FailedCreate event)`,
			pod: '',
		};
	}
}
