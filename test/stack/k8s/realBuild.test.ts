import * as k8s from '@kubernetes/client-node';
import { createBuildKitJob } from '../../../lib/k8s/build/createJob';
import type { BuildJobInput } from '../../../lib/k8s/build/inputs';
import { kubeConfigFromCredential } from '../../../lib/k8s/kubeConfig';
import { waitForJob } from '../../../lib/k8s/wait/waitForJob';
import { provenanceSourceOf } from '../../../lib/registry';
import { createHash } from 'node:crypto';
import {
	appFiles,
	buildImage,
	pushBaseImage,
	pushScannerImage,
	realBuilderAvailability,
	scannerImageRef,
} from '../buildkit';
import { commitFiles, remoteLog, startGitServer, type GitServer } from '../git';
import { startRegistry, type RunningRegistry } from '../registry';
import { startKubeStandIn, type KubeStandIn } from './index';

// The Job simulator running the pods of Create BuildKit Job's Jobs for real: the git-clone init container and
// the buildkit container execute the Job's own scripts with real git, rootlesskit and BuildKit, push to the
// real registry, and their exits, termination messages and output are what the API reports.
const NS = 'build-system';
jest.setTimeout(180_000);

const availability = realBuilderAvailability();
const describeReal = 'binDir' in availability ? describe : describe.skip;
if (!('binDir' in availability))
	console.warn(`realBuild.test.ts: SKIPPED, no real BuildKit: ${availability.reason}`);

let registry: RunningRegistry;
let git: GitServer;
let standIn: KubeStandIn;
let kc: k8s.KubeConfig;
let admin: k8s.KubeConfig;
let appUrl: string;
let head: string;

const INDEX = 'application/vnd.oci.image.index.v1+json';
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

async function registryJson(
	path: string,
	accept = `${INDEX}, ${MANIFEST}`,
): Promise<{ digest: string | null; body: any }> {
	const res = await fetch(`${registry.url}/v2/${path}`, { headers: { accept } });
	if (!res.ok) throw new Error(`GET ${path}: ${res.status}`);
	return { digest: res.headers.get('docker-content-digest'), body: await res.json() };
}

/** An in-toto statement attached to the image: a layer of its attestation manifest, as Query Registry Tags reads it. */
async function attestationOf(
	repo: string,
	digest: string,
	predicateTypePrefix: string,
): Promise<any> {
	const { body: index } = await registryJson(`${repo}/manifests/${digest}`);
	const att = index.manifests.find(
		(m: any) => m.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest',
	);
	const { body: manifest } = await registryJson(`${repo}/manifests/${att.digest}`);
	const layer = manifest.layers.find((l: any) =>
		String(l.annotations?.['in-toto.io/predicate-type']).startsWith(predicateTypePrefix),
	);
	return (await registryJson(`${repo}/blobs/${layer.digest}`, '*/*')).body;
}

const provenanceOf = (repo: string, digest: string) =>
	attestationOf(repo, digest, 'https://slsa.dev/provenance/');

async function build(overrides: Partial<BuildJobInput>) {
	const created = await createBuildKitJob(kc, {
		appName: 'webapp',
		gitRepositoryUrl: appUrl,
		gitRevision: head,
		image: `${registry.host}/webapp/app:1.0.0`,
		insecureRegistry: true,
		allowPlainHttpGit: true,
		attestations: ['provenance'],
		backoffLimit: 0,
		...overrides,
	});
	// Wait for Job as the node runs it: one watch, no polling (the machine is shared; builds need its CPU).
	const wait = await waitForJob(kc, {
		namespace: NS,
		jobName: created.jobName,
		timeoutSeconds: 170,
		stuckAfterSeconds: 0,
	});
	const job = await kc
		.makeApiClient(k8s.BatchV1Api)
		.readNamespacedJob({ name: created.jobName, namespace: NS });
	const core = admin.makeApiClient(k8s.CoreV1Api);
	const [pod] = (
		await core.listNamespacedPod({
			namespace: NS,
			labelSelector: `batch.kubernetes.io/controller-uid=${created.uid}`,
		})
	).items;
	const status = (name: string) =>
		[...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].find(
			(s) => s.name === name,
		)!;
	const log = (container: string) =>
		core.readNamespacedPodLog({ name: pod.metadata!.name!, namespace: NS, container });
	const events = (
		await core.listNamespacedEvent({
			namespace: NS,
			fieldSelector: `involvedObject.name=${pod.metadata!.name}`,
		})
	).items;
	return { created, wait, job, pod, status, log, events };
}

const complete = (job: k8s.V1Job) =>
	job.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True');

beforeAll(async () => {
	registry = await startRegistry();
	git = await startGitServer();
	appUrl = await git.createBareRepo('webapp', appFiles(registry.host));
	head = (await remoteLog(appUrl))[0].sha;
	standIn = await startKubeStandIn({ registry: { host: registry.host } });
	kc = kubeConfigFromCredential({
		authentication: 'kubeconfig',
		kubeconfig: standIn.kubeconfig(standIn.tokenFor('automation', 'n8n')),
	});
	admin = kubeConfigFromCredential({
		authentication: 'kubeconfig',
		kubeconfig: standIn.kubeconfig(standIn.adminToken),
	});
	// The operator's switch in deploy/admission for the privileged builder, which one case below uses.
	const core = admin.makeApiClient(k8s.CoreV1Api);
	const policy = await core.readNamespacedConfigMap({ name: 'build-job-policy', namespace: NS });
	policy.data = { ...policy.data, allowPrivilegedBuilder: 'true' };
	await core.replaceNamespacedConfigMap({ name: 'build-job-policy', namespace: NS, body: policy });
	if (standIn.realBuilder) await pushBaseImage(standIn.realBuilder, registry.host);
}, 120_000);

afterAll(async () => {
	await standIn?.stop();
	await git?.stop();
	await registry?.stop();
});

describeReal('a Create BuildKit Job run for real by the stand-in', () => {
	test('rootless: clones the commit, builds the multi-stage Dockerfile with a build arg and a target, pushes, and reports the digest', async () => {
		const r = await build({
			target: 'app',
			buildArgs: [{ name: 'GREETING', value: 'hello from a real build' }],
			additionalTags: ['latest'],
		});
		expect(complete(r.job)).toBe(true);
		expect(r.pod.status?.phase).toBe('Succeeded');
		expect(r.wait).toMatchObject({
			status: 'succeeded',
			digest: JSON.parse(r.status('buildkit').state!.terminated!.message!).digest,
		});
		// git-clone's termination message is the commit it resolved, written by the Job's own script.
		expect(r.status('git-clone').state?.terminated).toMatchObject({
			exitCode: 0,
			reason: 'Completed',
			message: head,
		});
		const term = r.status('buildkit').state!.terminated!;
		expect(term).toMatchObject({ exitCode: 0, reason: 'Completed' });
		const message = JSON.parse(term.message!);
		expect(message).toMatchObject({ image: `${registry.host}/webapp/app:1.0.0`, revision: head });
		for (const tag of ['1.0.0', 'latest'])
			expect((await registryJson(`webapp/app/manifests/${tag}`)).digest).toBe(message.digest);

		// Real BuildKit output: the RUN step of the build stage, the push, and rootless mode.
		const log = await r.log('buildkit');
		expect(log).toMatch(/\[build \d\/\d\] RUN mkdir -p \/out/);
		expect(log).toContain('pushing manifest for');
		expect(log).not.toMatch(/\[debug /);
		expect(await r.log('git-clone')).toContain(`git-clone: ${head} is ${head}`);
		expect(r.events.map((e) => e.message)).toContainEqual(
			expect.stringContaining('not pulled: the stand-in runs the local BuildKit binaries'),
		);

		// Read as the rollout gate reads it (SLSA v0.2 or v1, whichever the Job asks BuildKit for).
		const provenance = await provenanceOf('webapp/app', message.digest);
		expect(provenanceSourceOf(provenance)).toMatchObject({
			predicateType: expect.stringMatching(/^https:\/\/slsa\.dev\/provenance\//),
			revision: head,
			sourceRepository: appUrl,
		});
		const frontendArgs =
			provenance.predicate.invocation?.parameters?.args ??
			provenance.predicate.buildDefinition?.externalParameters?.request?.args;
		expect(frontendArgs).toMatchObject({
			'build-arg:GREETING': 'hello from a real build',
			target: 'app',
		});

		const { body: index } = await registryJson(`webapp/app/manifests/${message.digest}`);
		const image = index.manifests.find((m: any) => m.platform?.architecture !== 'unknown');
		const { body: manifest } = await registryJson(`webapp/app/manifests/${image.digest}`);
		const { body: config } = await registryJson(
			`webapp/app/blobs/${manifest.config.digest}`,
			'*/*',
		);
		expect(config.config.Entrypoint).toEqual(['/usr/local/bin/app']);
		expect(config.config.Labels['org.opencontainers.image.revision']).toBe(head);
	});

	test('privileged: the same Job as root builds the debug target of a new commit', async () => {
		const commit = await commitFiles(appUrl, {
			'app/main.sh': '#!/bin/sh\necho "@GREETING@ (privileged)"\n',
		});
		const r = await build({
			builderMode: 'privileged',
			gitRevision: commit,
			target: 'debug',
			image: `${registry.host}/webapp/app:debug`,
		});
		expect(complete(r.job)).toBe(true);
		const message = JSON.parse(r.status('buildkit').state!.terminated!.message!);
		expect(message.revision).toBe(commit);
		expect(await r.log('buildkit')).toMatch(/\[debug \d\/\d\] RUN cp \/out\/selftest.txt/);
		expect(provenanceSourceOf(await provenanceOf('webapp/app', message.digest)).revision).toBe(
			commit,
		);
	});

	test("a failing RUN step fails the container with BuildKit's exit code and its real error in the log", async () => {
		const commit = await commitFiles(appUrl, {
			Dockerfile: `FROM ${registry.host}/base/busybox:1\nRUN echo "compiling" && exit 3\n`,
		});
		const r = await build({ gitRevision: commit, image: `${registry.host}/webapp/app:broken` });
		expect(r.job.status?.conditions).toContainEqual(
			expect.objectContaining({ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }),
		);
		expect(r.pod.status?.phase).toBe('Failed');
		expect(r.status('git-clone').state?.terminated?.exitCode).toBe(0);
		expect(r.status('buildkit').state?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
		expect(r.wait).toMatchObject({ status: 'failed', reason: 'BuildFailed' });
		expect(r.wait.logTail).toContain('did not complete successfully: exit code: 3');
		expect(await r.log('buildkit')).toContain('did not complete successfully: exit code: 3');
		expect(
			(
				await fetch(`${registry.url}/v2/webapp/app/manifests/broken`, {
					method: 'HEAD',
					headers: { accept: INDEX },
				})
			).status,
		).toBe(404);
	});

	test("an unreachable git server fails the init container with git's real error; the build never starts", async () => {
		const r = await build({
			gitRepositoryUrl: 'http://127.0.0.1:9/org/app.git',
			gitRevision: 'main',
			image: `${registry.host}/webapp/app:nogit`,
		});
		expect(r.job.status?.conditions).toContainEqual(
			expect.objectContaining({ type: 'Failed', status: 'True' }),
		);
		const term = r.status('git-clone').state!.terminated!;
		expect(term.exitCode).not.toBe(0);
		expect(term.message).toMatch(/\S/);
		expect(await r.log('git-clone')).toMatch(
			/Failed to connect to 127\.0\.0\.1 port 9|Connection refused|Could not connect/i,
		);
		expect(r.status('buildkit').state?.waiting).toBeDefined();
		expect(r.wait).toMatchObject({ status: 'failed', reason: 'GitCloneFailed' });
	});

	test("the stack's SBOM scanner image speaks BuildKit's scanner protocol (its SBOM lists files only)", async () => {
		const builder = standIn.realBuilder!;
		await pushScannerImage(builder, registry.host);
		const digest = await buildImage({
			builder,
			ref: `${registry.host}/webapp/scanned:1`,
			files: {
				Dockerfile: `FROM ${registry.host}/base/busybox:1\nCOPY hello.txt /srv/hello.txt\n`,
				'hello.txt': 'hello\n',
			},
			buildctlArgs: ['--opt', `attest:sbom=generator=${scannerImageRef(registry.host)}`],
		});
		const sbom = await attestationOf('webapp/scanned', digest, 'https://spdx.dev/Document');
		expect(sbom.predicateType).toBe('https://spdx.dev/Document');
		expect(sbom.predicate.spdxVersion).toBe('SPDX-2.3');
		const sha = createHash('sha256').update('hello\n').digest('hex');
		expect(sbom.predicate.files).toContainEqual(
			expect.objectContaining({
				fileName: '/srv/hello.txt',
				checksums: [{ algorithm: 'SHA256', checksumValue: sha }],
			}),
		);
	});
});
