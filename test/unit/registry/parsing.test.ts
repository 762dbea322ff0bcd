import {
	parseNextLink,
	parseRepository,
	parseWwwAuthenticate,
	platformsOfIndex,
	hasPlatform,
	provenanceSourceOf,
	redact,
} from '../../../lib/registry';
import { parseRetryAfter, isRetryableStatus } from '../../../lib/registry/retry';

describe('WWW-Authenticate', () => {
	it('reads a Bearer challenge whose scope holds commas and colons', () => {
		const [c] = parseWwwAuthenticate(
			'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:org/app:pull,push"',
		);
		expect(c).toEqual({
			scheme: 'bearer',
			params: {
				realm: 'https://auth.example/token',
				service: 'registry.example',
				scope: 'repository:org/app:pull,push',
			},
		});
	});

	it('reads Basic, unquoted values, escapes, and several challenges in one header', () => {
		const challenges = parseWwwAuthenticate(
			'Basic realm="a \\"quoted\\" realm", Bearer realm=https://t.example/token , service=svc, error="insufficient_scope"',
		);
		expect(challenges).toEqual([
			{ scheme: 'basic', params: { realm: 'a "quoted" realm' } },
			{
				scheme: 'bearer',
				params: { realm: 'https://t.example/token', service: 'svc', error: 'insufficient_scope' },
			},
		]);
		expect(
			parseWwwAuthenticate(['Basic realm="x"', 'Bearer realm="y"']).map((c) => c.scheme),
		).toEqual(['basic', 'bearer']);
		expect(parseWwwAuthenticate(undefined)).toEqual([]);
	});
});

describe('Link rel="next"', () => {
	const from = 'https://registry.example:5000/v2/app/tags/list?n=1000';
	it('resolves a path-only link against the request', () => {
		expect(parseNextLink('</v2/app/tags/list?n=1000&last=b>; rel="next"', from)?.toString()).toBe(
			'https://registry.example:5000/v2/app/tags/list?n=1000&last=b',
		);
	});
	it('resolves a relative link and picks next among several relations', () => {
		expect(
			parseNextLink('<list?page=1>; rel="prev", <list?page=3>; rel="last next"', from)?.toString(),
		).toBe('https://registry.example:5000/v2/app/tags/list?page=3');
	});
	it('keeps an absolute link and ignores headers without next', () => {
		expect(
			parseNextLink(
				'<https://other.example/v2/app/tags/list?next_page=abc,def>; rel=next',
				from,
			)?.toString(),
		).toBe('https://other.example/v2/app/tags/list?next_page=abc,def');
		expect(parseNextLink('<x>; rel="prev"', from)).toBeUndefined();
		expect(parseNextLink(undefined, from)).toBeUndefined();
	});
});

describe('repository names', () => {
	it.each([
		['nginx', 'docker.io', 'registry-1.docker.io', 'library/nginx'],
		['org/app', 'docker.io', 'registry-1.docker.io', 'org/app'],
		['docker.io/nginx', 'docker.io', 'registry-1.docker.io', 'library/nginx'],
		['ghcr.io/org/app', 'ghcr.io', 'ghcr.io', 'org/app'],
		['registry.local:5000/webapp/app', 'registry.local:5000', 'registry.local:5000', 'webapp/app'],
		['localhost/app', 'localhost', 'localhost', 'app'],
		['127.0.0.1:5000/a/b/c', '127.0.0.1:5000', '127.0.0.1:5000', 'a/b/c'],
		// Docker's rule, as image references read it: a first component with upper-case letters is a host.
		['Registry/app', 'Registry', 'registry', 'app'],
		['[::1]:5000/app', '[::1]:5000', '[::1]:5000', 'app'],
	])('%s', (input, registry, apiHost, path) => {
		expect(parseRepository(input)).toMatchObject({ registry, apiHost, path });
	});
	it('takes http:// as plain HTTP and refuses tags, digests and bad names', () => {
		expect(parseRepository('http://registry.local:5000/app')).toMatchObject({
			plainHttp: true,
			path: 'app',
		});
		// User info is refused without echoing it; a digest is still told apart (and refused as a tag/digest).
		for (const input of [
			'http://bob:s3cr3t-pw@registry.local/app',
			'bob:s3cr3t-pw@registry.local:5000/app',
			'tok3n-s3cr3t@ghcr.io/org/app',
			'bob:s3cr3t-pw@registry.local',
		]) {
			expect(() => parseRepository(input)).toThrow('must not contain a user name or password');
			try {
				parseRepository(input);
			} catch (e) {
				expect((e as Error).message).not.toContain('s3cr3t');
			}
		}
		expect(() => parseRepository(`nginx@sha256:${'a'.repeat(64)}`)).toThrow(
			/includes a tag or digest/,
		);
		expect(() => parseRepository('nginx:1.25')).toThrow(
			/includes a tag or digest: give the repository only \(e\.g\. nginx\)/,
		);
		expect(() => parseRepository('ghcr.io/org/app@sha256:abc')).toThrow(/tag or digest/);
		expect(() => parseRepository('ghcr.io/Org/App')).toThrow(/"Org" must be lowercase/);
		expect(() => parseRepository('  ')).toThrow(/empty/);
	});
	it('reads names with the grammar of image references', () => {
		expect(() => parseRepository('my_registry.local/app')).toThrow(
			/"my_registry.local" is not a registry host/,
		);
		expect(() => parseRepository('a..b:5000/app')).toThrow(/is not a registry host/);
		expect(() => parseRepository(`${'a'.repeat(250)}/${'b'.repeat(10)}`)).toThrow(
			/longer than 255/,
		);
		expect(() => parseRepository('org/ap\u0085p')).toThrow(/must be lowercase/);
		try {
			parseRepository('org/ap\u0085p');
		} catch (e) {
			expect((e as Error).message).not.toMatch(/\p{Cc}/u);
		}
	});
});

describe('retries', () => {
	it('reads Retry-After as seconds or as an HTTP date', () => {
		expect(parseRetryAfter('3')).toBe(3000);
		expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
		expect(parseRetryAfter('soon')).toBeUndefined();
		expect([408, 429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
		expect([400, 401, 403, 404, 413].some(isRetryableStatus)).toBe(false);
	});
});

describe('platforms and attestations of an index', () => {
	const index = {
		manifests: [
			{ digest: 'sha256:a', platform: { os: 'linux', architecture: 'amd64' } },
			{ digest: 'sha256:b', platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
			{
				digest: 'sha256:c',
				platform: { os: 'unknown', architecture: 'unknown' },
				annotations: {
					'vnd.docker.reference.type': 'attestation-manifest',
					'vnd.docker.reference.digest': 'sha256:a',
				},
			},
		],
	};
	it('never counts attestation manifests as platforms', () => {
		expect(platformsOfIndex(index)).toEqual(['linux/amd64', 'linux/arm64/v8']);
	});
	it('matches a platform without variant to any variant, not the reverse', () => {
		expect(hasPlatform(['linux/arm64/v8'], 'linux/arm64')).toBe(true);
		expect(hasPlatform(['linux/arm64'], 'linux/arm64/v8')).toBe(false);
		expect(hasPlatform(['linux/amd64'], 'linux/arm64')).toBe(false);
	});
	it('reads source and revision from BuildKit provenance (vcs metadata first, then configSource)', () => {
		const rev = '0123456789abcdef0123456789abcdef01234567';
		const v02 = {
			predicateType: 'https://slsa.dev/provenance/v0.2',
			predicate: {
				buildType: 'https://mobyproject.org/buildkit@v1',
				invocation: {
					configSource: {
						uri: 'https://git.example/app.git#refs/heads/main',
						digest: { sha1: rev },
					},
				},
			},
		};
		expect(provenanceSourceOf(v02)).toEqual({
			predicateType: v02.predicateType,
			sourceRepository: 'https://git.example/app.git',
			revision: rev,
			buildType: 'https://mobyproject.org/buildkit@v1',
		});
		const withVcs = {
			...v02,
			predicate: {
				...v02.predicate,
				metadata: {
					'https://mobyproject.org/buildkit@v1#metadata': {
						vcs: { source: 'https://git.example/other.git', revision: 'f'.repeat(40) },
					},
				},
			},
		};
		expect(provenanceSourceOf(withVcs)).toMatchObject({
			sourceRepository: 'https://git.example/other.git',
			revision: 'f'.repeat(40),
		});
		const v1 = {
			predicateType: 'https://slsa.dev/provenance/v1',
			predicate: {
				buildDefinition: {
					externalParameters: {
						configSource: { uri: 'https://git.example/v1.git', digest: { sha1: rev } },
					},
				},
			},
		};
		expect(provenanceSourceOf(v1)).toMatchObject({
			sourceRepository: 'https://git.example/v1.git',
			revision: rev,
		});
	});
});

describe('redaction', () => {
	it('removes secrets wherever they appear', () => {
		expect(redact('token s3cr3t-value in s3cr3t-value', ['s3cr3t-value', undefined])).toBe(
			'token *** in ***',
		);
	});

	it('removes the base64 forms too (the secret alone, and user:secret as in a Basic header)', () => {
		const basic = Buffer.from('robot:s3cr3t-value').toString('base64');
		const alone = Buffer.from('s3cr3t-value').toString('base64');
		expect(
			redact(`Authorization: Basic ${basic}; echoed ${alone}`, ['s3cr3t-value'], 'robot'),
		).toBe('Authorization: Basic ***; echoed ***');
	});

	it('removes the base64 forms of a very short secret, but not every occurrence of its letters', () => {
		const basic = Buffer.from('robot:ab').toString('base64');
		expect(redact(`a cab, Basic ${basic}`, ['ab'], 'robot')).toBe('a cab, Basic ***');
	});
});
