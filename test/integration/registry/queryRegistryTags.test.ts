import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
	checkRegistryAccess,
	closeRegistryConnections,
	NoCandidateError,
	queryRegistryTags,
	type RegistryConnection,
} from '../../../lib/registry';
import {
	pushTags,
	pushTestImage,
	startRegistry,
	startRegistryDouble,
	type RunningRegistry,
} from '../../stack/registry';

// Query Registry Tags against the real registry (distribution 2.8) of the stack, under each auth variant;
// skopeo, an independent client, is the referee for digests.

const run = promisify(execFile);
const SOURCE = 'http://127.0.0.1:9/webapp.git';
const BUILT = '3f1c9e0a7b2d4c6e8f0a1b2c3d4e5f60718293a4';

async function skopeoRawDigest(registry: RunningRegistry, image: string): Promise<string> {
	const creds = registry.username ? ['--creds', `${registry.username}:${registry.password}`] : [];
	const { stdout } = await run(
		'skopeo',
		['inspect', '--raw', '--tls-verify=false', ...creds, `docker://${registry.host}/${image}`],
		{ encoding: 'buffer' },
	);
	return `sha256:${createHash('sha256').update(stdout).digest('hex')}`;
}

afterAll(async () => {
	await closeRegistryConnections();
});

describe.each(['none', 'htpasswd', 'token'] as const)('real registry, auth %s', (auth) => {
	let registry: RunningRegistry;
	let credential: RegistryConnection;
	const repository = () => `${registry.host}/webapp/app`;

	beforeAll(async () => {
		registry = await startRegistry({ auth });
		credential = {
			registry: registry.host,
			plainHttp: true,
			username: registry.username,
			password: registry.password,
		};
		const creds = {
			registry: registry.host,
			repository: 'webapp/app',
			username: registry.username,
			password: registry.password,
		};
		// 1.2.0: the newest, amd64 only, no attestations. 1.1.0: both platforms, SBOM + provenance of BUILT.
		await pushTestImage({
			...creds,
			tags: ['1.1.0'],
			attestations: { sbom: true, provenance: { sourceRepository: SOURCE, revision: BUILT } },
		});
		await pushTags({
			...creds,
			fromTag: '1.1.0',
			tags: ['1.0.0', '1.0.1', '0.9.0', '1.1.0-rc.1', 'latest', 'sha256-abc.sig'],
		});
		await pushTestImage({ ...creds, tags: ['1.2.0'], platforms: ['linux/amd64'], seed: 'newest' });
	});
	afterAll(async () => {
		await registry?.stop();
	});

	it("without a semver range uses the node's default (*), so the highest release wins", async () => {
		const result = await queryRegistryTags(
			{ repository: repository(), policy: 'semver' },
			credential,
		);
		expect(result.latestTag).toBe('1.2.0');
	});

	it('selects the highest semver tag, and the digest equals what skopeo reads', async () => {
		const result = await queryRegistryTags(
			{ repository: repository(), policy: 'semver', semverRange: '>=1.0.0', resolveDigest: true },
			credential,
		);
		expect(result).toMatchObject({
			repository: repository(),
			latestTag: '1.2.0',
			image: `${repository()}:1.2.0`,
			totalTags: 8,
			matchedTags: 4,
		});
		expect(result.digest).toBe(await skopeoRawDigest(registry, 'webapp/app:1.2.0'));
	});

	it('passes over a tag without a required platform, reporting why', async () => {
		const result = await queryRegistryTags(
			{
				repository: repository(),
				policy: 'semver',
				semverRange: '>=1.0.0',
				requirePlatforms: ['linux/arm64'],
			},
			credential,
		);
		expect(result.latestTag).toBe('1.1.0');
		expect(result.platforms).toEqual(['linux/amd64', 'linux/arm64']);
		expect(result.digest).toBe(await skopeoRawDigest(registry, 'webapp/app:1.1.0'));
		expect(result.rejected).toEqual([
			{ tag: '1.2.0', reason: 'missing platform(s) linux/arm64 (has linux/amd64)' },
		]);
	});

	it('reports attestations (never as platforms) and the provenance source and revision', async () => {
		const result = await queryRegistryTags(
			{
				repository: repository(),
				policy: 'semver',
				semverRange: '>=1.0.0',
				requireAttestations: ['sbom', 'provenance'],
				expectedRevision: BUILT,
			},
			credential,
		);
		expect(result.latestTag).toBe('1.1.0');
		expect(result.platforms).toEqual(['linux/amd64', 'linux/arm64']);
		expect(result.attestations).toMatchObject({
			sbom: true,
			provenance: true,
			predicateTypes: ['https://spdx.dev/Document', 'https://slsa.dev/provenance/v0.2'],
		});
		expect(result.attestations!.manifests.map((m) => m.platform)).toEqual([
			'linux/amd64',
			'linux/arm64',
		]);
		expect(result.provenance).toMatchObject({
			sourceRepository: SOURCE,
			revision: BUILT,
			expectedRevision: BUILT,
			revisionMatches: true,
			platform: 'linux/amd64',
		});
		expect(result.rejected?.[0]).toEqual({
			tag: '1.2.0',
			reason: 'missing attestation(s) sbom, provenance (has no attestation manifests)',
		});
	});

	it('reports a provenance revision that is not the expected commit as a mismatch', async () => {
		const result = await queryRegistryTags(
			{
				repository: repository(),
				policy: 'semver',
				semverRange: '~1.1',
				reportAttestations: true,
				expectedRevision: 'deadbeef',
			},
			credential,
		);
		expect(result.latestTag).toBe('1.1.0');
		expect(result.provenance).toMatchObject({
			revision: BUILT,
			expectedRevision: 'deadbeef',
			revisionMatches: false,
		});
		const short = await queryRegistryTags(
			{
				repository: repository(),
				policy: 'semver',
				semverRange: '~1.1',
				expectedRevision: BUILT.slice(0, 12),
			},
			credential,
		);
		expect(short.provenance?.revisionMatches).toBe(true);
	});

	it('refuses when no tag has the required attestations, saying what was scanned and missing', async () => {
		const error = await queryRegistryTags(
			{
				repository: repository(),
				policy: 'semver',
				semverRange: '>=1.2.0',
				requireAttestations: ['provenance'],
			},
			credential,
		).catch((e) => e);
		expect(error).toBeInstanceOf(NoCandidateError);
		expect(error.message).toBe(
			`No tag met the requirements: 8 tag(s) scanned in ${repository()}, 1 matched the semver range ">=1.2.0", and every checked candidate failed: 1.2.0: missing attestation(s) provenance (has no attestation manifests)`,
		);
	});

	it('lists tags with the exclusions applied', async () => {
		const result = await queryRegistryTags(
			{ repository: repository(), policy: 'list', exclude: ['^.*\\.sig$', '^latest$'] },
			credential,
		);
		expect(result.tags).toEqual(['0.9.0', '1.0.0', '1.0.1', '1.1.0', '1.1.0-rc.1', '1.2.0']);
		const descending = await queryRegistryTags(
			{
				repository: repository(),
				policy: 'list',
				order: 'desc',
				exclude: ['^.*\\.sig$', '^latest$'],
			},
			credential,
		);
		expect(descending.tags).toEqual(['1.2.0', '1.1.0-rc.1', '1.1.0', '1.0.1', '1.0.0', '0.9.0']);
	});

	it('says what was scanned when nothing matches, and when the repository does not exist', async () => {
		await expect(
			queryRegistryTags(
				{ repository: repository(), policy: 'semver', semverRange: '>=5' },
				credential,
			),
		).rejects.toThrow(
			`No tag matched: 8 tag(s) scanned in ${repository()}, 0 matched the semver range ">=5"`,
		);
		await expect(
			queryRegistryTags(
				{
					repository: repository(),
					policy: 'semver',
					semverRange: '*',
					filterPattern: '^release-',
				},
				credential,
			),
		).rejects.toThrow(
			`No tag matched: 8 tag(s) scanned in ${repository()} (none left after the exclusions and filter), 0 matched the semver range "*" and filter /^release-/`,
		);
		await expect(
			queryRegistryTags(
				{ repository: `${registry.host}/webapp/none`, policy: 'semver', semverRange: '*' },
				credential,
			),
		).rejects.toThrow(
			/Repository webapp\/none was not found on registry 127\.0\.0\.1:\d+ \(HTTP 404 NAME_UNKNOWN\)/,
		);
	});

	it('passes the credential test, and fails it with a clear, secret-free message', async () => {
		await expect(checkRegistryAccess(credential)).resolves.toMatchObject({ ok: true });
		if (auth === 'none') return;
		const wrong = await checkRegistryAccess({ ...credential, password: 'not-the-password-42' });
		expect(wrong.ok).toBe(false);
		expect(wrong.message).toContain(`"${registry.username}"`);
		expect(wrong.message).not.toContain('not-the-password-42');
		const error = await queryRegistryTags(
			{ repository: repository(), policy: 'semver', semverRange: '*' },
			{ ...credential, password: 'not-the-password-42' },
		).catch((e) => e);
		expect(error.message).toMatch(/refused (the username or password of )?user "tester"/);
		expect(error.message).not.toContain('not-the-password-42');
		const anonymous = await queryRegistryTags(
			{ repository: repository(), policy: 'semver', semverRange: '*' },
			{ registry: registry.host, plainHttp: true },
		).catch((e) => e);
		expect(anonymous.message).toMatch(
			auth === 'htpasswd'
				? /requires a username and password/
				: /refused anonymous access for GET \/v2\/webapp\/app\/tags\/list \(HTTP 401/,
		);
	});
});

describe('credential and repository on different registries', () => {
	it('refuses to send a credential to another registry', async () => {
		await expect(
			queryRegistryTags(
				{ repository: '127.0.0.1:1/webapp/app', policy: 'semver', semverRange: '*' },
				{ registry: '127.0.0.1:2', plainHttp: true, username: 'u', password: 'p' },
			),
		).rejects.toThrow(
			'The credential is for registry 127.0.0.1:2 but the repository is on 127.0.0.1:1',
		);
	});
});

describe('10,000 tags on the paginating double', () => {
	it.each([
		[1000, 10],
		[100, 100],
	])('selects across pages of %i in %i list requests', async (pageLimit, expected) => {
		const tags = Array.from({ length: 10_000 }, (_, i) => `${Math.floor(i / 100)}.${i % 100}.0`);
		const double = await startRegistryDouble({ tags, pageLimit });
		try {
			const result = await queryRegistryTags({
				repository: `http://${double.host}/webapp/app`,
				policy: 'semver',
				semverRange: '<99.50.0',
				maxPages: 200,
			});
			expect(result).toMatchObject({
				latestTag: '99.49.0',
				totalTags: 10_000,
				matchedTags: 9_950,
				pages: expected,
				requests: expected,
			});
		} finally {
			await double.stop();
		}
	});
});
