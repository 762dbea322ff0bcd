import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { provenanceSourceOf } from '../../../lib/registry';
import { assembleResult, type ResultInput } from '../../../lib/k8s/wait/result';
import { digestFromLog, type PodLike } from '../../../lib/k8s/wait/podDiagnosis';
import { backoffFailedStatus, completeStatus, job } from './fixtures';

/**
 * Wait for Job and Query Registry Tags on what real BuildKit v0.24.0 printed and pushed: the logs, metadata
 * files and provenance statements under test/fixtures/buildkit (made by its capture.sh, see README.md there).
 */

const FIXTURES = join(__dirname, '../../fixtures/buildkit');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');
const COMMIT = '0123456789abcdef0123456789abcdef01234567';

/** The final error line as the build step writes it to the termination message (BUILD_SCRIPT). */
function terminationMessageOf(log: string): string {
	const line = log
		.split('\n')
		.filter((l) => l.startsWith('error: '))
		.pop()!;
	return line.replace(/^error: /, '').slice(0, 1024);
}

function buildPod(terminated: { exitCode: number; message: string }): PodLike {
	return {
		metadata: { name: 'webapp-build-7f3a9c1-x2x9k', creationTimestamp: '2025-11-20T10:00:01Z' },
		status: {
			phase: terminated.exitCode === 0 ? 'Succeeded' : 'Failed',
			initContainerStatuses: [
				{ name: 'git-clone', state: { terminated: { exitCode: 0, message: COMMIT } } },
			],
			containerStatuses: [{ name: 'buildkit', state: { terminated } }],
		},
	};
}

const input = (overrides: Partial<ResultInput>): ResultInput => ({
	jobName: 'webapp-build-7f3a9c1',
	namespace: 'build-system',
	end: { kind: 'notFound' },
	pods: [],
	logTail: '',
	endedAt: Date.parse('2025-11-20T10:05:00Z'),
	timeoutSeconds: 1800,
	...overrides,
});

describe('provenance of real BuildKit v0.24 pushes (issue 16 A)', () => {
	test.each([
		['provenance-v1.json', 'https://slsa.dev/provenance/v1'],
		['provenance-v02.json', 'https://slsa.dev/provenance/v0.2'],
	])('%s: source and revision come from BuildKit vcs metadata', (file, predicateType) => {
		const statement = JSON.parse(fixture(file));
		expect(provenanceSourceOf(statement)).toMatchObject({
			predicateType,
			sourceRepository: 'https://git.example.com/org/webapp.git',
			revision: COMMIT,
		});
	});
});

describe('the image digest from a real build log (issue 16 F)', () => {
	test.each(['success-provenance-v1', 'success-provenance-v02'])(
		'%s: the pushed index, not the cache manifest written after it',
		(name) => {
			const metadata = JSON.parse(fixture(`${name}.metadata.json`));
			const log = fixture(`${name}.log`);
			expect(log).toMatch(/writing cache image manifest sha256:/);
			expect(digestFromLog(log)).toBe(metadata['containerimage.digest']);
		},
	);

	test('a single-platform push without attestations (a manifest, no index)', () => {
		expect(digestFromLog(fixture('cache-export-ignored.log'))).toBe(
			JSON.parse(fixture('cache-export-ignored.metadata.json'))['containerimage.digest'],
		);
	});

	test('only the tail of a log: still no cache digest', () => {
		const tail = fixture('success-provenance-v1.log').split('\n').slice(-14).join('\n');
		expect(tail).not.toContain('pushing manifest for');
		expect(digestFromLog(tail)).toBeUndefined();
	});
});

describe('Wait for Job names the real cause of a failed build (issue 16 C)', () => {
	test.each([
		[
			'run-fails.log',
			'process "/bin/sh -c echo compiling && exit 3" did not complete successfully: exit code: 3',
		],
		[
			'syntax-error.log',
			'dockerfile parse error on line 2: unknown instruction: RUNN (did you mean RUN?)',
		],
		['missing-copy-source.log', '"/no-such-file": not found'],
	])('%s', (file, cause) => {
		const message = terminationMessageOf(fixture(file));
		const result = assembleResult(
			input({
				end: { kind: 'terminal', job: job(backoffFailedStatus) },
				pods: [buildPod({ exitCode: 1, message })],
			}),
		);
		expect(result).toMatchObject({ status: 'failed', reason: 'BuildFailed' });
		expect(result.message).toContain(`Container buildkit exited with code 1: failed to solve: `);
		expect(result.message).toContain(cause);
	});
});

describe('a cache export that failed (issue 16 D)', () => {
	test('the real metadata file of an ignored cache failure has no cache.manifest; a written cache has one', () => {
		expect(fixture('cache-export-ignored.metadata.json')).not.toContain('"cache.manifest"');
		expect(fixture('success-provenance-v1.metadata.json')).toContain('"cache.manifest"');
		expect(fixture('cache-export-ignored.log')).toMatch(/ERROR: error writing layer blob/);
	});

	test('Wait for Job: succeeded, with cacheWritten false and a message that says so', () => {
		const digest = JSON.parse(fixture('cache-export-ignored.metadata.json'))[
			'containerimage.digest'
		];
		const message = JSON.stringify({
			digest,
			image: '127.0.0.1:5000/webapp/app:1.4.2',
			revision: COMMIT,
			cache: 'not written',
		});
		const result = assembleResult(
			input({
				end: { kind: 'terminal', job: job(completeStatus) },
				pods: [buildPod({ exitCode: 0, message })],
			}),
		);
		expect(result).toMatchObject({ status: 'succeeded', digest, cacheWritten: false });
		expect(result.message).toContain('the build cache was not written');
		const written = assembleResult(
			input({
				end: { kind: 'terminal', job: job(completeStatus) },
				pods: [buildPod({ exitCode: 0, message: message.replace('not written', 'written') })],
			}),
		);
		expect(written).toMatchObject({ cacheWritten: true });
		expect(written.message).not.toContain('cache');
	});
});

describe('an SBOM scanner image that cannot be pulled (issue 16 B)', () => {
	const annotations = (generator: string) => ({
		'buildkit.n8n.io/images': '127.0.0.1:5000/webapp/app:1.4.2',
		'buildkit.n8n.io/sbom-generator': generator,
	});

	test.each([
		['sbom-default-scanner-offline.log', 'docker/buildkit-syft-scanner:stable-1'],
		['sbom-generator-unreachable.log', '127.0.0.1:9/mirror/buildkit-syft-scanner:stable-1'],
	])('%s: names the image, the option to mirror it and turning SBOM off', (file, generator) => {
		const message = terminationMessageOf(fixture(file));
		const result = assembleResult(
			input({
				end: {
					kind: 'terminal',
					job: job(backoffFailedStatus, { annotations: annotations(generator) }),
				},
				pods: [buildPod({ exitCode: 1, message })],
			}),
		);
		expect(result.reason).toBe('SbomGeneratorUnavailable');
		expect(result.message).toContain(`could not pull the SBOM scanner image ${generator}`);
		expect(result.message).toContain('Options → SBOM Generator');
		expect(result.message).toContain('leave SBOM out of Options → Attestations');
		expect(result.message).toContain('failed to resolve source metadata');
	});

	test('another build failure of a Job with SBOM on stays BuildFailed', () => {
		const message = terminationMessageOf(fixture('run-fails.log'));
		const result = assembleResult(
			input({
				end: {
					kind: 'terminal',
					job: job(backoffFailedStatus, {
						annotations: annotations('docker/buildkit-syft-scanner:stable-1'),
					}),
				},
				pods: [buildPod({ exitCode: 1, message })],
			}),
		);
		expect(result.reason).toBe('BuildFailed');
	});
});
