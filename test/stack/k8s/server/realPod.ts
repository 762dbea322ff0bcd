import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RealBuilder } from '../types';
import {
	type ImageModel,
	materializeVolumes,
	prepareImageEtc,
	runContainer,
	type RunningContainer,
} from './podSandbox';

/**
 * The kubelet half of the Job simulator for pods that run for real: maps each container's image to what is on
 * this host (images are not pulled), materializes the pod's volumes, then runs the init containers one after
 * the other and the main container, reporting each start and exit. BuildKit's images (moby/buildkit) become the
 * local buildkitd/buildctl plus BuildKit's own buildctl-daemonless.sh, with the image's env, user and
 * directories (from BuildKit's Dockerfile: the `rootless` stage runs as uid 1000 "user"); every other image
 * becomes the host's userland.
 */

const IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function imageModel(image: string, builder: RealBuilder): ImageModel {
	const repo = image.replace(/@.*$/, '').replace(/:[^/:]*$/, '');
	const tag = image.replace(/@.*$/, '').slice(repo.length + 1);
	const isBuildKit = /(^|\/)moby\/buildkit$/.test(repo);
	if (!isBuildKit) return { image, env: { PATH: IMAGE_PATH }, uid: 0, gid: 0, dirs: [], binds: [] };
	const binds = [
		{ host: builder.binDir, path: '/usr/local/bin' },
		{ host: builder.scriptsDir, path: '/opt/buildkit-image/bin' },
	];
	const path = `${IMAGE_PATH}:/opt/buildkit-image/bin`;
	if (tag.endsWith('rootless')) {
		return {
			image,
			env: {
				PATH: path,
				HOME: '/home/user',
				USER: 'user',
				XDG_RUNTIME_DIR: '/run/user/1000',
				TMPDIR: '/home/user/.local/tmp',
				BUILDKIT_HOST: 'unix:///run/user/1000/buildkit/buildkitd.sock',
			},
			uid: 1000,
			gid: 1000,
			dirs: [
				'/run/user/1000',
				'/home/user',
				'/home/user/.local',
				'/home/user/.local/tmp',
				'/home/user/.local/share',
				'/home/user/.local/share/buildkit',
			].map((p) => ({ path: p, owner: 1000 })),
			binds,
		};
	}
	return {
		image,
		env: { PATH: path, BUILDKIT_SETUP_CGROUPV2_ROOT: '1' },
		uid: 0,
		gid: 0,
		dirs: [{ path: '/var/lib/buildkit', owner: 0 }],
		binds,
	};
}

export interface ContainerExit {
	exitCode: number;
	message: string;
	startedAt: string;
	finishedAt: string;
}

export interface RealPodEvents {
	/** A container is about to start (image mapping text for the pod's events). */
	started(container: string, isInit: boolean, imageNote: string): void;
	line(container: string, line: string): void;
	exited(container: string, isInit: boolean, exit: ContainerExit): void;
	/** A non-optional Secret volume is missing: the pod stays in ContainerCreating. */
	blocked(reason: string): void;
}

export class RealPod {
	private current?: RunningContainer;
	private killed = false;

	constructor(
		private readonly builder: RealBuilder,
		private readonly podDir: string,
	) {}

	/** Runs the pod to its end; resolves with true when every container exited 0. */
	async run(
		pod: any,
		secret: (name: string) => Record<string, string> | undefined,
		events: RealPodEvents,
	): Promise<boolean> {
		const spec = pod.spec;
		const mountPaths = [...(spec.initContainers ?? []), ...spec.containers].flatMap((c: any) =>
			(c.volumeMounts ?? []).map((m: any) => m.mountPath),
		);
		const etc = prepareImageEtc(this.builder.workDir, mountPaths);
		const volumes = materializeVolumes(
			this.podDir,
			spec.volumes ?? [],
			spec.securityContext?.fsGroup,
			secret,
		);
		if (volumes.missing) {
			events.blocked(`MountVolume.SetUp failed for volume: secret "${volumes.missing}" not found`);
			return false;
		}
		const steps = [
			...(spec.initContainers ?? []).map((c: any) => ({ c, init: true })),
			...spec.containers.map((c: any) => ({ c, init: false })),
		];
		for (const { c, init } of steps) {
			if (this.killed) return false;
			const image = imageModel(c.image, this.builder);
			const note = image.binds.length
				? `Container image "${c.image}" not pulled: the stand-in runs the local BuildKit binaries of ${this.builder.binDir} with the image's env and user`
				: `Container image "${c.image}" not pulled: the stand-in runs the container on the host's userland`;
			events.started(c.name, init, note);
			const startedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
			this.current = runContainer({
				podDir: this.podDir,
				etc,
				image,
				container: c,
				volumes: volumes.paths,
				podSecurityContext: spec.securityContext,
				onLine: (line) => events.line(c.name, line),
			});
			const exitCode = await this.current.done;
			const finishedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
			events.exited(c.name, init, {
				exitCode,
				message: this.current.terminationMessage(),
				startedAt,
				finishedAt,
			});
			if (exitCode !== 0) return false;
		}
		return true;
	}

	kill(): void {
		this.killed = true;
		this.current?.kill();
	}

	/** emptyDirs go with the pod. BuildKit's state is large, so this runs when the pod ends. */
	cleanUp(): void {
		rmSync(this.podDir, { recursive: true, force: true });
	}
}

export const podDirFor = (builder: RealBuilder, pod: any) =>
	join(builder.workDir, 'pods', `${pod.metadata.namespace}_${pod.metadata.name}`);
