import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { git, type GitServer } from '../git';

/** Helpers for tests that drive the GitOps controller simulator through a real repository. */

/** A valid apps/v1 Deployment `name` (label app=<name>) running `image`. */
export function deploymentManifest(
	name: string,
	image: string,
	opts: { replicas?: number; progressDeadlineSeconds?: number; namespace?: string } = {},
): string {
	return [
		'apiVersion: apps/v1',
		'kind: Deployment',
		'metadata:',
		`  name: ${name}`,
		...(opts.namespace ? [`  namespace: ${opts.namespace}`] : []),
		'spec:',
		`  replicas: ${opts.replicas ?? 2}`,
		...(opts.progressDeadlineSeconds
			? [`  progressDeadlineSeconds: ${opts.progressDeadlineSeconds}`]
			: []),
		'  selector:',
		`    matchLabels: {app: ${name}}`,
		'  template:',
		'    metadata:',
		`      labels: {app: ${name}}`,
		'    spec:',
		'      containers:',
		'        - name: app',
		`          image: ${image}`,
		'',
	].join('\n');
}

/** A helm.toolkit.fluxcd.io/v2 HelmRelease `name` of chart `name`@0.1.0 whose values pick `image` (repo:tag). */
export function helmReleaseManifest(name: string, image: string): string {
	const colon = image.lastIndexOf(':');
	return [
		'apiVersion: helm.toolkit.fluxcd.io/v2',
		'kind: HelmRelease',
		'metadata:',
		`  name: ${name}`,
		'spec:',
		'  interval: 10m',
		'  chart:',
		'    spec:',
		`      chart: ${name}`,
		"      version: '0.1.0'",
		'      sourceRef: {kind: HelmRepository, name: charts, namespace: flux-system}',
		'  values:',
		`    image: {repository: ${image.slice(0, colon)}, tag: '${image.slice(colon + 1)}'}`,
		'',
	].join('\n');
}

/** Commits `files` (path → content) to `repo` on the server and pushes them to main; returns the new commit. */
export async function pushFiles(
	server: GitServer,
	repo: string,
	files: Record<string, string>,
	message = 'bump',
): Promise<string> {
	const work = await mkdtemp(join(tmpdir(), 'gitops-push-'));
	try {
		await git(['clone', '-q', server.authedRepoUrl(repo), work]);
		for (const [path, content] of Object.entries(files)) {
			await mkdir(dirname(join(work, path)), { recursive: true });
			await writeFile(join(work, path), content);
		}
		await git(['add', '-A'], work);
		await git(['commit', '-q', '-m', message], work);
		await git(['push', '-q', 'origin', 'HEAD:main'], work);
		return (await git(['rev-parse', 'HEAD'], work)).trim();
	} finally {
		await rm(work, { recursive: true, force: true });
	}
}
