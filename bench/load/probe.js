// One measurement in a fresh Node process: what requiring this package's compiled node and credential files
// costs on top of n8n-workflow (as inside n8n), then what running the nodes that load a dependency on first use
// adds. Prints one JSON line. Plain JavaScript on purpose: a TypeScript loader would be part of what it measures.
//
//   node bench/load/probe.js '{"files":["dist/nodes/.../X.node.js"],"run":true,"eager":false}'
//
// files: paths relative to the repository root, required in order; run: then run Create BuildKit Job (dry run)
// and Query Registry Tags (against a loopback registry on this process); eager: first require the dependencies
// the package loads on first use, which is what every n8n process paid before they were deferred; workflow: false
// skips n8n-workflow (the bare process, for instruction counts).
'use strict';
const { createServer } = require('node:http');
const { join, resolve } = require('node:path');

const ROOT = resolve(__dirname, '../..');
const opts = JSON.parse(process.argv[2] ?? '{}');
const mib = (bytes) => bytes / 2 ** 20;
// CPU time beside wall time: on a shared, busy machine wall time mostly measures the wait for a core.
const sample = () => ({
	at: performance.now(),
	cpu: process.cpuUsage(),
	rss: process.memoryUsage().rss,
});
const since = (from) => {
	const now = sample();
	const cpuMs = (now.cpu.user - from.cpu.user + now.cpu.system - from.cpu.system) / 1000;
	return { ms: now.at - from.at, cpuMs, rssMiB: mib(now.rss - from.rss) };
};

/** Packages of this repository's node_modules in the module cache (ESM loaded through require(esm) included). */
function loadedPackages() {
	const names = new Set();
	for (const file of Object.keys(require.cache)) {
		const at = file.lastIndexOf('/node_modules/');
		if (at < 0 || !file.startsWith(ROOT)) continue;
		const parts = file.slice(at + '/node_modules/'.length).split('/');
		names.add(parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]);
	}
	return [...names].sort();
}

/** The package's own lib modules in the module cache, relative to dist/lib (e.g. `k8s/build/index.js`). */
function loadedLibModules() {
	const lib = join(ROOT, 'dist/lib/');
	return Object.keys(require.cache)
		.filter((file) => file.startsWith(lib))
		.map((file) => file.slice(lib.length))
		.sort();
}

function context(params, credentials) {
	const node = {
		id: 'probe',
		name: 'Probe',
		type: 'probe',
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
		credentials: Object.fromEntries(
			Object.keys(credentials).map((type) => [type, { id: type, name: type }]),
		),
	};
	const noop = () => undefined;
	return {
		getInputData: () => [{ json: {} }],
		getNodeParameter: (name, _i, fallback) =>
			params[name] !== undefined ? params[name] : fallback,
		getCredentials: async (type) => credentials[type],
		getNode: () => node,
		continueOnFail: () => false,
		getExecutionCancelSignal: () => undefined,
		logger: { debug: noop, info: noop, warn: noop, error: noop, verbose: noop },
	};
}

/** A registry that lists one repository's tags: enough for Query Registry Tags to run to its result. */
async function loopbackRegistry() {
	const server = createServer((req, res) => {
		res.setHeader('content-type', 'application/json');
		res.setHeader('docker-distribution-api-version', 'registry/2.0');
		res.end(
			req.url.startsWith('/v2/app/tags/list')
				? JSON.stringify({ name: 'app', tags: ['1.0.0', '1.1.0'] })
				: '{}',
		);
	});
	await new Promise((done) => server.listen(0, '127.0.0.1', done));
	return {
		host: `127.0.0.1:${server.address().port}`,
		close: () => new Promise((done) => server.close(done)),
	};
}

async function runNodes() {
	const { CreateBuildKitJob } = require(
		join(ROOT, 'dist/nodes/CreateBuildKitJob/CreateBuildKitJob.node.js'),
	);
	const { QueryRegistryTags } = require(
		join(ROOT, 'dist/nodes/QueryRegistryTags/QueryRegistryTags.node.js'),
	);
	const create = await new CreateBuildKitJob().execute.call(
		context(
			{
				namespace: 'build-system',
				appName: 'webapp',
				gitRepositoryUrl: 'https://git.example.test/org/webapp.git',
				gitRevision: 'main',
				contextPath: '',
				dockerfile: 'Dockerfile',
				image: '127.0.0.1:5000/webapp/app:1.2.3',
				options: { dryRun: true },
			},
			{
				kubernetesApi: {
					authentication: 'token',
					server: 'https://127.0.0.1:6443',
					token: 'probe-token',
					namespace: 'build-system',
				},
			},
		),
	);
	if (create[0][0].json.manifest?.kind !== 'Job')
		throw new Error('Create BuildKit Job (dry run) gave no manifest');
	const registry = await loopbackRegistry();
	try {
		const query = await new QueryRegistryTags().execute.call(
			context(
				{
					repository: `${registry.host}/app`,
					policy: 'semver',
					semverRange: '*',
					exclude: '',
					options: {},
				},
				{ containerRegistryApi: { registry: registry.host, plainHttp: true } },
			),
		);
		if (query[0][0].json.latestTag !== '1.1.0')
			throw new Error(`Query Registry Tags gave ${JSON.stringify(query[0][0].json)}`);
	} finally {
		await registry.close();
		await require(join(ROOT, 'dist/lib/registry')).closeRegistryConnections();
	}
}

async function main() {
	const start = sample();
	if (opts.workflow !== false) require(require.resolve('n8n-workflow', { paths: [ROOT] }));
	const workflow = since(start);
	const base = sample();
	if (opts.eager) {
		require(require.resolve('@kubernetes/client-node', { paths: [ROOT] }));
		require(require.resolve('undici', { paths: [ROOT] }));
	}
	for (const file of opts.files ?? []) require(join(ROOT, file));
	const load = since(base);
	const packagesAfterLoad = loadedPackages();
	const libAfterLoad = loadedLibModules();
	let run;
	if (opts.run) {
		const before = sample();
		await runNodes();
		run = since(before);
		run.totalRssMiB = mib(process.memoryUsage().rss - base.rss);
	}
	process.stdout.write(
		`${JSON.stringify({ workflow, load, run, packagesAfterLoad, packagesAfterRun: opts.run ? loadedPackages() : undefined, libAfterLoad, libAfterRun: opts.run ? loadedLibModules() : undefined })}\n`,
	);
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
