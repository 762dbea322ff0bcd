// Lets plain `node` run this benchmark's TypeScript (transpile only, like ts-jest's isolatedModules),
// so the bench needs no extra dependency: node bench/gitops/run.js
'use strict';
const { readFileSync } = require('node:fs');
const ts = require('typescript');

require.extensions['.ts'] = function compileTypeScript(module, filename) {
	const { outputText } = ts.transpileModule(readFileSync(filename, 'utf8'), {
		compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, sourceMap: false },
		fileName: filename,
	});
	module._compile(outputText, filename);
};
