#!/usr/bin/env node
// Smart-HTTP git server for the test stack: a loopback Node HTTP server that hands every request to the real
// `git http-backend` CGI. Runs as its own process so tests stop it by PID, and doubles as the command line
// entry point:
//   node test/stack/git/http-server.js --root /tmp/repos [--username u --password p] [--port 0]
// Prints one JSON line {"url","port","pid"} on stdout once listening.
'use strict';
const http = require('node:http');
const { spawn } = require('node:child_process');

function parseArgs(argv) {
	const args = {};
	for (let i = 0; i < argv.length; i += 2) args[argv[i].replace(/^--/, '')] = argv[i + 1];
	return args;
}

const args = parseArgs(process.argv.slice(2));
if (!args.root) {
	process.stderr.write('usage: http-server.js --root <dir of bare repos> [--username u --password p] [--port n]\n');
	process.exit(2);
}
const expectedAuth =
	args.username !== undefined ? 'Basic ' + Buffer.from(`${args.username}:${args.password ?? ''}`).toString('base64') : undefined;

function authorised(req) {
	if (!expectedAuth) return true;
	return req.headers.authorization === expectedAuth;
}

// The CGI environment git http-backend reads; only what it needs, so the server's own GIT_* never leak in.
function cgiEnvironment(req, url) {
	const env = {
		PATH: process.env.PATH,
		HOME: process.env.HOME,
		GIT_PROJECT_ROOT: args.root,
		GIT_HTTP_EXPORT_ALL: '1',
		GIT_HTTP_MAX_REQUEST_BUFFER: '100M',
		PATH_INFO: decodeURIComponent(url.pathname),
		QUERY_STRING: url.search.replace(/^\?/, ''),
		REQUEST_METHOD: req.method,
		REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
		SERVER_PROTOCOL: 'HTTP/1.1',
	};
	if (req.headers['content-type']) env.CONTENT_TYPE = req.headers['content-type'];
	if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
	if (req.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = req.headers['content-encoding'];
	if (req.headers['git-protocol']) env.GIT_PROTOCOL = req.headers['git-protocol'];
	if (expectedAuth) env.REMOTE_USER = args.username;
	return env;
}

// Splits the CGI response into headers and body and relays both; `Status:` becomes the HTTP status.
function relayCgiOutput(child, res) {
	let head = Buffer.alloc(0);
	let headersSent = false;
	child.stdout.on('data', (chunk) => {
		if (headersSent) return void res.write(chunk);
		head = Buffer.concat([head, chunk]);
		const crlf = head.indexOf('\r\n\r\n');
		const lf = head.indexOf('\n\n');
		const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf : lf;
		if (end < 0) return;
		const separator = end === crlf ? 4 : 2;
		let status = 200;
		for (const line of head.subarray(0, end).toString('latin1').split(/\r?\n/)) {
			const colon = line.indexOf(':');
			if (colon < 0) continue;
			const name = line.slice(0, colon).trim();
			const value = line.slice(colon + 1).trim();
			if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
			else res.setHeader(name, value);
		}
		res.writeHead(status);
		headersSent = true;
		res.write(head.subarray(end + separator));
	});
	child.stdout.on('end', () => {
		if (!headersSent) res.writeHead(502);
		res.end();
	});
}

const server = http.createServer((req, res) => {
	if (!authorised(req)) {
		res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"', 'Content-Type': 'text/plain' });
		return void res.end('authentication required\n');
	}
	const url = new URL(req.url, 'http://127.0.0.1');
	const child = spawn('git', ['http-backend'], { env: cgiEnvironment(req, url), stdio: ['pipe', 'pipe', 'pipe'] });
	let stderr = '';
	child.stderr.on('data', (d) => (stderr += d));
	child.on('error', (err) => {
		if (!res.headersSent) res.writeHead(500);
		res.end(String(err));
	});
	child.on('close', (code) => {
		if (code !== 0 && stderr) process.stderr.write(`git http-backend ${req.method} ${url.pathname}: ${stderr}\n`);
	});
	child.stdin.on('error', () => undefined);
	req.pipe(child.stdin);
	relayCgiOutput(child, res);
});

server.keepAliveTimeout = 1000;
server.listen(Number(args.port ?? 0), '127.0.0.1', () => {
	const { port } = server.address();
	process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${port}`, port, pid: process.pid }) + '\n');
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)) && setTimeout(() => process.exit(0), 500).unref());
