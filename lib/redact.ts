import { redactUrlCredentials } from './gitUrl';

const base64 = (text: string) => Buffer.from(text).toString('base64');

/**
 * The one redactor for messages, outputs and logs: removes credentials written into URLs (`scheme://user:pw@`)
 * and every occurrence of each secret as is, URL-encoded, base64-encoded and (given the username) as the
 * base64 of `username:secret` (a Basic Authorization value), each replaced by `***`. A secret of one or two
 * characters is removed only in its encoded forms: removing every "a" would wreck the message and hide nothing.
 */
export function redact(
	text: string,
	secrets: ReadonlyArray<string | undefined> = [],
	username?: string,
): string {
	let out = redactUrlCredentials(text);
	for (const secret of secrets) {
		if (!secret) continue;
		// The Basic value first: base64(secret) can be its tail (when `username:` is a multiple of 3 bytes).
		const forms = new Set([...(username ? [base64(`${username}:${secret}`)] : []), base64(secret)]);
		if (secret.length >= 3) {
			forms.add(secret);
			forms.add(encodeURIComponent(secret));
		}
		for (const form of forms) out = out.split(form).join('***');
	}
	return out;
}
