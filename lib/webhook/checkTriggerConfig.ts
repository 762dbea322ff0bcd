import { checkSigningSecret } from './checkSigningSecret';
import {
	HMAC_ALGORITHMS,
	isHmacAlgorithm,
	type GenericSignatureScheme,
	type WebhookProvider,
} from './types';

export interface TriggerConfig {
	provider: WebhookProvider;
	secret: string;
	generic?: GenericSignatureScheme;
}

/**
 * What makes this trigger unable to check deliveries safely, for the operator (never for the sender), naming the
 * setting and the fix; null when nothing does. Checked when the workflow is activated and again for every
 * delivery, because the credential can change later and parameters can be expressions.
 */
export function triggerConfigProblem(config: TriggerConfig): string | null {
	const secret = checkSigningSecret(config.secret);
	if (!secret.ok) return `Webhook Signing Secret API credential, field Secret: ${secret.message}`;
	if (config.provider === 'generic') {
		if (!config.generic?.header)
			return 'Signature Header is empty: name the request header that carries the signature';
		if (!isHmacAlgorithm(config.generic.algorithm)) {
			return `Algorithm "${String(config.generic.algorithm)}" is not allowed: use one of ${HMAC_ALGORITHMS.join(', ')} (HMAC-SHA1 and MD5 are too weak)`;
		}
	}
	return null;
}
