import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inspect } from 'node:util';
import type {
	ICredentialDataDecryptedObject,
	ICredentialTestFunctions,
	ICredentialsDecrypted,
	IExecuteFunctions,
	INode,
	INodeExecutionData,
} from 'n8n-workflow';

/**
 * The hardening suites' bench: a hand-made IExecuteFunctions (only what the nodes call), a capture of
 * everything a call can let out (items, the thrown error with every nested field, stdout/stderr/console,
 * the logger), canary search in all the forms a secret travels in, and the counts file each suite writes.
 */

export const REPO_ROOT = resolve(__dirname, '../..');
export const COUNTS_DIR = join(REPO_ROOT, 'test/.tmp/hardening-counts');

export type Params = Record<string, unknown>;

export interface ContextOptions {
	/** Node parameters; a function gets (name, itemIndex) for per-item values. */
	params: Params | ((name: string, itemIndex: number) => unknown);
	/** Credentials by type name; a missing type makes getCredentials throw, as n8n does. */
	credentials?: Record<string, object>;
	items?: number;
	continueOnFail?: boolean;
	signal?: AbortSignal;
	/** Collects what the node logs through this.logger. */
	logs?: string[];
	nodeType?: string;
}

export function testNode(type = 'n8n-nodes-buildkit.node'): INode {
	return {
		id: 'hardening-node',
		name: 'Hardening Node',
		type,
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
	};
}

function captureLogger(logs: string[]) {
	const log = (level: string) => (message: string, meta?: object) =>
		logs.push(`${level} ${message} ${meta ? inspect(meta, { depth: 8 }) : ''}`);
	return {
		debug: log('debug'),
		info: log('info'),
		warn: log('warn'),
		error: log('error'),
		verbose: log('verbose'),
	};
}

/** The parts of IExecuteFunctions the nodes of this package use. */
export function executeContext(opts: ContextOptions): IExecuteFunctions {
	// As in n8n, the node names the credentials selected on it (nodes tell "none selected" from "unreadable").
	const selected = Object.keys(opts.credentials ?? {}).map((type) => [
		type,
		{ id: `${type}-1`, name: type },
	]);
	const node: INode = { ...testNode(opts.nodeType), credentials: Object.fromEntries(selected) };
	const param = (name: string, itemIndex: number, fallback?: unknown): unknown => {
		const value =
			typeof opts.params === 'function' ? opts.params(name, itemIndex) : opts.params[name];
		if (value !== undefined) return value;
		if (fallback !== undefined) return fallback;
		throw new Error(`Could not get parameter "${name}"`);
	};
	const context = {
		getInputData: () => Array.from({ length: opts.items ?? 1 }, (_, i) => ({ json: { i } })),
		getNodeParameter: param,
		getCredentials: async (type: string) => {
			const cred = opts.credentials?.[type];
			if (!cred) throw new Error(`Node does not have any credentials set for "${type}"`);
			return { ...cred } as ICredentialDataDecryptedObject;
		},
		getNode: () => node,
		continueOnFail: () => opts.continueOnFail === true,
		getExecutionCancelSignal: () => opts.signal,
		logger: captureLogger(opts.logs ?? []),
	};
	return context as unknown as IExecuteFunctions;
}

export function credentialTestContext(logs: string[] = []): ICredentialTestFunctions {
	return { logger: captureLogger(logs), helpers: {} } as unknown as ICredentialTestFunctions;
}

export function decrypted(type: string, data: object): ICredentialsDecrypted {
	return {
		id: 'cred-1',
		name: `${type} (hardening)`,
		type,
		data: data as ICredentialDataDecryptedObject,
	};
}

/**
 * Every field reachable from a value, own non-enumerable ones too (an Error's message, stack, cause,
 * description, context...), with cycles cut: what any logger, serializer or UI could show of it.
 */
export function exposeAll(value: unknown): string {
	const seen = new Set<unknown>();
	const parts: string[] = [];
	const walk = (v: unknown, depth: number): void => {
		if (v === null || v === undefined || depth > 12) return;
		if (typeof v === 'string') {
			parts.push(v);
			return;
		}
		if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') {
			parts.push(String(v));
			return;
		}
		if (typeof v === 'function') return;
		if (typeof v !== 'object' || seen.has(v)) return;
		seen.add(v);
		if (Buffer.isBuffer(v) || v instanceof Uint8Array) {
			parts.push(Buffer.from(v as Uint8Array).toString('utf8'));
			return;
		}
		if (v instanceof Map) {
			for (const [k, x] of v) {
				walk(k, depth + 1);
				walk(x, depth + 1);
			}
			return;
		}
		if (v instanceof Set) {
			for (const x of v) walk(x, depth + 1);
			return;
		}
		for (const key of Object.getOwnPropertyNames(v)) {
			parts.push(key);
			let x: unknown;
			try {
				x = (v as Record<string, unknown>)[key];
			} catch {
				continue;
			}
			walk(x, depth + 1);
		}
	};
	walk(value, 0);
	let json = '';
	try {
		json = JSON.stringify(value) ?? '';
	} catch {
		json = '';
	}
	return [json, inspect(value, { depth: 12, showHidden: false }), ...parts].join('\n');
}

/** What one call let out. */
export interface Capture<T> {
	value?: T;
	error?: unknown;
	/** stdout, stderr and console output written while the call ran (this process). */
	written: string;
	/** Everything above plus the value and the error, fully exposed: the text canaries are searched in. */
	everything: string;
}

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;

/** Runs `fn`, recording what it writes to stdout/stderr/console; never rethrows. Calls must not overlap. */
export async function capture<T>(
	fn: () => Promise<T>,
	extra: () => unknown = () => undefined,
): Promise<Capture<T>> {
	const chunks: string[] = [];
	const out = process.stdout.write.bind(process.stdout);
	const err = process.stderr.write.bind(process.stderr);
	const saved = CONSOLE_METHODS.map((m) => console[m]);
	const record = (chunk: unknown): boolean => {
		chunks.push(
			typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'),
		);
		return true;
	};
	process.stdout.write = record as typeof process.stdout.write;
	process.stderr.write = record as typeof process.stderr.write;
	for (const m of CONSOLE_METHODS)
		console[m] = (...args: unknown[]) =>
			void chunks.push(
				args.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: 8 }))).join(' '),
			);
	let result: Pick<Capture<T>, 'value' | 'error'>;
	try {
		result = { value: await fn() };
	} catch (error) {
		result = { error };
	} finally {
		process.stdout.write = out;
		process.stderr.write = err;
		CONSOLE_METHODS.forEach((m, i) => (console[m] = saved[i] as never));
	}
	const written = chunks.join('');
	return {
		...result,
		written,
		everything: [
			written,
			exposeAll(result.value),
			exposeAll(result.error),
			exposeAll(extra()),
		].join('\n'),
	};
}

/** The forms a secret travels in: as is, base64 (alone and as Basic user:secret), base64url, URL- and JSON-encoded. */
export function canaryForms(secret: string, username?: string): string[] {
	const forms = new Set([
		secret,
		Buffer.from(secret).toString('base64'),
		Buffer.from(secret).toString('base64url'),
		encodeURIComponent(secret),
		JSON.stringify(secret).slice(1, -1),
	]);
	if (username !== undefined) {
		forms.add(Buffer.from(`${username}:${secret}`).toString('base64'));
		forms.add(Buffer.from(`${username}:${secret}`).toString('base64url'));
	}
	// base64 of a secret inside a longer string shifts with its offset; the secret's middle survives at one of
	// three alignments, so also look for each alignment's stable core.
	for (let shift = 0; shift < 3; shift++) {
		const b64 = Buffer.from(`${'x'.repeat(shift)}${secret}`).toString('base64');
		forms.add(shift === 0 ? b64.slice(0, -4) : b64.slice(4, -4));
	}
	return [...forms].filter((f) => f.length >= 8);
}

/** Which canaries (by label) appear in `text` in any form. */
export function leakedCanaries(
	text: string,
	canaries: Record<string, { secret: string; username?: string }>,
): string[] {
	return Object.entries(canaries)
		.filter(([, c]) => canaryForms(c.secret, c.username).some((form) => text.includes(form)))
		.map(([label]) => label);
}

export function writeCounts(suite: string, counts: Record<string, unknown>): void {
	mkdirSync(COUNTS_DIR, { recursive: true });
	writeFileSync(
		join(COUNTS_DIR, `${suite}.json`),
		`${JSON.stringify({ suite, ...counts, writtenAt: new Date().toISOString() }, null, 2)}\n`,
	);
	// Printed on purpose: CI logs and README quote these.
	console.log(`[hardening:${suite}] ${JSON.stringify(counts)}`);
}

/** Flattens a node's output to its items. */
export function outputItems(value: unknown): INodeExecutionData[] {
	return Array.isArray(value) ? (value as INodeExecutionData[][]).flat() : [];
}

/** A TCP port on 127.0.0.1 that nothing listens on (bound, then closed). */
export async function closedPort(): Promise<number> {
	const { createServer } = await import('node:net');
	const server = createServer();
	await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
	const port = (server.address() as { port: number }).port;
	await new Promise<void>((done) => server.close(() => done()));
	return port;
}
