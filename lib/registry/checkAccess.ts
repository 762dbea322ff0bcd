import { RegistryClient, type RegistryClientOptions, type RegistryConnection } from './client';
import { RegistryError } from './errors';

/**
 * The containerRegistryApi credential test: `GET /v2/` through the full auth flow (Basic, or a token from the
 * realm the registry names). The message says what worked or what failed, and never carries the secret.
 */
export async function checkRegistryAccess(
	credential: RegistryConnection,
	options: RegistryClientOptions = { maxAttempts: 2, timeoutMs: 15_000, retryBaseMs: 300 },
): Promise<{ ok: boolean; message: string }> {
	const registry = credential.registry
		?.trim()
		.replace(/^https?:\/\//, '')
		.replace(/\/+$/, '');
	if (!registry)
		return {
			ok: false,
			message: 'Registry is empty: give a host such as registry.local:5000 or ghcr.io',
		};
	const client = new RegistryClient({ ...credential, registry }, options);
	try {
		await client.send('GET', '/v2/', { accept: 'application/json' });
		const who = client.hasCredentials() ? `as ${credential.username}` : 'anonymously';
		return { ok: true, message: `Connected to ${registry} ${who}` };
	} catch (error) {
		if (error instanceof RegistryError) return { ok: false, message: error.message };
		throw error;
	}
}
