#!/usr/bin/env node
'use strict';
// Starts a test registry from the command line and keeps it running until Ctrl-C / SIGTERM:
//   node test/stack/registry/cli.js [--auth none|htpasswd|token] [--username U] [--password P]
//                                   [--seed REPO:TAG[,TAG...]] [--tags N]
// Prints one JSON line: {host, url, auth, username, password, pid, tokenRealm}. Needs Node >= 22.19 (undici 8):
//   PATH="$(bash scripts/ensure-node24.sh):$PATH" node test/stack/registry/cli.js --auth token --seed webapp/app:1.0.0
require('../n8n/tsRequire'); // the stack's shared on-require TypeScript transpiler
const { startRegistry, pushTestImage, pushTags } = require('./index.ts');

function argument(name, fallback) {
	const i = process.argv.indexOf(`--${name}`);
	return i > 0 ? process.argv[i + 1] : fallback;
}

async function main() {
	const registry = await startRegistry({ auth: argument('auth', 'none'), username: argument('username'), password: argument('password') });
	const seed = argument('seed');
	if (seed) {
		const [repository, tagList] = seed.split(':');
		const tags = (tagList || 'latest').split(',');
		const creds = { username: registry.username, password: registry.password };
		await pushTestImage({ registry: registry.host, repository, tags, ...creds });
		const extra = Number(argument('tags', '0'));
		if (extra > 0) {
			await pushTags({ registry: registry.host, repository, fromTag: tags[0], tags: Array.from({ length: extra }, (_, i) => `0.${Math.floor(i / 100)}.${i % 100}`), ...creds });
		}
	}
	const { host, url, auth, username, password, pid } = registry;
	process.stdout.write(`${JSON.stringify({ host, url, auth, username, password, pid, tokenRealm: registry.tokenIssuer && registry.tokenIssuer.realm })}\n`);
	const stop = () => registry.stop().then(() => process.exit(0));
	process.on('SIGINT', stop);
	process.on('SIGTERM', stop);
}

main().catch((error) => {
	process.stderr.write(`${error.stack || error}\n`);
	process.exit(1);
});
