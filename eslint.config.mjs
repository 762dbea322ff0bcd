// Two rule sets, one per side of the design:
// - nodes/ and credentials/ (the n8n adapters) get n8n's own community-node rules, the config `n8n-node lint`
//   applies, with one stated exception: this package needs runtime dependencies (the Kubernetes client, yaml,
//   undici, semver, picomatch), so it is an unverified community package for self-hosted n8n and
//   `no-runtime-dependencies` is off.
// - lib/ (the engine), test/ and bench/ get ESLint's and typescript-eslint's recommended rules, and lib/ may not
//   import n8n: the engine knows nothing of n8n, the nodes adapt it.
import js from '@eslint/js';
import { configWithoutCloudSupport } from '@n8n/node-cli/eslint';
import tseslint from 'typescript-eslint';

const adapterFiles = ['nodes/**/*.ts', 'credentials/**/*.ts'];
const engineFiles = ['lib/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'];

// n8n's config aims its TypeScript blocks at every .ts file; aim them at the adapters only.
const n8nAdapterConfig = configWithoutCloudSupport.map((block) =>
	block.files?.length === 1 && block.files[0] === '**/*.ts' ? { ...block, files: adapterFiles } : block,
);

export default [
	{ ignores: ['dist/**', 'node_modules/**', '**/*.js', '**/*.mjs'] },
	...n8nAdapterConfig,
	{ files: ['package.json'], rules: { '@n8n/community-nodes/no-runtime-dependencies': 'off' } },
	// Defaults come from lib constants (defined once, imported by properties and execute); the rule only sees
	// literals and reports a default it cannot read as missing. Every parameter still has a default (tsc checks it).
	{
		files: ['nodes/**/*.properties.ts'],
		rules: { 'n8n-nodes-base/node-param-default-missing': 'off', 'n8n-nodes-base/node-param-default-wrong-for-boolean': 'off' },
	},
	// n8n requires every node and credential file in every process it starts: an engine is loaded on first use
	// (`await import()` in execute, webhook or a credential test), so the adapters import only its types, its
	// defaults module and the error model at the top (docs/development/package-load.md).
	{
		files: adapterFiles,
		rules: {
			'@typescript-eslint/no-restricted-imports': [
				'error',
				{
					patterns: [
						{
							regex: '^(\\.\\./)+lib/(?!(.+/)?defaults$|errors$)',
							allowTypeImports: true,
							message:
								'Engines load on first use: import their types here and the engine with `await import()` where it runs.',
						},
					],
				},
			],
		},
	},
	// Not type-aware: the type-checked set took 52 s over the tree on 2 cores (this set takes about 15 s).
	...tseslint.config({ files: engineFiles, extends: [js.configs.recommended, tseslint.configs.recommended] }),
	{
		files: engineFiles,
		rules: {
			// `const { secret: _secret, ...rest } = x` is how a field is left out of a copy.
			'@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
		},
	},
	{
		files: ['lib/**/*.ts'],
		rules: {
			// Loaded on first use, synchronously: n8n loads every node in every process it starts, and only some
			// nodes need these (the Kubernetes client is ESM, loaded through require(esm)).
			'@typescript-eslint/no-require-imports': [
				'error',
				{ allow: ['^@kubernetes/client-node$', '^undici$', '^yaml$', '^\\./edits$'] },
			],
			'@typescript-eslint/no-restricted-imports': [
				'error',
				{
					patterns: [
						{
							regex: '^(n8n-|@n8n/)',
							message: 'lib/ is the engine and never imports n8n; adapt it in nodes/ instead.',
						},
					],
				},
			],
		},
	},
	{
		files: ['test/**/*.ts', 'bench/**/*.ts'],
		rules: {
			// The Kubernetes stand-in, the test doubles and the assertions on API replies handle arbitrary JSON
			// (any Kubernetes object, any webhook payload); `any` is the honest type there. The engine gets no such pass.
			'@typescript-eslint/no-explicit-any': 'off',
		},
	},
];
