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
