// Defaults are defined once, in lib/, and imported by the nodes' parameters and their execute(): every key of
// an engine's defaults is a parameter of its node that shows that value, so the two can never drift apart.
import type { INodeTypeDescription } from 'n8n-workflow';
import { BUMP_DEFAULTS } from '../../../lib/gitops';
import { BUILD_DEFAULTS } from '../../../lib/k8s/build';
import { ROLLOUT_DEFAULTS } from '../../../lib/k8s/rollout/waitForRollout';
import { WAIT_DEFAULTS } from '../../../lib/k8s/wait';
import { QUERY_DEFAULTS } from '../../../lib/registry';
import { WEBHOOK_DEFAULTS } from '../../../lib/webhook';
import { BumpGitManifest } from '../../../nodes/BumpGitManifest/BumpGitManifest.node';
import { CreateBuildKitJob } from '../../../nodes/CreateBuildKitJob/CreateBuildKitJob.node';
import { QueryRegistryTags } from '../../../nodes/QueryRegistryTags/QueryRegistryTags.node';
import { SignedWebhookTrigger } from '../../../nodes/SignedWebhookTrigger/SignedWebhookTrigger.node';
import { WaitForJob } from '../../../nodes/WaitForJob/WaitForJob.node';
import { WaitForRollout } from '../../../nodes/WaitForRollout/WaitForRollout.node';

interface Parameter {
	name?: string;
	default?: unknown;
	options?: unknown[];
	values?: unknown[];
}

/** Every parameter of a node, inside collections (`options`) and fixed collections (`values`) too. */
function parameters(list: readonly unknown[]): Parameter[] {
	return (list as Parameter[]).flatMap((p) => [
		p,
		...parameters(p.options ?? []),
		...parameters(p.values ?? []),
	]);
}

test.each([
	['Create BuildKit Job', new CreateBuildKitJob().description, BUILD_DEFAULTS],
	['Wait for Job', new WaitForJob().description, WAIT_DEFAULTS],
	['Wait for Rollout', new WaitForRollout().description, ROLLOUT_DEFAULTS],
	['Query Registry Tags', new QueryRegistryTags().description, QUERY_DEFAULTS],
	['Bump Git Manifest', new BumpGitManifest().description, BUMP_DEFAULTS],
	['Signed Webhook Trigger', new SignedWebhookTrigger().description, WEBHOOK_DEFAULTS],
] as Array<[string, INodeTypeDescription, Record<string, unknown>]>)(
	'%s shows the engine defaults',
	(_node, description, defaults) => {
		const all = parameters(description.properties);
		for (const [name, value] of Object.entries(defaults)) {
			const parameter = all.find((p) => p.name === name);
			expect({ name, found: parameter !== undefined }).toEqual({ name, found: true });
			// A list the user edits as text (exclusions) is shown one entry a line.
			const shown =
				Array.isArray(value) && typeof parameter!.default === 'string' ? value.join('\n') : value;
			expect({ name, default: parameter!.default }).toEqual({ name, default: shown });
		}
	},
);
