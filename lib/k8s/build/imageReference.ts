import { isImageTag, parseImageReference, type ImageReference } from '../../imageReference/reference';
import { InputError, quoteValue } from '../../errors';

// The reference grammar itself is shared with Bump Git Manifest (lib/imageReference.ts).
export { parseImageReference, type ImageReference };

const EXAMPLE = 'registry.local:5000/webapp/app:1.2.3';

/** A push target: a tag is required and a digest makes no sense (the digest is what the build produces). */
export function parsePushReference(text: string, field: string): ImageReference {
	const ref = parseImageReference(text, field);
	if (ref.digest) {
		throw new InputError(field, `${field} ${quoteValue(text)} pins a digest; a build pushes to a tag. Drop the "@sha256:…" part, e.g. ${EXAMPLE}.`);
	}
	if (!ref.tag) {
		throw new InputError(field, `${field} ${quoteValue(text)} has no tag: add one, e.g. ${ref.repository}:1.2.3.`);
	}
	return ref;
}

/** True when `text` is a bare tag (no "/", ":" or "@"), so it names another tag of the same repository. */
export function isBareTag(text: string): boolean {
	return isImageTag(text);
}
