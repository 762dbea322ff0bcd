import { createHash } from 'node:crypto';
import type * as k8s from '@kubernetes/client-node';

/**
 * Keep-alive connections to the API server shared by every request made with the same TLS identity.
 *
 * @kubernetes/client-node 2.x builds a new undici Agent for every request (KubeConfig.createDispatcher, called
 * from applySecurityAuthentication), so each LIST, WATCH, pods LIST and log read opens its own TCP + TLS
 * connection. Wrapping that method to hand out one Agent per set of dispatcher options (CA, client certificate,
 * server name, proxy) lets requests reuse idle connections, within one wait and across executions with the same
 * credential. Tokens travel per request in the Authorization header, so sharing a connection shares no identity.
 * The cache is disposable: an evicted Agent is closed, and undici closes idle sockets after a few seconds.
 */
type Dispatcher = { close(): Promise<void> } | undefined;
type CreateDispatcher = (cluster: k8s.Cluster | null, agentOptions: unknown) => Dispatcher;

const MAX_AGENTS = 16;
const agents = new Map<string, NonNullable<Dispatcher>>();

export function shareConnections(kc: k8s.KubeConfig): k8s.KubeConfig {
	const target = kc as unknown as { createDispatcher?: CreateDispatcher };
	const create = target.createDispatcher;
	// A client version without this method keeps its own behaviour (one connection per request).
	if (typeof create !== 'function') return kc;
	target.createDispatcher = (cluster, agentOptions) => {
		const options = kc.createDispatcherOptions(
			cluster,
			agentOptions as Parameters<k8s.KubeConfig['createDispatcherOptions']>[1],
		);
		if (options.type === 'none') return undefined;
		const key = createHash('sha256').update(JSON.stringify(options)).digest('hex');
		let agent = agents.get(key);
		if (agent) {
			agents.delete(key); // re-inserted below: the Map's order is least recently used first
		} else {
			agent = create.call(kc, cluster, agentOptions);
			if (!agent) return undefined;
			if (agents.size >= MAX_AGENTS) {
				const [oldestKey, oldest] = agents.entries().next().value!;
				agents.delete(oldestKey);
				void oldest.close().catch(() => undefined);
			}
		}
		agents.set(key, agent);
		return agent;
	};
	return kc;
}

/** Closes every shared connection (tests and benchmarks that must leave no socket open). */
export async function closeKubernetesConnections(): Promise<void> {
	const all = [...agents.values()];
	agents.clear();
	await Promise.all(all.map((agent) => agent.close().catch(() => undefined)));
}
