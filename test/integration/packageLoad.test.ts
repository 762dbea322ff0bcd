import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeBinary } from '../stack/k8s';
import { ensureBuilt } from '../stack/n8n/packageInstall';
import { REPO_ROOT } from '../stack/n8n/toolchain';

/**
 * n8n requires every node and credential file of an installed package in every process it starts; the
 * dependencies only one node needs, and the engines in lib/, must wait until a node runs. The bench's probe
 * (bench/load/probe.js) requires the compiled files in a fresh Node 24 process on top of n8n-workflow, then runs
 * Create BuildKit Job (dry run) and Query Registry Tags (against a loopback registry), and lists the packages and
 * the dist/lib modules in the module cache after each step; the second lists are the control that the first ones
 * would show them.
 */

const LAZY = ['@kubernetes/client-node', 'undici'];

/** What the node descriptions may load from lib/: the defaults modules and the error model nodeErrors maps. */
const loadableAtRequire = (module: string) =>
	/(^|\/)defaults\.js$/.test(module) || module === 'errors.js';

interface Probe {
	packagesAfterLoad: string[];
	packagesAfterRun: string[];
	libAfterLoad: string[];
	libAfterRun: string[];
}

let probe: Probe;

beforeAll(() => {
	ensureBuilt();
	const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
		n8n: { nodes: string[]; credentials: string[] };
	};
	const files = [...pkg.n8n.nodes, ...pkg.n8n.credentials];
	expect(files.length).toBe(10);
	const out = execFileSync(
		nodeBinary(),
		[join(REPO_ROOT, 'bench/load/probe.js'), JSON.stringify({ files, run: true })],
		{
			cwd: REPO_ROOT,
			encoding: 'utf8',
			env: { ...process.env, NODE_OPTIONS: '' },
		},
	);
	probe = JSON.parse(out.trim().split('\n').pop()!) as Probe;
}, 120_000);

test('requiring every node and credential file loads neither @kubernetes/client-node nor undici', () => {
	expect(probe.packagesAfterLoad).toContain('n8n-workflow');
	expect(probe.packagesAfterLoad.filter((name) => LAZY.includes(name))).toEqual([]);
});

test('running the nodes that need them loads them (the control: the module cache shows them)', () => {
	expect(LAZY.filter((name) => probe.packagesAfterRun.includes(name))).toEqual(LAZY);
});

test('requiring every node and credential file loads no engine from lib/, only its defaults', () => {
	expect(probe.libAfterLoad.filter((module) => !loadableAtRequire(module))).toEqual([]);
	// Not vacuous: the probe does see the lib modules the node files require.
	expect(probe.libAfterLoad).toContain('k8s/build/defaults.js');
});

test('running the nodes loads their engines (the control: the module cache shows lib modules)', () => {
	expect(probe.libAfterRun).toEqual(
		expect.arrayContaining(['k8s/build/index.js', 'k8s/kubeConfig.js', 'registry/index.js']),
	);
});
