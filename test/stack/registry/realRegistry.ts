import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { ensureTool, execFileAsync, freePort, sleep, stopChild, waitForLine } from './processes';

/**
 * The real registry of the test stack: Debian's `docker-registry` (CNCF distribution 2.8) with a config of
 * our own bound to 127.0.0.1 on a free port (Debian's packaged service on :5000 is ignored), storing in a
 * temp dir removed on stop. Auth variants: none, htpasswd (bcrypt), and bearer tokens from our token issuer.
 */
export type RegistryAuth = 'none' | 'htpasswd' | 'token';

export interface RunningRegistry {
	host: string;
	url: string;
	auth: RegistryAuth;
	username?: string;
	password?: string;
	pid: number;
	/** Registry access log (one line per request), useful for counting requests. */
	logFile: string;
	/** Token issuer (auth 'token' only): its realm URL and how many tokens it issued. */
	tokenIssuer?: {
		realm: string;
		pid: number;
		stats(): Promise<{ requests: number; issued: number; refused: number }>;
	};
	stop(): Promise<void>;
}

const TOKEN_SERVICE = 'buildkit-test-registry';
const TOKEN_ISSUER = 'buildkit-test-token-issuer';

function configYaml(opts: { dir: string; port: number; authBlock: string }): string {
	return [
		'version: 0.1',
		'log:',
		'  level: warn',
		'  formatter: text',
		'storage:',
		'  filesystem:',
		`    rootdirectory: ${join(opts.dir, 'data')}`,
		'  delete:',
		'    enabled: true',
		'  cache:',
		'    blobdescriptor: inmemory',
		'http:',
		`  addr: 127.0.0.1:${opts.port}`,
		`  secret: ${randomBytes(16).toString('hex')}`,
		'health:',
		'  storagedriver:',
		'    enabled: false',
		opts.authBlock,
		'',
	].join('\n');
}

async function startTokenIssuer(
	dir: string,
	username: string,
	password: string,
	expiresIn: number,
) {
	const key = join(dir, 'token.key');
	const cert = join(dir, 'token.crt');
	await execFileAsync('openssl', [
		'req',
		'-x509',
		'-newkey',
		'rsa:2048',
		'-nodes',
		'-keyout',
		key,
		'-out',
		cert,
		'-days',
		'2',
		'-subj',
		'/CN=buildkit-test-token-issuer',
	]);
	const child = spawn(process.execPath, [join(__dirname, 'token-issuer.js')], {
		stdio: ['ignore', 'pipe', 'inherit'],
		env: {
			PATH: process.env.PATH,
			TOKEN_KEY_FILE: key,
			TOKEN_CERT_FILE: cert,
			TOKEN_ISSUER,
			TOKEN_SERVICE,
			TOKEN_USERNAME: username,
			TOKEN_PASSWORD: password,
			TOKEN_EXPIRES_IN: String(expiresIn),
		},
	});
	const [, port] = await waitForLine(child, /listening (\d+)/, 'token issuer');
	const realm = `http://127.0.0.1:${port}/token`;
	const authBlock = [
		'auth:',
		'  token:',
		`    realm: ${realm}`,
		`    service: ${TOKEN_SERVICE}`,
		`    issuer: ${TOKEN_ISSUER}`,
		`    rootcertbundle: ${cert}`,
	].join('\n');
	const stats = async () =>
		(await (await request(`http://127.0.0.1:${port}/_stats`)).body.json()) as {
			requests: number;
			issued: number;
			refused: number;
		};
	return { child, realm, authBlock, stats };
}

async function waitUntilServing(url: string, child: ChildProcess, logFile: string): Promise<void> {
	for (let i = 0; i < 200; i++) {
		if (child.exitCode !== null)
			throw new Error(
				`docker-registry exited (${child.exitCode}): ${readFileSync(logFile, 'utf8').slice(-2000)}`,
			);
		const answered = await request(`${url}/v2/`).then(
			async (res) => {
				await res.body.dump();
				return res.statusCode === 200 || res.statusCode === 401;
			},
			() => false,
		);
		if (answered) return;
		await sleep(50);
	}
	throw new Error(`docker-registry did not answer on ${url} within 10 s`);
}

export async function startRegistry(
	opts: { auth?: RegistryAuth; username?: string; password?: string; tokenExpiresIn?: number } = {},
): Promise<RunningRegistry> {
	const auth = opts.auth ?? 'none';
	await ensureTool('docker-registry');
	if (auth === 'htpasswd') await ensureTool('htpasswd');
	if (auth === 'token') await ensureTool('openssl');
	const dir = mkdtempSync(join(tmpdir(), 'buildkit-registry-'));
	const username = auth === 'none' ? undefined : (opts.username ?? 'tester');
	const password =
		auth === 'none' ? undefined : (opts.password ?? `pw-${randomBytes(9).toString('base64url')}`);
	let tokenIssuer: Awaited<ReturnType<typeof startTokenIssuer>> | undefined;
	let authBlock = '';
	try {
		if (auth === 'htpasswd') {
			const { stdout } = await execFileAsync('htpasswd', ['-Bbn', username!, password!]);
			writeFileSync(join(dir, 'htpasswd'), stdout);
			authBlock = [
				'auth:',
				'  htpasswd:',
				'    realm: buildkit-test-realm',
				`    path: ${join(dir, 'htpasswd')}`,
			].join('\n');
		} else if (auth === 'token') {
			tokenIssuer = await startTokenIssuer(dir, username!, password!, opts.tokenExpiresIn ?? 300);
			authBlock = tokenIssuer.authBlock;
		}
		const port = await freePort();
		writeFileSync(join(dir, 'config.yml'), configYaml({ dir, port, authBlock }));
		const logFile = join(dir, 'registry.log');
		const logFd = openSync(logFile, 'a');
		const child = spawn('docker-registry', ['serve', join(dir, 'config.yml')], {
			stdio: ['ignore', logFd, logFd],
		});
		closeSync(logFd);
		const host = `127.0.0.1:${port}`;
		const url = `http://${host}`;
		const stop = async () => {
			await stopChild(child);
			if (tokenIssuer) await stopChild(tokenIssuer.child);
			rmSync(dir, { recursive: true, force: true });
		};
		try {
			await waitUntilServing(url, child, logFile);
		} catch (error) {
			await stop();
			throw error;
		}
		return {
			host,
			url,
			auth,
			username,
			password,
			pid: child.pid!,
			logFile,
			tokenIssuer: tokenIssuer && {
				realm: tokenIssuer.realm,
				pid: tokenIssuer.child.pid!,
				stats: tokenIssuer.stats,
			},
			stop,
		};
	} catch (error) {
		if (tokenIssuer) await stopChild(tokenIssuer.child);
		rmSync(dir, { recursive: true, force: true });
		throw error;
	}
}
