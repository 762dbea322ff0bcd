#!/usr/bin/env node
// Starts the local n8n by hand, with this package installed from a fresh `npm pack`:
//   node test/stack/n8n/cli.js [--workflow file.json ...] [--credentials creds.json] [--activate id,id] [--password pw]
// Prints the URL and the owner login, then runs until Ctrl-C, which stops n8n (by process group) and removes
// its temporary user folder. Run it with Node 24 first on PATH: PATH="$(bash scripts/ensure-node24.sh):$PATH".
require('./tsRequire');
const { readFileSync } = require('node:fs');
const { startN8n } = require('./index.ts');

function parseArgs(argv) {
	const opts = { workflows: [], credentials: [], activate: [] };
	for (let i = 0; i < argv.length; i++) {
		const value = argv[i + 1];
		switch (argv[i]) {
			case '--workflow':
				opts.workflows.push(JSON.parse(readFileSync(value, 'utf8')));
				i++;
				break;
			case '--credentials':
				opts.credentials.push(...JSON.parse(readFileSync(value, 'utf8')));
				i++;
				break;
			case '--activate':
				opts.activate.push(...value.split(',').filter(Boolean));
				i++;
				break;
			case '--password':
				opts.ownerPassword = value;
				i++;
				break;
			default:
				throw new Error(`unknown argument ${argv[i]}`);
		}
	}
	return opts;
}

async function main() {
	const n8n = await startN8n(parseArgs(process.argv.slice(2)));
	console.log(JSON.stringify({ url: n8n.url, email: n8n.owner.email, password: n8n.owner.password, pid: n8n.pid, log: n8n.logFile }, null, 2));
	console.log('n8n is running; Ctrl-C stops it.');
	const shutdown = async () => {
		await n8n.stop();
		process.exit(0);
	};
	process.on('SIGINT', shutdown);
	process.on('SIGTERM', shutdown);
}

main().catch((error) => {
	console.error(error.message ?? error);
	process.exit(1);
});
