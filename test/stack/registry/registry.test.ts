import { createHash } from 'node:crypto';
import { request } from 'undici';
import { execFileAsync } from './processes';
import {
	MEDIA,
	PREDICATE,
	pushTags,
	pushTestImage,
	startRegistry,
	startRegistryDouble,
	type RunningRegistry,
} from './index';

// The stack's own tests: the real registry accepts what the seeding helpers push under each auth variant,
// and skopeo (an independent client) reads it back; the double paginates the way the spec says.

async function skopeo(args: string[], registry: RunningRegistry): Promise<string> {
	const creds = registry.username ? ['--creds', `${registry.username}:${registry.password}`] : [];
	const { stdout } = await execFileAsync(
		'skopeo',
		[...args.slice(0, 1), '--tls-verify=false', ...creds, ...args.slice(1)],
		{ maxBuffer: 64 * 1024 * 1024 },
	);
	return stdout;
}

describe.each(['none', 'htpasswd', 'token'] as const)('real registry, auth %s', (auth) => {
	let registry: RunningRegistry;
	beforeAll(async () => {
		registry = await startRegistry({ auth });
	});
	afterAll(async () => {
		await registry?.stop();
	});

	it('listens on loopback and challenges exactly when auth is on', async () => {
		expect(registry.host).toMatch(/^127\.0\.0\.1:\d+$/);
		const res = await request(`${registry.url}/v2/`);
		await res.body.dump();
		expect(res.statusCode).toBe(auth === 'none' ? 200 : 401);
		if (auth === 'htpasswd') expect(res.headers['www-authenticate']).toMatch(/^Basic realm=/);
		if (auth === 'token')
			expect(res.headers['www-authenticate']).toContain(
				`Bearer realm="${registry.tokenIssuer!.realm}"`,
			);
	});

	it('takes a pushed multi-platform image and extra tags, which skopeo lists and inspects', async () => {
		const creds = { username: registry.username, password: registry.password };
		const { digest } = await pushTestImage({
			registry: registry.host,
			repository: 'webapp/app',
			tags: ['1.0.0'],
			...creds,
		});
		await pushTags({
			registry: registry.host,
			repository: 'webapp/app',
			fromTag: '1.0.0',
			tags: ['1.0.1', '1.1.0', 'latest'],
			...creds,
		});
		const listed = JSON.parse(
			await skopeo(['list-tags', `docker://${registry.host}/webapp/app`], registry),
		);
		expect([...listed.Tags].sort()).toEqual(['1.0.0', '1.0.1', '1.1.0', 'latest']);
		const raw = await skopeo(
			['inspect', '--raw', `docker://${registry.host}/webapp/app:1.1.0`],
			registry,
		);
		expect(`sha256:${createHash('sha256').update(raw).digest('hex')}`).toBe(digest);
		const index = JSON.parse(raw);
		expect(index.mediaType).toBe(MEDIA.ociIndex);
		expect(
			index.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture),
		).toEqual(['amd64', 'arm64']);
	});

	if (auth !== 'none') {
		it('refuses a wrong password', async () => {
			await expect(
				pushTestImage({
					registry: registry.host,
					repository: 'webapp/app',
					tags: ['x'],
					username: registry.username,
					password: 'wrong',
				}),
			).rejects.toThrow(/401/);
		});
	}
});

describe('BuildKit-shaped attestations', () => {
	let registry: RunningRegistry;
	beforeAll(async () => {
		registry = await startRegistry();
	});
	afterAll(async () => {
		await registry?.stop();
	});

	it('pushes an index whose attestation manifests point at their image and carry in-toto statements', async () => {
		const provenance = {
			sourceRepository: 'http://127.0.0.1:1/webapp.git',
			revision: 'a'.repeat(40),
		};
		await pushTestImage({
			registry: registry.host,
			repository: 'webapp/attested',
			tags: ['1.0.0'],
			platforms: ['linux/amd64'],
			attestations: { sbom: true, provenance },
		});
		const index = JSON.parse(
			await skopeo(
				['inspect', '--raw', `docker://${registry.host}/webapp/attested:1.0.0`],
				registry,
			),
		);
		expect(index.manifests).toHaveLength(2);
		const [image, attestation] = index.manifests;
		expect(attestation.platform).toEqual({ architecture: 'unknown', os: 'unknown' });
		expect(attestation.annotations).toEqual({
			'vnd.docker.reference.digest': image.digest,
			'vnd.docker.reference.type': 'attestation-manifest',
		});
		const manifest = JSON.parse(
			await skopeo(
				['inspect', '--raw', `docker://${registry.host}/webapp/attested@${attestation.digest}`],
				registry,
			),
		);
		expect(
			manifest.layers.map(
				(l: { annotations: Record<string, string> }) => l.annotations['in-toto.io/predicate-type'],
			),
		).toEqual([PREDICATE.spdx, PREDICATE.slsaProvenance02]);
		const blob = await request(
			`${registry.url}/v2/webapp/attested/blobs/${manifest.layers[1].digest}`,
		);
		const statement = (await blob.body.json()) as {
			predicateType: string;
			subject: Array<{ digest: { sha256: string } }>;
			predicate: any;
		};
		expect(statement.predicateType).toBe(PREDICATE.slsaProvenance02);
		expect(`sha256:${statement.subject[0].digest.sha256}`).toBe(image.digest);
		expect(statement.predicate.invocation.configSource).toMatchObject({
			uri: provenance.sourceRepository,
			digest: { sha1: provenance.revision },
		});
	});
});

describe('registry double (pagination per the distribution spec)', () => {
	it('pages in lexical order with Link rel=next and refuses a too-large n when told to', async () => {
		const tags = Array.from({ length: 25 }, (_, i) => `t${String(i).padStart(2, '0')}`).reverse();
		const double = await startRegistryDouble({ tags, pageLimit: 10, tooLargeN: 413 });
		try {
			const seen: string[] = [];
			let next: string | undefined = '/v2/app/tags/list?n=10';
			while (next) {
				const res: Awaited<ReturnType<typeof request>> = await request(new URL(next, double.url));
				const body = (await res.body.json()) as { tags: string[] };
				seen.push(...body.tags);
				next = String(res.headers.link ?? '').match(/<([^>]+)>;\s*rel="next"/)?.[1];
			}
			expect(seen).toEqual([...tags].sort());
			expect(double.requests.filter((r) => r.path.endsWith('/tags/list'))).toHaveLength(3);
			const tooLarge = await request(`${double.url}/v2/app/tags/list?n=11`);
			expect(tooLarge.statusCode).toBe(413);
			expect(
				((await tooLarge.body.json()) as { errors: Array<{ code: string }> }).errors[0].code,
			).toBe('TOO_MANY_TAGS_REQUESTED');
			const empty = await request(`${double.url}/v2/app/tags/list?n=0`);
			expect(await empty.body.json()).toEqual({ name: 'app', tags: [] });
			expect(empty.headers.link).toBeUndefined();
		} finally {
			await double.stop();
		}
	});
});
