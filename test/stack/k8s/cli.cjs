#!/usr/bin/env node
// Starts the Kubernetes API stand-in by hand and keeps it running until Ctrl-C.
//   node test/stack/k8s/cli.cjs [--registry HOST:PORT] [--username U --password P] [--scenario OUTCOME] [--run-ms N] [--port N]
//   node test/stack/k8s/cli.cjs --measure 10   (start → first authenticated API answer → stop, N times; prints the timings)
// Prints the URL, CA file, and kubeconfig files for the admin and for automation/n8n, e.g.
//   kubectl --kubeconfig <n8n kubeconfig> auth can-i create jobs
'use strict';
require('./run-ts.cjs');
const { parseArgs } = require('node:util');
const { startKubeStandIn, JOB_OUTCOMES } = require('./index.ts');

const { values } = parseArgs({
	options: {
		registry: { type: 'string' },
		username: { type: 'string' },
		password: { type: 'string' },
		scenario: { type: 'string', default: 'succeed' },
		'run-ms': { type: 'string', default: '2000' },
		port: { type: 'string', default: '0' },
		measure: { type: 'string' },
		help: { type: 'boolean', short: 'h' },
	},
});

if (values.help) {
	console.log(`usage: node test/stack/k8s/cli.cjs [--registry HOST:PORT] [--username U --password P] [--scenario ${JOB_OUTCOMES.join('|')}] [--run-ms N] [--port N]`);
	process.exit(0);
}
if (!JOB_OUTCOMES.includes(values.scenario)) {
	console.error(`--scenario must be one of ${JOB_OUTCOMES.join(', ')}`);
	process.exit(2);
}

/** Time from startKubeStandIn() to an answered authenticated API call, as a test would see it. */
async function measure(runs) {
	const { request } = require('node:https');
	const times = [];
	for (let i = 0; i < runs; i++) {
		const t0 = process.hrtime.bigint();
		const s = await startKubeStandIn();
		await new Promise((resolve, reject) => {
			const req = request(`${s.url}/apis/batch/v1/namespaces/build-system/jobs`, { ca: s.caPem, headers: { Authorization: `Bearer ${s.tokenFor('automation', 'n8n')}` } }, (res) => {
				res.resume();
				res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
			});
			req.on('error', reject);
			req.end();
		});
		times.push(Number(process.hrtime.bigint() - t0) / 1e6);
		await s.stop();
	}
	const sorted = [...times].sort((a, b) => a - b);
	const p = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
	console.log(`runs ${runs}: first ${times[0].toFixed(0)} ms, p50 ${p(0.5).toFixed(0)} ms, max ${sorted[sorted.length - 1].toFixed(0)} ms (node ${process.version})`);
}

(async () => {
	if (values.measure) return measure(Number(values.measure));
	const t0 = process.hrtime.bigint();
	const registry = values.registry ? { host: values.registry, username: values.username, password: values.password } : undefined;
	const standIn = await startKubeStandIn({ registry, port: Number(values.port) });
	const ms = Number(process.hrtime.bigint() - t0) / 1e6;
	await standIn.setScenario('default', { outcome: values.scenario, runMs: Number(values['run-ms']) });
	const admin = standIn.kubeconfigFile(standIn.adminToken, 'admin.kubeconfig');
	const n8n = standIn.kubeconfigFile(standIn.tokenFor('automation', 'n8n'), 'n8n.kubeconfig');
	console.log(`Kubernetes API stand-in (not a real cluster) started in ${ms.toFixed(0)} ms, pid ${standIn.pid}`);
	console.log(`URL:                 ${standIn.url}`);
	console.log(`CA file:             ${standIn.caFile}`);
	console.log(`kubeconfig (admin):  ${admin}`);
	console.log(`kubeconfig (n8n SA): ${n8n}`);
	console.log(`n8n SA token:        ${standIn.tokenFor('automation', 'n8n')}`);
	console.log(`Jobs default to scenario "${values.scenario}" (${values['run-ms']} ms); pushes go to ${registry ? registry.host : 'nowhere (digest derived from the Job uid)'}`);
	console.log(`Try: kubectl --kubeconfig ${n8n} auth can-i create jobs`);
	console.log('Ctrl-C stops it.');
	const stop = async () => {
		await standIn.stop();
		process.exit(0);
	};
	process.on('SIGINT', stop);
	process.on('SIGTERM', stop);
})().catch((err) => {
	console.error(err);
	process.exit(1);
});
