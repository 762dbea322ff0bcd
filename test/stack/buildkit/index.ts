import { execFileSync } from 'node:child_process';
import {
	appendFileSync,
	copyFileSync,
	existsSync,
	mkdirSync,
	mkdtempSync,
	rmSync,
	writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { prepareImageEtc, runContainer } from '../k8s/server/podSandbox';
import { imageModel } from '../k8s/server/realPod';
import type { RealBuilder } from '../k8s/types';

/**
 * Real BuildKit for the test stack: where the binaries are (scripts/ensure-buildkit.sh puts them in the cache
 * or takes BUILDKIT_BIN_DIR), or why there are none; the images the real builds need in the test registry
 * (a busybox base image and a small SBOM scanner image, both built by BuildKit itself); and the per-suite
 * record of how many builds were real, which scripts/test.sh prints at the end of the run.
 */

export const BUILDKIT_VERSION = 'v0.24.0';
const REPO_ROOT = resolve(__dirname, '../../..');
/** buildctl-daemonless.sh as the moby/buildkit images ship it (from BuildKit's source, examples/). */
export const IMAGE_SCRIPTS_DIR = join(__dirname, 'image');

export type BuilderAvailability = { binDir: string } | { reason: string };

function commandExists(name: string): boolean {
	try {
		execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
		return true;
	} catch {
		return false;
	}
}

/** The binaries, or why the Job simulator falls back to simulated builds. Cheap: no build, no install. */
export function realBuilderAvailability(env: NodeJS.ProcessEnv = process.env): BuilderAvailability {
	if (env.BUILDKIT_SIMULATED) return { reason: env.BUILDKIT_SIMULATED };
	const cache = env.BUILDKIT_CACHE_DIR ?? join(homedir(), '.cache/n8n-nodes-buildkit');
	const binDir = env.BUILDKIT_BIN_DIR || join(cache, `buildkit-${BUILDKIT_VERSION}`, 'bin');
	if (!existsSync(join(binDir, 'buildkitd')) || !existsSync(join(binDir, 'buildctl'))) {
		return {
			reason: env.BUILDKIT_BIN_DIR
				? `BUILDKIT_BIN_DIR=${binDir} has no buildkitd/buildctl`
				: `no BuildKit binaries in ${binDir} (run scripts/ensure-buildkit.sh, or set BUILDKIT_BIN_DIR)`,
		};
	}
	if (process.getuid?.() !== 0) return { reason: 'the pod sandbox needs root (mount namespaces)' };
	const missing = ['unshare', 'setpriv', 'runc', 'rootlesskit', 'newuidmap', 'git'].filter(
		(c) => !commandExists(c),
	);
	if (missing.length)
		return { reason: `missing ${missing.join(', ')} (scripts/ensure-buildkit.sh installs them)` };
	return { binDir };
}

export function realBuilder(binDir: string, workDir: string): RealBuilder {
	mkdirSync(workDir, { recursive: true });
	return { binDir, scriptsDir: IMAGE_SCRIPTS_DIR, workDir };
}

/**
 * Builds and pushes an image with real BuildKit outside any Job (privileged, root, as the moby/buildkit image
 * runs it): the fixtures the Jobs' builds need. Returns the pushed index/manifest digest.
 */
export async function buildImage(o: {
	builder: RealBuilder;
	files: Record<string, string | { copyFrom: string; mode?: number }>;
	ref: string;
	buildctlArgs?: string[];
}): Promise<string> {
	const dir = mkdtempSync(join(o.builder.workDir, 'fixture-'));
	try {
		const context = join(dir, 'context');
		for (const [name, content] of Object.entries(o.files)) {
			const file = join(context, name);
			mkdirSync(join(file, '..'), { recursive: true });
			if (typeof content === 'string') writeFileSync(file, content);
			else {
				copyFileSync(content.copyFrom, file);
				if (content.mode) execFileSync('chmod', [content.mode.toString(8), file]);
			}
		}
		const output: string[] = [];
		const run = runContainer({
			podDir: dir,
			etc: prepareImageEtc(o.builder.workDir),
			image: imageModel(`moby/buildkit:${BUILDKIT_VERSION}`, o.builder),
			container: {
				name: 'fixture',
				command: [
					'sh',
					'-c',
					'buildctl-daemonless.sh "$@" --metadata-file /tmp/metadata.json && cat /tmp/metadata.json',
					'fixture',
				],
				args: [
					'build',
					'--progress=plain',
					'--frontend=dockerfile.v0',
					'--local',
					'context=/context',
					'--local',
					'dockerfile=/context',
					'--output',
					`type=image,name=${o.ref},push=true`,
					...(o.buildctlArgs ?? []),
				],
				volumeMounts: [
					{ name: 'context', mountPath: '/context', readOnly: true },
					{ name: 'state', mountPath: '/var/lib/buildkit' },
				],
			},
			volumes: new Map([
				['context', context],
				['state', join(dir, 'state')],
			]),
			onLine: (line) => output.push(line),
		});
		mkdirSync(join(dir, 'state'));
		const code = await run.done;
		const digest = /"containerimage\.digest":\s*"(sha256:[0-9a-f]{64})"/.exec(
			output.join('\n'),
		)?.[1];
		if (code !== 0 || !digest)
			throw new Error(
				`building ${o.ref} with BuildKit failed (exit ${code}):\n${output.slice(-30).join('\n')}`,
			);
		return digest;
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

/** A shell-capable base image FROM scratch: Debian's static busybox, its applets installed by a RUN step. */
export function pushBaseImage(builder: RealBuilder, registryHost: string): Promise<string> {
	return buildImage({
		builder,
		ref: baseImageRef(registryHost),
		files: {
			Dockerfile:
				'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n',
			busybox: { copyFrom: '/bin/busybox', mode: 0o755 },
		},
	});
}

export const baseImageRef = (registryHost: string) => `${registryHost}/base/busybox:1`;
export const scannerImageRef = (registryHost: string) => `${registryHost}/tools/sbom-scanner:1`;

/**
 * An SBOM generator image speaking BuildKit's scanner protocol (frontend/attestations/sbom): BuildKit runs its
 * entrypoint with BUILDKIT_SCAN_SOURCE (the image's root filesystem, read-only) and BUILDKIT_SCAN_DESTINATION
 * (a directory of in-toto statements to fill). Its SBOM is deliberately minimal: an SPDX 2.3 document listing
 * the regular files of the image with their SHA-256, and no packages. Needs the base image pushed first.
 */
export function pushScannerImage(builder: RealBuilder, registryHost: string): Promise<string> {
	return buildImage({
		builder,
		ref: scannerImageRef(registryHost),
		files: {
			Dockerfile: `FROM ${baseImageRef(registryHost)}\nCOPY scan.sh /bin/scan\nENTRYPOINT ["/bin/scan"]\n`,
			'scan.sh': { copyFrom: join(IMAGE_SCRIPTS_DIR, 'sbom-scan.sh'), mode: 0o755 },
		},
	});
}

/** The OCI platform of this machine: the only one real BuildKit can run RUN steps for here (no QEMU). */
export function hostPlatform(): string {
	const arch =
		({ x64: 'amd64', arm64: 'arm64', arm: 'arm' } as Record<string, string>)[process.arch] ??
		process.arch;
	return `linux/${arch}`;
}

/**
 * The app the Jobs build: a multi-stage Dockerfile on the busybox base image in the test registry, with a build
 * arg, a RUN step, a `debug` target and the final `app` stage as the default target.
 */
export function appFiles(registryHost: string): Record<string, string> {
	return {
		Dockerfile: [
			`ARG BASE_IMAGE=${baseImageRef(registryHost)}`,
			'FROM ${BASE_IMAGE} AS build',
			'ARG GREETING="hello from webapp"',
			'WORKDIR /src',
			'COPY app/ ./',
			'RUN mkdir -p /out && sed "s/@GREETING@/${GREETING}/" main.sh > /out/app && chmod 755 /out/app && /out/app > /out/selftest.txt',
			'',
			'FROM build AS debug',
			'RUN cp /out/selftest.txt /selftest.txt',
			'',
			'FROM ${BASE_IMAGE} AS app',
			'COPY --from=build /out/app /usr/local/bin/app',
			'ENTRYPOINT ["/usr/local/bin/app"]',
			'',
		].join('\n'),
		'app/main.sh': '#!/bin/sh\necho "@GREETING@"\n',
		'app/main.go': 'package main\n\nfunc main() {}\n',
	};
}

/** Appends this suite's build counts to $BUILDKIT_BUILD_REPORT (scripts/test.sh sums them up). */
export function reportBuilds(counts: {
	real: number;
	simulated: number;
	reasons: Record<string, number>;
}): void {
	const file = process.env.BUILDKIT_BUILD_REPORT;
	if (!file || counts.real + counts.simulated === 0) return;
	const testPath = (
		globalThis as { expect?: { getState?: () => { testPath?: string } } }
	).expect?.getState?.().testPath;
	const suite = testPath ? relative(REPO_ROOT, testPath) : (process.argv[1] ?? 'unknown');
	appendFileSync(file, `${JSON.stringify({ suite, ...counts })}\n`);
}

/** A scratch directory for a suite's real builds (pods, BuildKit state), under the OS temp dir. */
export const builderWorkDir = () => mkdtempSync(join(tmpdir(), 'buildkit-pods-'));
