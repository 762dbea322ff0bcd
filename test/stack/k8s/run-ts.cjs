// Runs a TypeScript entry file in a plain Node process (the stand-in's server, its CLI): .ts files are
// transpiled with the repo's own TypeScript on first require and cached by content hash, so restarts are fast.
// Usage: node run-ts.cjs <entry.ts> [args...]
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');
const crypto = require('node:crypto');
const Module = require('node:module');

const repoRoot = path.resolve(__dirname, '../../..');
const cacheDir = path.join(os.tmpdir(), 'n8n-nodes-buildkit-ts-cache');
let ts;

function transpile(source, filename) {
	ts = ts || require(require.resolve('typescript', { paths: [repoRoot] }));
	return ts.transpileModule(source, {
		fileName: filename,
		compilerOptions: {
			module: ts.ModuleKind.CommonJS,
			target: ts.ScriptTarget.ES2022,
			esModuleInterop: true,
			inlineSourceMap: true,
			inlineSources: false,
		},
	}).outputText;
}

Module._extensions['.ts'] = function compileTypeScript(module, filename) {
	const source = fs.readFileSync(filename, 'utf8');
	const key = crypto.createHash('sha1').update(process.version).update(filename).update('\0').update(source).digest('hex');
	const cached = path.join(cacheDir, `${key}.js`);
	let output;
	try {
		output = fs.readFileSync(cached, 'utf8');
	} catch {
		output = transpile(source, filename);
		fs.mkdirSync(cacheDir, { recursive: true });
		const tmp = `${cached}.${process.pid}.tmp`;
		fs.writeFileSync(tmp, output);
		fs.renameSync(tmp, cached);
	}
	module._compile(output, filename);
};

if (require.main === module) {
	const entry = process.argv[2];
	if (!entry) {
		console.error('usage: node run-ts.cjs <entry.ts> [args...]');
		process.exit(2);
	}
	process.argv.splice(1, 2, path.resolve(entry));
	require(path.resolve(entry));
}
