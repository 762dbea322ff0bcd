import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
	copyFileSync,
	existsSync,
	mkdirSync,
	mkdtempSync,
	readFileSync,
	readdirSync,
	renameSync,
	rmSync,
	writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { loopbackEnv } from './env';
import { CACHE_ROOT, withLock } from './packageInstall';
import { type N8nToolchain, withNode24Path } from './toolchain';

export interface DatabaseTemplate {
	/** Holds `.n8n/database.sqlite*` and `.n8n/config` of an n8n that has run every migration. */
	dir: string;
	/** The key in that config; n8n refuses to start when N8N_ENCRYPTION_KEY differs from it. */
	encryptionKey: string;
}

function n8nVersion(tools: N8nToolchain): string {
	return (
		JSON.parse(readFileSync(join(tools.n8nDir, 'node_modules', 'n8n', 'package.json'), 'utf8')) as {
			version: string;
		}
	).version;
}

/**
 * A fresh n8n database runs about 270 migrations, the slowest part of a start. They run once per n8n version
 * (a CLI command that only lists workflows), and each start copies the migrated, empty database.
 */
export function databaseTemplate(tools: N8nToolchain): DatabaseTemplate {
	const dir = join(CACHE_ROOT, `n8n-db-${n8nVersion(tools)}`);
	const read = (): DatabaseTemplate => ({
		dir,
		encryptionKey: (
			JSON.parse(readFileSync(join(dir, '.n8n', 'config'), 'utf8')) as { encryptionKey: string }
		).encryptionKey,
	});
	if (existsSync(join(dir, '.n8n', 'database.sqlite'))) return read();
	mkdirSync(CACHE_ROOT, { recursive: true });
	return withLock(`${dir}.lock`, () => {
		if (existsSync(join(dir, '.n8n', 'database.sqlite'))) return read();
		const staging = mkdtempSync(`${dir}.staging-`);
		const encryptionKey = randomBytes(24).toString('hex');
		mkdirSync(join(staging, '.n8n'));
		writeFileSync(join(staging, '.n8n', 'config'), JSON.stringify({ encryptionKey }), {
			mode: 0o600,
		});
		const env: NodeJS.ProcessEnv = {
			...withNode24Path(process.env, tools),
			...loopbackEnv({
				userFolder: staging,
				port: 0,
				brokerPort: 0,
				encryptionKey,
				owner: { email: 'template@buildkit.test', passwordHash: '' },
			}),
			N8N_INSTANCE_OWNER_MANAGED_BY_ENV: 'false',
		};
		delete env.NODE_OPTIONS;
		try {
			execFileSync(tools.nodeBin, [tools.n8nBin, 'list:workflow'], {
				cwd: staging,
				env,
				stdio: 'pipe',
			});
		} catch (error) {
			rmSync(staging, { recursive: true, force: true });
			const output = `${(error as { stdout?: Buffer }).stdout ?? ''}${(error as { stderr?: Buffer }).stderr ?? ''}`;
			throw new Error(
				`n8n could not create its database in ${staging}: ${output.trim().split('\n').slice(-5).join(' | ')}`,
			);
		}
		renameSync(staging, dir);
		return read();
	});
}

/** Copies the migrated database and its config into a new user folder. */
export function seedUserFolder(template: DatabaseTemplate, userFolder: string): void {
	const target = join(userFolder, '.n8n');
	mkdirSync(target, { recursive: true });
	for (const file of readdirSync(join(template.dir, '.n8n'))) {
		if (file === 'config' || file.startsWith('database.sqlite'))
			copyFileSync(join(template.dir, '.n8n', file), join(target, file));
	}
}
