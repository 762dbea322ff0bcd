import type * as KubernetesClient from '@kubernetes/client-node';

let loaded: typeof KubernetesClient | undefined;

/**
 * @kubernetes/client-node, loaded on first use. n8n loads every installed node class in every process it starts
 * (main, webhook processes, each queue worker), and loading the client costs about 250 ms and 65 MiB, so only a
 * process that runs a Kubernetes node (or its credential test) pays for it. Everything else imports its types
 * only (`import type`).
 *
 * A synchronous require rather than `await import()`: the package is ESM, which Node (>= 20.19) loads through
 * require(esm), and a synchronous accessor keeps every lib/k8s function's signature as it is.
 */
export function kubernetesClient(): typeof KubernetesClient {
	loaded ??= require('@kubernetes/client-node') as typeof KubernetesClient;
	return loaded;
}
