import type { BuildPlan } from './inputs';

/** Where things live inside the build pod (fixed; none comes from the user). */
export const PATHS = {
	workspace: '/workspace',
	source: '/workspace/src',
	metadataFile: '/tmp/buildkit-metadata.json',
	terminationLog: '/dev/termination-log',
	dockerConfig: '/etc/buildkit-docker-config',
	gitSecret: '/etc/git-secret',
	buildkitdConfig: '/etc/buildkitd-config',
	rootlessState: '/home/user/.local/share/buildkit',
	privilegedState: '/var/lib/buildkit',
} as const;

/** The SLSA provenance version the Job asks BuildKit for. */
export const PROVENANCE_VERSION = 'v1';

function under(base: string, relative: string): string {
	return relative ? `${base}/${relative}` : base;
}

/**
 * buildctl's argv (after `buildctl-daemonless.sh`), one user value per element. Every `--opt`, `--local`,
 * `--output` and cache flag is its own element and its value the next, so a value can never become a flag:
 * each value starts with a fixed key ("build-arg:", "context=", "type=…") that we write. The `name=` of the
 * image output and the cache `ref=` are CSV fields for buildctl; image references cannot contain "," or '"'
 * (the reference grammar forbids them), so they cannot break out of their field.
 */
export function buildctlArgs(plan: BuildPlan): string[] {
	const context = under(PATHS.source, plan.contextPath);
	const args = [
		'build',
		'--progress=plain',
		'--frontend=dockerfile.v0',
		'--local',
		`context=${context}`,
		'--local',
		`dockerfile=${under(context, plan.dockerfileDir)}`,
		'--opt',
		`filename=${plan.dockerfileName}`,
	];
	if (plan.target) args.push('--opt', `target=${plan.target}`);
	if (plan.platforms.length > 0) args.push('--opt', `platform=${plan.platforms.join(',')}`);
	for (const arg of plan.buildArgs) args.push('--opt', `build-arg:${arg.name}=${arg.value}`);
	if (plan.attestations.includes('sbom'))
		args.push(
			'--opt',
			plan.sbomGenerator ? `attest:sbom=generator=${plan.sbomGenerator}` : 'attest:sbom=',
		);
	// The SLSA version is pinned: BuildKit's default moved from v0.2 to v1 (v0.28), and Query Registry Tags reads both.
	if (plan.attestations.includes('provenance'))
		args.push('--opt', `attest:provenance=mode=max,version=${PROVENANCE_VERSION}`);
	args.push(
		'--opt',
		`vcs:source=${plan.git.url}`,
		'--opt',
		`label:org.opencontainers.image.source=${plan.git.url}`,
	);

	const insecure = plan.insecureRegistry ? ',registry.insecure=true' : '';
	const names = plan.images.map((i) => i.text).join(',');
	// With SOURCE_DATE_EPOCH (the commit time, added by the build script) layer file times are rewritten too, so
	// two builds of one commit give the same image manifest (bench/RESULTS.md; the provenance still differs).
	const timestamps = plan.reproducible ? ',rewrite-timestamp=true' : '';
	args.push('--output', `type=image,"name=${names}",push=true${timestamps}${insecure}`);
	if (plan.cache.mode !== 'disabled' && plan.cache.ref) {
		args.push('--import-cache', `type=registry,ref=${plan.cache.ref}${insecure}`);
		// ignore-error: a cache that cannot be written must not fail a build whose image is already pushed.
		args.push(
			'--export-cache',
			`type=registry,ref=${plan.cache.ref},mode=${plan.cache.mode},ignore-error=true${insecure}`,
		);
	}
	return args;
}
