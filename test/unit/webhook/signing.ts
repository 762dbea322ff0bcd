import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** Test helpers: fixture bytes exactly as stored, and signatures made the way each sender makes them. */

export const SECRET = 'It5-a-l0ng-shared-webhook-secret';

export function fixture(name: string): Buffer {
	return readFileSync(path.join(__dirname, 'fixtures', name));
}

export function hmacHex(algorithm: string, secret: string, body: Buffer): string {
	return createHmac(algorithm, secret).update(body).digest('hex');
}

/** The same bytes with one byte changed (a space inside the JSON becomes a tab: still valid JSON). */
export function oneByteChanged(body: Buffer): Buffer {
	const copy = Buffer.from(body);
	const at = copy.indexOf(0x20);
	copy[at] = 0x09;
	return copy;
}
