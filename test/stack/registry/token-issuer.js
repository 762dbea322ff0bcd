#!/usr/bin/env node
'use strict';
// The test stack's bearer-token issuer (distribution's token auth spec), run as its own process so that a
// caller blocking its event loop (execFileSync skopeo ...) cannot starve it. It checks Basic credentials and
// answers {token, access_token, expires_in, issued_at} with an RS256 JWT whose header carries the signing
// certificate in x5c, which is how distribution 2.8 finds the key in its rootcertbundle.
// Configuration (env): TOKEN_KEY_FILE, TOKEN_CERT_FILE, TOKEN_ISSUER, TOKEN_SERVICE, TOKEN_USERNAME,
// TOKEN_PASSWORD, TOKEN_EXPIRES_IN (seconds, default 300). Prints "listening <port>" once bound to 127.0.0.1.
const { createServer } = require('node:http');
const { readFileSync } = require('node:fs');
const { X509Certificate, createPrivateKey, randomUUID, sign, timingSafeEqual } = require('node:crypto');

const key = createPrivateKey(readFileSync(process.env.TOKEN_KEY_FILE));
const certDer = new X509Certificate(readFileSync(process.env.TOKEN_CERT_FILE)).raw.toString('base64');
const issuer = process.env.TOKEN_ISSUER;
const service = process.env.TOKEN_SERVICE;
const expiresIn = Number(process.env.TOKEN_EXPIRES_IN || 300);
const expected = Buffer.from(`${process.env.TOKEN_USERNAME}:${process.env.TOKEN_PASSWORD}`);
const stats = { requests: 0, issued: 0, refused: 0 };

const b64url = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

function credentialsOf(req) {
	const header = req.headers.authorization || '';
	if (!/^Basic /i.test(header)) return undefined;
	return Buffer.from(header.slice(6), 'base64');
}

function sameSecret(given) {
	return given.length === expected.length && timingSafeEqual(given, expected);
}

// Grants what was asked for on repositories; `registry:catalog:*` too. An anonymous caller gets no access,
// as on a private registry, so distribution answers its own 401 insufficient_scope.
function accessFor(scopes, authenticated) {
	if (!authenticated) return [];
	return scopes
		.map((scope) => {
			const [type, ...rest] = scope.split(':');
			const actions = rest.pop();
			return { type, name: rest.join(':'), actions: (actions || '').split(',').filter(Boolean) };
		})
		.filter((a) => a.type === 'repository' || a.type === 'registry');
}

const server = createServer((req, res) => {
	stats.requests++;
	const url = new URL(req.url, 'http://127.0.0.1');
	if (url.pathname === '/_stats') {
		res.setHeader('content-type', 'application/json');
		res.end(JSON.stringify(stats));
		return;
	}
	if (url.pathname !== '/token') {
		res.statusCode = 404;
		res.end();
		return;
	}
	const given = credentialsOf(req);
	if (given && !sameSecret(given)) {
		stats.refused++;
		res.statusCode = 401;
		res.setHeader('content-type', 'application/json');
		res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] }));
		return;
	}
	const now = Math.floor(Date.now() / 1000);
	const claims = {
		iss: issuer,
		sub: given ? process.env.TOKEN_USERNAME : '',
		aud: url.searchParams.get('service') || service,
		exp: now + expiresIn,
		nbf: now - 5,
		iat: now,
		jti: randomUUID(),
		access: accessFor(url.searchParams.getAll('scope').flatMap((s) => s.split(' ')), Boolean(given)),
	};
	const signingInput = `${b64url({ alg: 'RS256', typ: 'JWT', x5c: [certDer] })}.${b64url(claims)}`;
	const token = `${signingInput}.${sign('sha256', Buffer.from(signingInput), key).toString('base64url')}`;
	stats.issued++;
	res.setHeader('content-type', 'application/json');
	res.end(JSON.stringify({ token, access_token: token, expires_in: expiresIn, issued_at: new Date(now * 1000).toISOString() }));
});

server.listen(Number(process.env.TOKEN_PORT || 0), '127.0.0.1', () => {
	process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
