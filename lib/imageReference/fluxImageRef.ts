/** An image reference split the way Flux's ImageRef is: `name[:tag][@digest]`. */
export interface ImageRef {
	name: string;
	tag?: string;
	digest?: string;
}

/** Splits at the last `@`, then at the last `:` after the last `/` (so a registry port is not a tag). */
export function parseImageRef(ref: string): ImageRef {
	const at = ref.lastIndexOf('@');
	const digest = at >= 0 ? ref.slice(at + 1) : undefined;
	const rest = at >= 0 ? ref.slice(0, at) : ref;
	const colon = rest.lastIndexOf(':');
	const tag = colon > rest.lastIndexOf('/') ? rest.slice(colon + 1) : undefined;
	const name = tag !== undefined ? rest.slice(0, colon) : rest;
	return { name, tag: tag || undefined, digest: digest || undefined };
}

export function formatImageRef(ref: ImageRef): string {
	return `${ref.name}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}
