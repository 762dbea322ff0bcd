import { createHash, randomBytes } from 'node:crypto';
import type { BuildPlan } from './inputs';

/**
 * Job names. A Job's name is copied into its pods' `job-name` label, so it must be a DNS-1123 label of at most
 * 63 characters, not just a subdomain. Shape: `<app>-<revision>-<suffix>`, where revision is the short SHA
 * (or a slug of the branch/tag) and suffix is random, or, with deterministicName, a hash of everything that
 * defines the build, so the same app + commit + image always gets the same name (idempotent re-runs with
 * ifExists: reuse, across n8n processes, with no shared state).
 */

const MAX = 63;
const SUFFIX_LENGTH = 5;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function slug(text: string, max: number): string {
	return text
		.toLowerCase()
		.replace(/[^a-z0-9]+/g, '-')
		.slice(0, max)
		.replace(/^-+|-+$/g, '');
}

/** The revision part: first 7 hex digits of a commit, else a short slug of the ref ("refs/heads/main" → "main"). */
export function revisionPart(plan: Pick<BuildPlan, 'gitRevision' | 'revisionIsCommit'>): string {
	if (plan.revisionIsCommit) return plan.gitRevision.slice(0, 7);
	return slug(plan.gitRevision.replace(/^refs\/(heads|tags)\//, ''), 20) || 'rev';
}

export function randomSuffix(length = SUFFIX_LENGTH): string {
	const bytes = randomBytes(length);
	let out = '';
	for (const b of bytes) out += ALPHABET[b % ALPHABET.length];
	return out;
}

/** Everything that changes what gets built or where it goes; its hash names a deterministic Job. */
export function buildIdentity(plan: BuildPlan): string {
	return JSON.stringify({
		namespace: plan.namespace,
		app: plan.appName,
		git: plan.git.url,
		revision: plan.gitRevision,
		context: plan.contextPath,
		dockerfile: [plan.dockerfileDir, plan.dockerfileName],
		images: plan.images.map((i) => i.text),
		target: plan.target ?? null,
		buildArgs: plan.buildArgs,
		platforms: [...plan.platforms].sort(),
		// Only when on, so names of builds without it stay what they were.
		...(plan.reproducible ? { reproducible: true } : {}),
	});
}

export function identitySuffix(plan: BuildPlan, length = SUFFIX_LENGTH): string {
	const digest = createHash('sha256').update(buildIdentity(plan)).digest();
	let out = '';
	for (let i = 0; i < length; i++) out += ALPHABET[digest[i] % ALPHABET.length];
	return out;
}

export function composeJobName(appName: string, revision: string, suffix: string): string {
	const room = MAX - revision.length - suffix.length - 2;
	const app = appName.slice(0, Math.max(room, 1)).replace(/-+$/, '') || 'build';
	return `${app}-${revision}-${suffix}`;
}

/** The Job name for a plan: the user's jobName when given, else generated as described above. */
export function jobNameFor(plan: BuildPlan, random: () => string = randomSuffix): string {
	if (plan.jobName) return plan.jobName;
	const suffix = plan.deterministicName ? identitySuffix(plan) : random();
	return composeJobName(plan.appName, revisionPart(plan), suffix);
}
