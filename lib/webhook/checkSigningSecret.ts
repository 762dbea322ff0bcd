/** Shorter secrets are guessable offline from one captured delivery and its signature. */
export const MIN_SECRET_LENGTH = 16;

/**
 * The webhookSigningSecretApi credential test. A webhook secret can't be checked against the sender from here,
 * so this checks what can be: that there is one, and that it is long enough. The message never repeats it.
 */
export function checkSigningSecret(secret: unknown): { ok: boolean; message: string } {
	if (typeof secret !== 'string' || secret.length === 0) {
		return {
			ok: false,
			message:
				'The secret is empty: paste the same secret that the sender (GitHub, Gitea, GitLab, Flux) is configured with',
		};
	}
	if (secret.length < MIN_SECRET_LENGTH) {
		return {
			ok: false,
			message: `The secret has ${secret.length} characters; use at least ${MIN_SECRET_LENGTH} (e.g. the output of "openssl rand -hex 32"), and set the same value in the sender`,
		};
	}
	return { ok: true, message: `The secret is set (${secret.length} characters)` };
}
