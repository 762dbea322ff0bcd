/**
 * The environment of a local n8n: listens on 127.0.0.1 only (the default is every interface), makes no outbound
 * calls (telemetry, version checks, templates, banners, license renewal, the MCP registry refresh), and sets
 * the instance owner from env so no setup screen is needed. Names come from @n8n/config 2.41.
 */
export interface N8nEnvOptions {
	userFolder: string;
	port: number;
	brokerPort: number;
	encryptionKey: string;
	owner: { email: string; passwordHash: string };
}

export function loopbackEnv(opts: N8nEnvOptions): Record<string, string> {
	const base = `http://127.0.0.1:${opts.port}`;
	return {
		// jest sets NODE_ENV=test, with which n8n's CLI exits silently.
		NODE_ENV: 'production',
		N8N_USER_FOLDER: opts.userFolder,
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_HOST: '127.0.0.1',
		N8N_PORT: String(opts.port),
		N8N_PROTOCOL: 'http',
		N8N_EDITOR_BASE_URL: `${base}/`,
		WEBHOOK_URL: `${base}/`,
		N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
		N8N_RUNNERS_BROKER_PORT: String(opts.brokerPort),
		N8N_ENCRYPTION_KEY: opts.encryptionKey,
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'true',
		N8N_SECURE_COOKIE: 'false',
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_DIAGNOSTICS_CONFIG_FRONTEND: '',
		N8N_DIAGNOSTICS_CONFIG_BACKEND: '',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_WHATS_NEW_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_DYNAMIC_BANNERS_ENABLED: 'false',
		N8N_HIRING_BANNER_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_VERIFIED_PACKAGES_ENABLED: 'false',
		// This package has runtime dependencies, so it can only ever be an unverified community package.
		N8N_UNVERIFIED_PACKAGES_ENABLED: 'true',
		N8N_AI_ENABLED: 'false',
		N8N_LICENSE_AUTO_RENEW_ENABLED: 'false',
		EXTERNAL_FRONTEND_HOOKS_URLS: '',
		N8N_DISABLED_MODULES: 'mcp-registry',
		N8N_INSTANCE_OWNER_MANAGED_BY_ENV: 'true',
		N8N_INSTANCE_OWNER_EMAIL: opts.owner.email,
		N8N_INSTANCE_OWNER_FIRST_NAME: 'Build',
		N8N_INSTANCE_OWNER_LAST_NAME: 'Owner',
		N8N_INSTANCE_OWNER_PASSWORD_HASH: opts.owner.passwordHash,
		// No Python runner (no venv here); avoids a failing start attempt on every boot.
		N8N_PYTHON_ENABLED: 'false',
		N8N_LOG_LEVEL: 'info',
		N8N_LOG_OUTPUT: 'console',
		N8N_BLOCK_ENV_ACCESS_IN_NODE: 'false',
	};
}
