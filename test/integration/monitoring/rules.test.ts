import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { ensureTool } from '../../stack/registry/processes';
import { startPrometheus, startPushgateway } from '../../stack/prometheus';

const execFileAsync = promisify(execFile);
const ROOT = resolve(__dirname, '../../..');
const RULES = join(ROOT, 'deploy/monitoring/rules.yaml');
jest.setTimeout(120_000);

const TESTS = ['rules.promtest.yaml', 'rules-weekly.promtest.yaml'];

/** Runs `promtool test rules` over the test files with `rules` in place of deploy/monitoring/rules.yaml. */
async function promtoolTest(rules: string): Promise<{ ok: boolean; output: string }> {
	const dir = mkdtempSync(join(tmpdir(), 'buildkit-promtool-'));
	try {
		// Same relative layout as the repo, so the test files' rule_files path resolves to the copy.
		mkdirSync(join(dir, 'deploy/monitoring'), { recursive: true });
		mkdirSync(join(dir, 'test/integration/monitoring'), { recursive: true });
		writeFileSync(join(dir, 'deploy/monitoring/rules.yaml'), rules);
		for (const file of TESTS)
			copyFileSync(join(__dirname, file), join(dir, 'test/integration/monitoring', file));
		const result = await execFileAsync('promtool', ['test', 'rules', ...TESTS], {
			cwd: join(dir, 'test/integration/monitoring'),
		}).then(
			({ stdout, stderr }) => ({ ok: true, output: stdout + stderr }),
			(error) => ({ ok: false, output: `${error.stdout}${error.stderr}` }),
		);
		return result;
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

describe('deploy/monitoring rules', () => {
	const rules = readFileSync(RULES, 'utf8');

	beforeAll(async () => {
		await ensureTool('promtool');
	});

	it('pass promtool check rules', async () => {
		const { stdout } = await execFileAsync('promtool', ['check', 'rules', RULES]);
		expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
	});

	it('pass their promtool unit tests', async () => {
		const { ok, output } = await promtoolTest(rules);
		expect(output).not.toMatch(/FAILED/);
		expect(ok).toBe(true);
	});

	// Each mutation is a plausible mistake in a rule; the unit tests must catch every one.
	const mutations: Array<[string, string, string]> = [
		[
			'a 95th percentile computed as the 90th',
			'quantile by (namespace, webapp) (0.95',
			'quantile by (namespace, webapp) (0.9',
		],
		['the no-success window at 8 days', '> 7 * 86400', '> 8 * 86400'],
		['a past-deadline alert that fires without waiting', 'for: 5m', 'for: 0m'],
		[
			'a two-hour fallback deadline',
			'0 * kube_job_status_start_time + 3600',
			'0 * kube_job_status_start_time + 7200',
		],
		[
			'Jobs of other tools counted as builds',
			'kube_job_failed{condition="true"})\n              * on (namespace, job_name) group_left (label_webapp)\n                kube_job_labels{label_app_kubernetes_io_managed_by="n8n-nodes-buildkit"}',
			'kube_job_failed{condition="true"})\n              * on (namespace, job_name) group_left (label_webapp)\n                kube_job_labels',
		],
		[
			'failed builds left out of the failure ratio denominator',
			'max_over_time(buildkit_job:build_failed[1d]) == 1\n                or\n',
			'',
		],
		[
			'the first deploy the Pushgateway saw not counted',
			'\n              + (min_over_time(n8n_buildkit_last_deploy_timestamp_seconds[7d]) > bool time() - 7 * 86400)',
			'',
		],
		[
			'a deploy before the window counted',
			'(n8n_buildkit_last_deploy_timestamp_seconds[7d]) > bool time() - 7 * 86400',
			'(n8n_buildkit_last_deploy_timestamp_seconds[7d]) > bool 0',
		],
		[
			'deploys counted over one day',
			'changes(n8n_buildkit_last_deploy_timestamp_seconds[7d])',
			'changes(n8n_buildkit_last_deploy_timestamp_seconds[1d])',
		],
		[
			'change failure rate as failed / successful rollouts',
			'n8n_buildkit_app:failed_deployments:7d + n8n_buildkit_app:deployments:7d\n',
			'n8n_buildkit_app:deployments:7d\n',
		],
		[
			'no change failure rate for an app that never failed',
			'(n8n_buildkit_app:failed_deployments:7d or 0 * n8n_buildkit_app:deployments:7d)',
			'n8n_buildkit_app:failed_deployments:7d',
		],
	];
	it.each(mutations)('catch a rule mistake: %s', async (_name, from, to) => {
		expect(rules).toContain(from);
		const { ok, output } = await promtoolTest(rules.replace(from, to));
		expect(output).toMatch(/FAILED/);
		expect(ok).toBe(false);
	});

	it('are the groups the PrometheusRule wraps', () => {
		const wrapped = YAML.parse(
			readFileSync(join(ROOT, 'deploy/monitoring/prometheusrule.yaml'), 'utf8'),
		);
		expect(wrapped).toMatchObject({
			apiVersion: 'monitoring.coreos.com/v1',
			kind: 'PrometheusRule',
		});
		expect(wrapped.spec).toEqual(YAML.parse(rules));
	});

	it('load into a real Prometheus with every rule healthy', async () => {
		const pushgateway = await startPushgateway();
		const prometheus = await startPrometheus({ pushgateway, ruleFiles: [RULES] }).catch(
			async (error) => {
				await pushgateway.stop();
				throw error;
			},
		);
		try {
			const res = await fetch(`${prometheus.url}/api/v1/rules`);
			const body = (await res.json()) as {
				data: { groups: Array<{ name: string; rules: Array<{ name: string; health: string }> }> };
			};
			const loaded = body.data.groups.flatMap((group) => group.rules.map((rule) => rule.name));
			const declared = (
				YAML.parse(rules).groups as Array<{ rules: Array<{ record?: string; alert?: string }> }>
			).flatMap((group) => group.rules.map((rule) => rule.record ?? rule.alert));
			// The API lists groups by name, not in file order.
			expect([...loaded].sort()).toEqual([...declared].sort());
			// Health is 'unknown' until the first evaluation (every second here).
			for (let i = 0; i < 50; i++) {
				const again = (await (await fetch(`${prometheus.url}/api/v1/rules`)).json()) as typeof body;
				const health = again.data.groups.flatMap((group) => group.rules.map((rule) => rule.health));
				if (health.every((h) => h === 'ok')) return;
				await new Promise((done) => setTimeout(done, 100));
			}
			throw new Error('rules did not all evaluate healthy within 5 s');
		} finally {
			await prometheus.stop();
			await pushgateway.stop();
		}
	});
});
