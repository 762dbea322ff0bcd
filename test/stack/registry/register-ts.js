'use strict';
// Lets plain `node` load this repo's TypeScript (test stack and bench scripts) without a build step or an
// extra dependency: each .ts file is transpiled on require with the project's own TypeScript compiler.
const { readFileSync } = require('node:fs');
const ts = require('typescript');

require.extensions['.ts'] = function loadTypeScript(module, filename) {
	const { outputText } = ts.transpileModule(readFileSync(filename, 'utf8'), {
		fileName: filename,
		compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, sourceMap: false },
	});
	module._compile(outputText, filename);
};
