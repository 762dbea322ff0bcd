/** Shared by the parent-side API (index.ts) and the stand-in's server process. */
export type JobOutcome =
	| 'succeed'
	| 'build-fail'
	| 'git-fail'
	| 'oomkilled'
	| 'imagepullbackoff'
	| 'unschedulable'
	| 'deadline'
	| 'crashloop'
	| 'hang';

export const JOB_OUTCOMES: readonly JobOutcome[] = [
	'succeed',
	'build-fail',
	'git-fail',
	'oomkilled',
	'imagepullbackoff',
	'unschedulable',
	'deadline',
	'crashloop',
	'hang',
];

export interface JobScenario {
	outcome: JobOutcome;
	/** How long the build container runs before its outcome (ms; default 300). Other phases scale with it. */
	runMs?: number;
	/** false: push without attestations even when the Job's annotation asks for them. */
	attestations?: boolean;
	/** Extra build-output lines in the buildkit container's log (default 8). */
	logLines?: number;
	/** Exit code of the failing container for build-fail (default 1) and git-fail (default 128). */
	exitCode?: number;
	/**
	 * true: play `succeed` as scripted even when real BuildKit is available, for tests that need a build of a
	 * known length (runMs) rather than a real one.
	 */
	scripted?: boolean;
	/**
	 * A builder that built something other than it was asked: git-clone checks out this revision instead of the
	 * Job's (the real pod's GIT_REVISION, or the scripted build's provenance), so the provenance names it.
	 */
	cloneRevision?: string;
}

/** Real BuildKit for the Job simulator (see test/stack/buildkit). */
export interface RealBuilder {
	/** buildkitd and buildctl. */
	binDir: string;
	/** buildctl-daemonless.sh, as the moby/buildkit images ship it. */
	scriptsDir: string;
	/** Per-pod directories (emptyDirs, Secrets, BuildKit state) and the image's /etc. */
	workDir: string;
}

export type ScenarioMatch = { jobName?: string; appName?: string } | 'default';

export interface RegistryTarget {
	host: string;
	username?: string;
	password?: string;
}

/** Written by the parent, read by the server process at (re)start. */
export interface ServerConfig {
	port: number;
	certFile: string;
	keyFile: string;
	tokenSecret: string;
	rbacDir: string;
	stateFile: string;
	registry?: RegistryTarget;
	/** Module exporting `pushTestImage` (default: test/stack/registry). */
	pushModule?: string;
	bookmarkIntervalMs: number;
	historyCapacity: number;
	/** Apply the namespace's ResourceQuota to Job and pod creation. */
	enforceQuota: boolean;
	/** Run succeeding Jobs' pods for real with these binaries; absent: every build is simulated. */
	realBuilder?: RealBuilder;
	/** Why builds are simulated when realBuilder is absent. */
	simulatedBecause?: string;
}

export interface RequestRecord {
	method: string;
	path: string;
	query: string;
	status: number;
	watch: boolean;
	user: string;
	/** Content-Type of the request body, if any (kubectl's `auth can-i` sends protobuf). */
	contentType?: string;
	at: number;
	/** Which TLS connection carried it (numbered in order of first use): how a client reuses connections. */
	connection: number;
}
