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

export type Sender = 'github' | 'gitea' | 'forgejo' | 'gitlab' | 'flux';

/**
 * The headers each sender puts on a delivery (from their docs and source), signed over `rawBody`. Gitea sends its
 * GitHub- and Gogs-compatible headers too; Forgejo adds its own names next to Gitea's. `event` is the sender's
 * event name (`push`, `delete`, `Push Hook`; ignored for Flux).
 */
export function senderHeaders(
	sender: Sender,
	rawBody: Buffer,
	event: string,
	deliveryId: string,
	secret = SECRET,
): Record<string, string> {
	const json = { 'content-type': 'application/json', 'content-length': String(rawBody.length) };
	const sha256 = hmacHex('sha256', secret, rawBody);
	switch (sender) {
		case 'github':
			return {
				...json,
				'user-agent': 'GitHub-Hookshot/7a1e3c6',
				'x-github-event': event,
				'x-github-delivery': deliveryId,
				'x-github-hook-id': '292430182',
				'x-github-hook-installation-target-type': 'repository',
				'x-github-hook-installation-target-id': '79929171',
				'x-hub-signature': `sha1=${hmacHex('sha1', secret, rawBody)}`,
				'x-hub-signature-256': `sha256=${sha256}`,
			};
		case 'gitea':
		case 'forgejo': {
			const gitea = {
				...json,
				'user-agent': 'Go-http-client/1.1',
				'x-github-event': event,
				'x-github-delivery': deliveryId,
				'x-gogs-event': event,
				'x-gogs-delivery': deliveryId,
				'x-gitea-event': event,
				'x-gitea-event-type': event,
				'x-gitea-delivery': deliveryId,
				'x-gitea-signature': sha256,
				'x-gogs-signature': sha256,
				'x-hub-signature': `sha1=${hmacHex('sha1', secret, rawBody)}`,
				'x-hub-signature-256': `sha256=${sha256}`,
			};
			return sender === 'gitea'
				? gitea
				: {
						...gitea,
						'x-forgejo-event': event,
						'x-forgejo-event-type': event,
						'x-forgejo-delivery': deliveryId,
						'x-forgejo-signature': sha256,
					};
		}
		case 'gitlab':
			return {
				...json,
				'user-agent': 'GitLab/17.11.0',
				'x-gitlab-event': event,
				'x-gitlab-token': secret,
				'x-gitlab-instance': 'https://gitlab.example.com',
				'x-gitlab-webhook-uuid': '5e1ea0ef-4b4b-4c54-9d88-6e5bd9f1bb0c',
				'x-gitlab-event-uuid': deliveryId,
				'idempotency-key': deliveryId,
			};
		case 'flux':
			return {
				...json,
				'user-agent': 'Go-http-client/1.1',
				'gotk-component': 'kustomize-controller',
				'x-signature': `sha256=${sha256}`,
			};
	}
}
