export * from './types';
export { WEBHOOK_DEFAULTS } from './defaults';
export { verifySignature, type SignatureCheck, type SignatureInput } from './verifySignature';
export { equalsInConstantTime, hmacDigest, bodyFingerprint } from './constantTime';
export {
	normaliseDelivery,
	deliveryIdOf,
	eventHeaderOf,
	type DeliveryInput,
} from './normaliseDelivery';
export { duplicateRefEventReason } from './refEvents';
export { parseFluxRevision, type FluxRevision } from './fluxRevision';
export { filterDelivery, type DeliveryFilter, type FilterDecision } from './filterDelivery';
export { ReplayCache, ReplayCacheRegistry, type ReplayCacheOptions } from './replayCache';
export { parseDeliveryBody } from './parseBody';
export {
	handleDelivery,
	REPLAY_KEYS_PER_DELIVERY,
	type DeliveryConfig,
	type DeliveryOutcome,
	type DeliveryRequest,
	type ReplayGuard,
} from './handleDelivery';
export { checkSigningSecret, MIN_SECRET_LENGTH } from './checkSigningSecret';
export { triggerConfigProblem, type TriggerConfig } from './checkTriggerConfig';
export {
	SigningSecretCache,
	type SecretHolder,
	type SigningSecretCacheOptions,
} from './signingSecretCache';
