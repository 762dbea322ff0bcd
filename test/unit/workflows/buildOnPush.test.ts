import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Issue 15 #3: the shipped build-on-push workflow clones the URL of its "Pipeline settings" node, never the one
 * in the webhook body (a delivery names any repository it likes; the signature proves only who sent it).
 */
test('build-on-push: Create BuildKit Job clones appRepositoryUrl from Pipeline settings, not the delivery', () => {
	const workflow = JSON.parse(
		readFileSync(join(__dirname, '../../../workflows/build-on-push.json'), 'utf8'),
	);
	const node = (name: string) => workflow.nodes.find((n: { name: string }) => n.name === name);
	const settings = node('Pipeline settings').parameters.assignments.assignments;
	const cloneUrl = settings.find((a: { name: string }) => a.name === 'appRepositoryUrl');
	expect(cloneUrl?.value).toMatch(/^https:\/\//);
	expect(node('Create BuildKit Job').parameters.gitRepositoryUrl).toBe(
		'={{ $json.appRepositoryUrl }}',
	);
	// The settings node keeps the delivery's fields (includeOtherFields), so it must set the URL itself.
	expect(JSON.stringify(node('Create BuildKit Job').parameters)).not.toContain('cloneUrl');
});

/**
 * Evaluates a plain-JavaScript n8n expression (`={{ … }}`, no n8n extension methods) with `$json` bound: the
 * same JavaScript n8n runs, without an n8n process.
 */
function evaluate(expression: string, json: Record<string, unknown>): unknown {
	const body = expression.replace(/^=\{\{/, '').replace(/\}\}$/, '');
	return new Function('$json', `return (${body});`)(json);
}

test('build-on-push: a rollout superseded by a newer bump counts as rolled out, never as a failure to revert', () => {
	const workflow = JSON.parse(
		readFileSync(join(__dirname, '../../../workflows/build-on-push.json'), 'utf8'),
	);
	const node = workflow.nodes.find((n: { name: string }) => n.name === 'Rolled out?');
	const [condition] = node.parameters.conditions.conditions;
	expect(condition.operator).toMatchObject({ type: 'boolean', operation: 'true' });
	const routes = Object.fromEntries(
		['rolledOut', 'superseded', 'failed', 'timedOut'].map((status) => [
			status,
			evaluate(condition.leftValue, { status }),
		]),
	);
	expect(routes).toEqual({ rolledOut: true, superseded: true, failed: false, timedOut: false });
	// The true output is Deployed; the false output decides about the revert.
	expect(
		workflow.connections['Rolled out?'].main.map((out: Array<{ node: string }>) => out[0].node),
	).toEqual(['Deployed', 'Roll back?']);
});

test('build-on-push: every failure end reports its status and metrics before it fails the run', () => {
	const workflow = JSON.parse(
		readFileSync(join(__dirname, '../../../workflows/build-on-push.json'), 'utf8'),
	);
	const position = (name: string): [number, number] =>
		workflow.nodes.find((n: { name: string }) => n.name === name).position;
	// n8n's v1 order runs the branches of one output top to bottom (then left to right).
	const runsBefore = (a: string, b: string) => {
		const [ax, ay] = position(a);
		const [bx, by] = position(b);
		return ay < by || (ay === by && ax < bx);
	};
	const ends = Object.entries(
		workflow.connections as Record<string, { main: Array<Array<{ node: string }>> }>,
	)
		.filter(([, c]) => c.main.some((out) => out.some((t) => t.node === 'Fail the execution')))
		.map(([name, c]) => [name, c.main.flat().map((t) => t.node)] as const);
	expect(ends.map(([name]) => name).sort()).toEqual([
		'Build failed',
		'Rolled back',
		'Rollout refused',
		'Step failed',
	]);
	for (const [, targets] of ends) {
		expect(targets).toEqual(expect.arrayContaining(['Status: failure', 'Pushgateway set?']));
		for (const target of targets.filter((t) => t !== 'Fail the execution')) {
			expect(runsBefore(target, 'Fail the execution')).toBe(true);
		}
	}
});
