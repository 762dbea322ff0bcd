import { splitReference } from './reference';

/** An image reference split the way Flux's ImageRef is: `name[:tag][@digest]`. */
export interface ImageRef {
	name: string;
	tag?: string;
	digest?: string;
}

/**
 * Splits a reference found in a manifest or a policy, valid or not (a setter replaces what it finds): the same
 * split as every parser here, with an empty tag or digest taken as absent.
 */
export function parseImageRef(ref: string): ImageRef {
	const { name, tag, digest } = splitReference(ref);
	return { name, tag: tag || undefined, digest: digest || undefined };
}

export function formatImageRef(ref: ImageRef): string {
	return `${ref.name}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}
