import { BuildInputError, quoteValue } from './buildInputsError';

/**
 * An image reference split per the distribution reference grammar (distribution/reference, `reference.go`):
 *
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [ domain "/" ] path-component { "/" path-component }
 *   domain    := host [ ":" port ]          host: DNS name or [IPv6]
 *   path-component := [a-z0-9]+ { separator [a-z0-9]+ }   separator: "." | "_" | "__" | "-"+
 *   tag       := [\w][\w.-]{0,127}
 *   digest    := algorithm ":" hex{32,}
 *
 * `domain` is set only when the first component is one by Docker's rule (it holds "." or ":", is
 * "localhost", or has upper-case letters); otherwise the image lives on Docker Hub.
 */
export interface ImageReference {
	/** As written by the user (never normalised, so annotations and outputs match the input). */
	text: string;
	/** Everything before ":tag" / "@digest", e.g. `registry.local:5000/webapp/app`. */
	repository: string;
	domain?: string;
	path: string;
	tag?: string;
	digest?: string;
}

const alphaNumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alphaNumeric}(?:${separator}${alphaNumeric})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const ipv6Host = '\\[[a-fA-F0-9:]+\\]';
const host = `(?:${domainComponent}(?:\\.${domainComponent})*|${ipv6Host})`;
const domainAndPort = `${host}(?::[0-9]+)?`;
const tagPattern = '[\\w][\\w.-]{0,127}';
const digestPattern = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

const referenceRegex = new RegExp(
	`^(?:(${domainAndPort})/)?((?:${pathComponent})(?:/${pathComponent})*)(?::(${tagPattern}))?(?:@(${digestPattern}))?$`,
);
const pathRegex = new RegExp(`^${pathComponent}(?:/${pathComponent})*$`);
const tagRegex = new RegExp(`^${tagPattern}$`);

const NAME_TOTAL_LENGTH_MAX = 255;
const EXAMPLE = 'registry.local:5000/webapp/app:1.2.3';

/** Docker's rule for "is the first component a registry host?" (docker/distribution normalize.go). */
function looksLikeDomain(component: string): boolean {
	return component.includes('.') || component.includes(':') || component === 'localhost' || component !== component.toLowerCase();
}

/** Parses an image reference or throws a BuildInputError that names `field` and says what to change. */
export function parseImageReference(text: string, field: string): ImageReference {
	const fail = (why: string): never => {
		throw new BuildInputError(field, `${field} ${quoteValue(text)} is not a valid image reference: ${why}. Use registry/repository:tag, e.g. ${EXAMPLE}.`);
	};
	if (typeof text !== 'string' || text.length === 0) fail('it is empty');
	if (text.length > 512) fail('it is longer than 512 characters');
	if (/[\s\u0000-\u001f\u007f]/.test(text)) fail('it contains whitespace or control characters');
	if (text.startsWith('-')) fail('it starts with "-"');
	if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) fail('drop the URL scheme (no https://)');

	const match = referenceRegex.exec(text);
	if (!match) {
		const beforeSuffix = text.split('@')[0].replace(/:[^/]*$/, '');
		const pathPart = beforeSuffix.includes('/') ? beforeSuffix.slice(beforeSuffix.indexOf('/') + 1) : beforeSuffix;
		if (pathPart !== pathPart.toLowerCase()) fail('the repository path must be lower case');
		const tag = /:([^/@]*)(?:@|$)/.exec(text.slice(text.lastIndexOf('/') + 1))?.[1];
		if (tag !== undefined && tag.length > 128) fail('a tag has at most 128 characters');
		if (tag !== undefined && !tagRegex.test(tag)) fail('a tag is letters, digits, "_", "." and "-", not starting with "." or "-"');
		return fail('only lower-case letters, digits, ".", "_", "-" and "/" may form the repository path');
	}
	const [, capturedDomain, capturedPath, tag, digest] = match;
	let domain: string | undefined = capturedDomain;
	let path = capturedPath;
	// The regex may take a plain first path component ("library/nginx") as a domain; Docker's rule decides.
	if (domain !== undefined && !looksLikeDomain(domain)) {
		path = `${domain}/${path}`;
		domain = undefined;
		if (!pathRegex.test(path)) fail('the repository path must be lower case');
	}
	const repository = domain ? `${domain}/${path}` : path;
	if (repository.length > NAME_TOTAL_LENGTH_MAX) fail(`the repository name is longer than ${NAME_TOTAL_LENGTH_MAX} characters`);
	return { text, repository, domain, path, tag, digest };
}

/** A push target: a tag is required and a digest makes no sense (the digest is what the build produces). */
export function parsePushReference(text: string, field: string): ImageReference {
	const ref = parseImageReference(text, field);
	if (ref.digest) {
		throw new BuildInputError(field, `${field} ${quoteValue(text)} pins a digest; a build pushes to a tag. Drop the "@sha256:…" part, e.g. ${EXAMPLE}.`);
	}
	if (!ref.tag) {
		throw new BuildInputError(field, `${field} ${quoteValue(text)} has no tag: add one, e.g. ${ref.repository}:1.2.3.`);
	}
	return ref;
}

/** True when `text` is a bare tag (no "/", ":" or "@"), so it names another tag of the same repository. */
export function isBareTag(text: string): boolean {
	return tagRegex.test(text);
}
