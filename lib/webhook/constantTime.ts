import * as crypto from 'node:crypto';

/**
 * Key for the "double HMAC" comparison below. Random per process: nobody outside can predict the digests, so
 * neither the compared values nor their lengths shape the time the comparison takes.
 */
const comparisonKey = crypto.randomBytes(32);

function digestForComparison(value: string): Buffer {
	return crypto.createHmac('sha256', comparisonKey).update(value, 'utf8').digest();
}

/**
 * Whether `provided` equals `expected`, in time that depends on neither. Both sides are first HMACed with a
 * secret random key, which gives two 32-byte buffers, so `timingSafeEqual` always sees equal lengths and a
 * wrong length costs exactly as much as a wrong byte (no early exit that would reveal the secret's length).
 */
export function equalsInConstantTime(provided: string, expected: string): boolean {
	return crypto.timingSafeEqual(digestForComparison(provided), digestForComparison(expected));
}

/** HMAC of the exact raw request bytes, written the way the sender writes it (lower-case hex or base64). */
export function hmacDigest(
	algorithm: string,
	secret: string,
	rawBody: Buffer,
	encoding: 'hex' | 'base64' = 'hex',
): string {
	return crypto.createHmac(algorithm, secret).update(rawBody).digest(encoding);
}

/** A stable id for a body that came without a delivery id (Flux events): SHA-256 of the raw bytes. */
export function bodyFingerprint(rawBody: Buffer): string {
	return `sha256:${crypto.createHash('sha256').update(rawBody).digest('hex')}`;
}
