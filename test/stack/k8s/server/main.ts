import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { Socket } from 'node:net';
import type { ServerConfig } from '../types';
import { ApiServer, type PersistedState } from './app';

/**
 * Entry of the stand-in's own process: `node run-ts.cjs server/main.ts <config.json>`. Loads the persisted
 * state (so a restart keeps every Job, like etcd does), listens on 127.0.0.1, prints one ready line with the
 * port on stdout, and on SIGTERM (or when the parent goes away) writes the state and exits.
 */
const config: ServerConfig = JSON.parse(readFileSync(process.argv[2], 'utf8'));

function load(): PersistedState | undefined {
	try {
		return JSON.parse(readFileSync(config.stateFile, 'utf8'));
	} catch {
		return undefined;
	}
}

function persist(state: PersistedState): void {
	const tmp = `${config.stateFile}.tmp`;
	writeFileSync(tmp, JSON.stringify(state));
	renameSync(tmp, config.stateFile);
}

const api = new ApiServer(config, persist, load());
const sockets = new Set<Socket>();
const server = createServer(
	{
		key: readFileSync(config.keyFile),
		cert: readFileSync(config.certFile),
		noDelay: true,
		keepAliveTimeout: 30_000,
	},
	(req, res) => {
		void api.handle(req, res);
	},
);
server.on('connection', (s: Socket) => {
	sockets.add(s);
	s.on('close', () => sockets.delete(s));
});
server.on('secureConnection', (s) => s.setNoDelay(true));

let stopping = false;
function stop(): void {
	if (stopping) return;
	stopping = true;
	api.shutdown();
	server.close();
	for (const s of sockets) s.destroy();
	process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// The parent holds our stdin; when it dies, so do we (no stray servers after a crashed test run).
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();

function listen(attempt: number): void {
	server.once('error', (err: NodeJS.ErrnoException) => {
		if (err.code === 'EADDRINUSE' && attempt < 40) setTimeout(() => listen(attempt + 1), 50);
		else {
			console.error(err);
			process.exit(1);
		}
	});
	server.listen(config.port, '127.0.0.1', () => {
		const address = server.address();
		const port = typeof address === 'object' && address ? address.port : 0;
		process.stdout.write(`${JSON.stringify({ ready: true, port })}\n`);
	});
}
listen(0);
