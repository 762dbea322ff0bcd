import { spawn } from 'node:child_process';
import {
	chmodSync,
	chownSync,
	cpSync,
	existsSync,
	lstatSync,
	mkdirSync,
	readFileSync,
	readlinkSync,
	rmSync,
	writeFileSync,
} from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * Runs one container of a pod as a real process, the way a kubelet + runc would, without images: each container
 * gets its own mount and PID namespace (util-linux `unshare`) whose root is a fresh tmpfs (the container's
 * writable layer) holding the host's /usr and a copy of /etc for "the image", the pod's volumes (emptyDirs and
 * Secrets as files, on the host under the pod's directory) at their mountPaths, its own /dev/termination-log,
 * /proc and /tmp. It then switches to the container's uid/gid/fsGroup (util-linux `setpriv`) and executes
 * `command` + `args` with exactly the container's env over the image's env.
 *
 * Why unshare + pivot_root and not bubblewrap: bwrap always sets no_new_privs, which stops the setuid
 * newuidmap/newgidmap that rootlesskit needs, and the pod's paths (/workspace, /dev/termination-log) must exist
 * without touching the host's /. Why not path rewriting: the Job's scripts and buildctl args name the pod's
 * absolute paths, and they must run unchanged. Needs root on the host (CI and this machine run as root).
 *
 * Network is the host's (loopback registry and git), so addresses in the pod are the test stack's.
 */

/** What an image would bring: its env, its user and the directories it ships (created in the writable layer). */
export interface ImageModel {
	/** The image reference it stands in for (reported in the log). */
	image: string;
	env: Record<string, string>;
	/** USER of the image (numeric uid:gid). */
	uid: number;
	gid: number;
	/** Directories the image has, with their owner uid. */
	dirs: Array<{ path: string; owner: number }>;
	/** Host directories bound read-only into the root (host path -> container path), e.g. BuildKit's binaries. */
	binds: Array<{ host: string; path: string }>;
}

export interface ContainerSpec {
	name: string;
	command?: string[];
	args?: string[];
	env?: Array<{ name: string; value?: string }>;
	workingDir?: string;
	securityContext?: {
		runAsUser?: number;
		runAsGroup?: number;
		privileged?: boolean;
		allowPrivilegeEscalation?: boolean;
		readOnlyRootFilesystem?: boolean;
	};
	volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
	terminationMessagePath?: string;
}

export interface RunningContainer {
	/** Exit code (128 + signal number when killed by a signal). */
	done: Promise<number>;
	/** Stops the container and everything it started (its PID namespace dies with it). */
	kill(): void;
	/** What the container wrote to its termination message path (read after exit). */
	terminationMessage(): string;
}

const BIND_DIRS = ['usr', 'bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];
const DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The /etc of "the image" (bound read-only into every container): the host's, with the moby/buildkit rootless
 * image's user (uid 1000 "user") and its /etc/subuid and /etc/subgid ranges, which rootlesskit's
 * newuidmap/newgidmap check, and the mount points the pods' Secrets use under /etc. Made once per stand-in.
 */
export function prepareImageEtc(dir: string, mountPoints: string[] = []): string {
	const etc = join(dir, 'image-etc');
	if (!existsSync(join(etc, 'subuid'))) copyHostEtc(etc);
	for (const p of mountPoints)
		if (p.startsWith('/etc/')) mkdirSync(join(etc, p.slice('/etc/'.length)), { recursive: true });
	return etc;
}

function copyHostEtc(etc: string): void {
	cpSync('/etc', etc, {
		recursive: true,
		verbatimSymlinks: true,
		filter: (src) => !src.startsWith('/etc/.'),
	});
	const without1000 = (file: string, idField: number) =>
		readFileSync(join(etc, file), 'utf8')
			.split('\n')
			.filter((l) => l && l.split(':')[idField] !== '1000' && !l.startsWith('user:'))
			.join('\n');
	writeFileSync(
		join(etc, 'passwd'),
		`${without1000('passwd', 2)}\nuser:x:1000:1000::/home/user:/bin/sh\n`,
	);
	writeFileSync(join(etc, 'group'), `${without1000('group', 2)}\nuser:x:1000:\n`);
	writeFileSync(join(etc, 'subuid'), 'user:100000:65536\n');
	writeFileSync(join(etc, 'subgid'), 'user:100000:65536\n');
}

/** The shell run as root inside the new namespaces: builds the container's root, then execs the container. */
function setupScript(o: {
	root: string;
	etc: string;
	image: ImageModel;
	mounts: Array<{ host: string; path: string; readOnly: boolean; file: boolean }>;
	terminationLog: { host: string; path: string };
	readOnlyRoot: boolean;
	exec: string;
}): string {
	const r = (p: string) => q(posix.join(o.root, p));
	// Few processes: on a loaded 2-core machine each fork+exec counts, so directories and files are made in batches.
	const lines = ['set -e', `mount -t tmpfs -o mode=755 container-root ${q(o.root)}`];
	const dirs = ['proc', 'sys', 'dev', 'tmp', 'run', 'etc', '.old-root'];
	const binds: string[] = [];
	for (const d of BIND_DIRS) {
		const host = `/${d}`;
		if (!existsSync(host)) continue;
		if (lstatSync(host).isSymbolicLink()) lines.push(`ln -s ${q(readlinkSync(host))} ${r(d)}`);
		else {
			dirs.push(d);
			binds.push(`mount --rbind -o ro ${q(host)} ${r(d)}`);
		}
	}
	// Parents before children, as the kubelet orders mounts.
	const mounts = [
		...o.mounts,
		{ host: o.terminationLog.host, path: o.terminationLog.path, readOnly: false, file: true },
	].sort((a, b) => a.path.split('/').length - b.path.split('/').length);
	const outsideEtc = (p: string) => p !== '/etc' && !p.startsWith('/etc/');
	dirs.push(...o.image.dirs.map((d) => d.path), ...o.image.binds.map((b) => b.path));
	dirs.push(...mounts.map((m) => (m.file ? posix.dirname(m.path) : m.path)).filter(outsideEtc));
	lines.push(`mkdir -p ${dirs.map(r).join(' ')}`, `chmod 1777 ${r('tmp')}`);
	const files = mounts
		.filter((m) => m.file && outsideEtc(m.path) && !m.path.startsWith('/dev/'))
		.map((m) => r(m.path));
	if (files.length) lines.push(`touch ${files.join(' ')}`);
	for (const d of new Set(o.image.dirs.map((x) => x.owner)))
		lines.push(
			`chown ${d}:${d} ${o.image.dirs
				.filter((x) => x.owner === d)
				.map((x) => r(x.path))
				.join(' ')}`,
		);
	lines.push(...binds, `mount --bind -o ro ${q(o.etc)} ${r('etc')}`);
	lines.push(`mount -t proc proc ${r('proc')}`, `mount --rbind /sys ${r('sys')}`);
	lines.push(
		`mount -t tmpfs -o mode=755,nosuid dev ${r('dev')}`,
		`mkdir ${r('dev/shm')} ${r('dev/pts')}`,
	);
	lines.push(`touch ${DEVICES.map((d) => r(`dev/${d}`)).join(' ')}`);
	for (const d of DEVICES) lines.push(`mount --bind /dev/${d} ${r(`dev/${d}`)}`);
	lines.push(
		`ln -s /proc/self/fd ${r('dev/fd')}`,
		`ln -s /proc/self/fd/2 ${r('dev/stderr')}`,
		`ln -s /proc/self/fd/1 ${r('dev/stdout')}`,
	);
	for (const b of o.image.binds) lines.push(`mount --bind -o ro ${q(b.host)} ${r(b.path)}`);
	for (const m of mounts) {
		if (m.file && m.path.startsWith('/dev/')) lines.push(`touch ${r(m.path)}`);
		lines.push(`mount --bind${m.readOnly ? ' -o ro' : ''} ${q(m.host)} ${r(m.path)}`);
	}
	if (o.readOnlyRoot) lines.push(`mount -o remount,ro ${q(o.root)}`);
	lines.push(`cd ${q(o.root)}`, 'pivot_root . .old-root', 'cd /', 'umount -l /.old-root');
	lines.push(o.exec);
	return lines.join('\n');
}

/**
 * Volumes of the pod on the host: emptyDirs as directories (mode 0777, as the kubelet makes them), Secrets as
 * files (items/defaultMode honoured, group-owned by fsGroup). Returns volume name -> host directory.
 */
export function materializeVolumes(
	podDir: string,
	volumes: any[],
	fsGroup: number | undefined,
	secret: (name: string) => Record<string, string> | undefined,
): { paths: Map<string, string>; missing?: string } {
	const paths = new Map<string, string>();
	for (const v of volumes) {
		const dir = join(podDir, 'volumes', v.name);
		if (existsSync(dir)) {
			paths.set(v.name, dir);
			continue;
		}
		mkdirSync(dir, { recursive: true });
		if (v.emptyDir) {
			chmodSync(dir, 0o777);
		} else if (v.secret) {
			const data = secret(v.secret.secretName);
			if (!data && !v.secret.optional) return { paths, missing: v.secret.secretName };
			const entries: Array<{ key: string; path: string; mode?: number }> =
				v.secret.items ?? Object.keys(data ?? {}).map((key) => ({ key, path: key }));
			for (const item of entries) {
				if (!data || data[item.key] === undefined) continue;
				const file = join(dir, item.path);
				mkdirSync(dirname(file), { recursive: true });
				writeFileSync(file, Buffer.from(data[item.key], 'base64'));
				chmodSync(file, item.mode ?? v.secret.defaultMode ?? 0o644);
				if (fsGroup !== undefined) chownSync(file, 0, fsGroup);
			}
			chmodSync(dir, 0o755);
		}
		paths.set(v.name, dir);
	}
	return { paths };
}

export function runContainer(o: {
	podDir: string;
	etc: string;
	image: ImageModel;
	container: ContainerSpec;
	volumes: Map<string, string>;
	podSecurityContext?: { runAsUser?: number; runAsGroup?: number; fsGroup?: number };
	onLine: (line: string) => void;
}): RunningContainer {
	const c = o.container;
	const cdir = join(o.podDir, 'containers', c.name);
	rmSync(cdir, { recursive: true, force: true });
	mkdirSync(join(cdir, 'root'), { recursive: true });
	const termHost = join(cdir, 'termination-log');
	writeFileSync(termHost, '');
	chmodSync(termHost, 0o666);
	const sc = c.securityContext ?? {};
	const uid = sc.runAsUser ?? o.podSecurityContext?.runAsUser ?? o.image.uid;
	const gid = sc.runAsGroup ?? o.podSecurityContext?.runAsGroup ?? o.image.gid;
	const fsGroup = o.podSecurityContext?.fsGroup;
	const env = { ...o.image.env };
	for (const e of c.env ?? []) env[e.name] = e.value ?? '';
	const argv = [...(c.command ?? []), ...(c.args ?? [])];
	const envArgs = Object.entries(env)
		.map(([k, v]) => q(`${k}=${v}`))
		.join(' ');
	const user =
		uid === 0
			? ''
			: `setpriv --reuid=${uid} --regid=${gid} ${fsGroup !== undefined ? `--groups=${fsGroup}` : '--clear-groups'}${sc.allowPrivilegeEscalation === false ? ' --no-new-privs' : ''} -- `;
	const exec = `exec ${user}env -i -C ${q(c.workingDir || '/')} ${envArgs} ${argv.map(q).join(' ')} 2>&1`;
	const mounts = (c.volumeMounts ?? []).map((m) => {
		const host = o.volumes.get(m.name);
		if (!host) throw new Error(`volume ${m.name} of container ${c.name} is not in the pod`);
		return { host, path: m.mountPath, readOnly: !!m.readOnly, file: false };
	});
	const script = setupScript({
		root: join(cdir, 'root'),
		etc: o.etc,
		image: o.image,
		mounts,
		terminationLog: { host: termHost, path: c.terminationMessagePath || '/dev/termination-log' },
		readOnlyRoot: !!sc.readOnlyRootFilesystem,
		exec,
	});
	const child = spawn(
		'unshare',
		['--mount', '--pid', '--fork', '--kill-child', '--propagation', 'private', 'sh', '-c', script],
		{
			stdio: ['ignore', 'pipe', 'pipe'],
			env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
		},
	);
	createInterface({ input: child.stdout! }).on('line', o.onLine);
	createInterface({ input: child.stderr! }).on('line', o.onLine);
	const done = new Promise<number>((resolve) => {
		child.once('error', (err) => {
			o.onLine(`pod sandbox: ${err.message}`);
			resolve(128);
		});
		child.once('close', (code, signal) => resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : 15)));
	});
	return {
		done,
		kill: () => {
			if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
		},
		terminationMessage: () => {
			try {
				return readFileSync(termHost, 'utf8').slice(0, 4096);
			} catch {
				return '';
			}
		},
	};
}
