import type { BuildPlan } from './inputs';

/** Where things live inside the build pod (fixed; none comes from the user). */
export const PATHS = {
	workspace: '/workspace',
	source: '/workspace/src',
	metadataFile: '/tmp/buildkit-metadata.json',
	terminationLog: '/dev/termination-log',
	dockerConfig: '/etc/buildkit-docker-config',
	gitSecret: '/etc/git-secret',
	rootlessState: '/home/user/.local/share/buildkit',
	privilegedState: '/var/lib/buildkit',
} as const;

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
	if (plan.attestations.includes('sbom')) args.push('--opt', 'attest:sbom=');
	if (plan.attestations.includes('provenance')) args.push('--opt', 'attest:provenance=mode=max');
	args.push('--opt', `vcs:source=${plan.git.url}`, '--opt', `label:org.opencontainers.image.source=${plan.git.url}`);

	const insecure = plan.insecureRegistry ? ',registry.insecure=true' : '';
	const names = plan.images.map((i) => i.text).join(',');
	args.push('--output', `type=image,"name=${names}",push=true${insecure}`);
	if (plan.cache.mode !== 'disabled' && plan.cache.ref) {
		args.push('--import-cache', `type=registry,ref=${plan.cache.ref}${insecure}`);
		args.push('--export-cache', `type=registry,ref=${plan.cache.ref},mode=${plan.cache.mode}${insecure}`);
	}
	return args;
}
