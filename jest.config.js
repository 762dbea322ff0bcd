// Tests run under Node 24 (scripts/test.sh arranges it) with --experimental-vm-modules, so the ESM-only
// @kubernetes/client-node loads for real through require(esm) instead of being mocked.
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }] };
const common = { testEnvironment: 'node', transform, moduleFileExtensions: ['ts', 'js', 'json'] };
// Suites that start servers and spawn git, BuildKit or n8n: jest's 5 s default is a coin toss on a busy 2-core
// machine (a file:// clone timed out there). Suites that need more set their own.
const slow = { ...common, testTimeout: 30_000 };

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...slow, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts', '<rootDir>/test/stack/**/*.test.ts'] },
    { ...slow, displayName: 'hardening', testMatch: ['<rootDir>/test/hardening/**/*.test.ts'] },
    { ...slow, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
  ],
};
