import type { DeliveryOutcome } from './handleDelivery';

export interface SigningSecretCacheOptions {
	/** At most this many triggers' secrets are remembered; the least recently read goes first. */
	maxEntries?: number;
	/** Milliseconds clock; injectable so tests need no waiting. */
	now?: () => number;
}

/** Which trigger, which credential it names, and how long its secret may be used before it is read again. */
export interface SecretHolder {
	key: string;
	credentialId: string;
	/** 0 reads the credential for every delivery. */
	maxAgeMs: number;
}

interface RememberedSecret {
	/** The credential the secret came from: pointing the trigger at another credential is a miss. */
	credentialId: string;
	secret: string;
	readAt: number;
}

/**
 * The signing secret of each trigger, remembered for a short while. Reading a credential outside an execution is
 * the most expensive step of a delivery in n8n 2.x (it resolves the credential in a fresh expression isolate:
 * tens of milliseconds, more on a busy host), while the secret almost never changes.
 *
 * A rotation still takes effect at once for the new secret: a delivery the remembered secret refuses is checked
 * again against a fresh read. Only the old secret outlives a rotation, for at most `maxAgeMs`. A forged delivery
 * costs a read, as it did before there was a cache.
 */
export class SigningSecretCache {
	private readonly secrets = new Map<string, RememberedSecret>();

	private readonly now: () => number;

	private readonly maxEntries: number;

	constructor(options: SigningSecretCacheOptions = {}) {
		this.now = options.now ?? Date.now;
		this.maxEntries = options.maxEntries ?? 256;
	}

	/**
	 * The outcome of `decide` with the trigger's secret: the remembered one while it is young enough, else (or
	 * when it refuses the delivery, or finds the secret unusable) one read now with `read`. `decide` runs at most
	 * twice, never twice with the same secret; a refused delivery has no side effects, so running it again is safe.
	 */
	async decide(
		trigger: SecretHolder,
		read: () => Promise<string>,
		decide: (secret: string) => DeliveryOutcome,
	): Promise<DeliveryOutcome> {
		const remembered = this.remembered(trigger);
		const first = remembered === undefined ? undefined : decide(remembered);
		if (first !== undefined && first.kind !== 'rejected' && first.kind !== 'misconfigured')
			return first;
		const secret = await read();
		this.remember(trigger, secret);
		if (first !== undefined && secret === remembered) return first;
		return decide(secret);
	}

	/** Drops a trigger's secret (its workflow was activated or deactivated). */
	forget(key: string): void {
		this.secrets.delete(key);
	}

	private remembered(trigger: SecretHolder): string | undefined {
		const entry = this.secrets.get(trigger.key);
		if (!entry || entry.credentialId !== trigger.credentialId) return undefined;
		if (this.now() - entry.readAt >= trigger.maxAgeMs) return undefined;
		return entry.secret;
	}

	private remember(trigger: SecretHolder, secret: string): void {
		this.secrets.delete(trigger.key);
		if (trigger.maxAgeMs <= 0) return;
		this.secrets.set(trigger.key, {
			credentialId: trigger.credentialId,
			secret,
			readAt: this.now(),
		});
		while (this.secrets.size > this.maxEntries)
			this.secrets.delete(this.secrets.keys().next().value as string);
	}
}
