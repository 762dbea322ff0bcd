// n8n's own community-node rules (the config n8n-node lint applies), with one stated exception:
// this package needs runtime dependencies (the Kubernetes client, yaml, undici, semver, picomatch),
// so it is an unverified community package for self-hosted n8n and `no-runtime-dependencies` is off.
import { configWithoutCloudSupport } from '@n8n/node-cli/eslint';

export default [
  { ignores: ['dist/**', 'node_modules/**', 'lib/**', 'test/**', 'bench/**', 'scripts/**', '*.js', '*.mjs'] },
  ...configWithoutCloudSupport,
  { files: ['package.json'], rules: { '@n8n/community-nodes/no-runtime-dependencies': 'off' } },
  // Defaults come from lib constants (defined once, imported by properties and execute); the rule only sees
  // literals and reports a default it cannot read as missing. Every parameter still has a default (tsc checks it).
  {
    files: ['nodes/**/*.properties.ts'],
    rules: { 'n8n-nodes-base/node-param-default-missing': 'off', 'n8n-nodes-base/node-param-default-wrong-for-boolean': 'off' },
  },
];
