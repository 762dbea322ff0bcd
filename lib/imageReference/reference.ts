import { InputError, quoteValue } from '../errors';

/**
 * An image reference split per the distribution reference grammar (distribution/reference, `reference.go`):
 *
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [ domain "/" ] path-component { "/" path-component }
 *   domain    := host [ ":" port ]          host: DNS name or [IPv6]
 *   path-component := [a-z0-9]+ { separator [a-z0-9]+ }   separator: "." | "_" | "__" | "-"+
 *   tag       := [\w][\w.-]{0,127}
 *   digest    := algorithm ":" hex         sha256: 64, sha384: 96, sha512: 128 lower-case hex digits
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

const nameRegex = new RegExp(
	`^(?:(${domainAndPort})/)?((?:${pathComponent})(?:/${pathComponent})*)$`,
);
const digestGrammarRegex = new RegExp(`^${digestPattern}$`);
const pathRegex = new RegExp(`^${pathComponent}(?:/${pathComponent})*$`);
const tagRegex = new RegExp(`^${tagPattern}$`);
// The grammar takes any algorithm and 32+ hex digits; parsing a digest (opencontainers/go-digest) then accepts
// only the registered algorithms, each with its exact length of lower-case hex.
const digestRegex = /^(?:sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})$/;

export const NAME_TOTAL_LENGTH_MAX = 255;
const EXAMPLE = 'registry.local:5000/webapp/app:1.2.3';

/** Docker's rule for "is the first component a registry host?" (docker/distribution normalize.go). */
export function looksLikeDomain(component: string): boolean {
	return (
		component.includes('.') ||
		component.includes(':') ||
		component === 'localhost' ||
		component !== component.toLowerCase()
	);
}

/** The parts of `name[:tag][@digest]` as written; a part that is present but empty is ''. */
export interface ReferenceParts {
	name: string;
	tag?: string;
	digest?: string;
}

/**
 * The one split of a reference, used by every parser here: at the last "@", then at the last ":" after the
 * last "/" (so a registry port is not a tag). It checks nothing; for a reference the grammar accepts it gives
 * the same parts as the grammar.
 */
export function splitReference(text: string): ReferenceParts {
	const at = text.lastIndexOf('@');
	const digest = at >= 0 ? text.slice(at + 1) : undefined;
	const rest = at >= 0 ? text.slice(0, at) : text;
	const colon = rest.lastIndexOf(':');
	const tag = colon > rest.lastIndexOf('/') ? rest.slice(colon + 1) : undefined;
	return { name: tag !== undefined ? rest.slice(0, colon) : rest, tag, digest };
}

/** Domain and path of a name per the grammar and Docker's domain rule, or undefined when it is not a name. */
export function splitName(name: string): { domain?: string; path: string } | undefined {
	const match = nameRegex.exec(name);
	if (!match) return undefined;
	const [, domain, path] = match;
	const slash = path.indexOf('/');
	// A first component that Docker takes for a host ("my_registry.local") but the host grammar refuses is an
	// invalid host, not a Docker Hub path.
	if (domain === undefined && slash > 0 && looksLikeDomain(path.slice(0, slash))) return undefined;
	// The grammar may take a plain first path component ("library/nginx") as a domain; Docker's rule decides.
	if (domain !== undefined && !looksLikeDomain(domain)) {
		const whole = `${domain}/${path}`;
		return pathRegex.test(whole) ? { path: whole } : undefined;
	}
	return { domain, path };
}

/** True when `text` is a tag: letters, digits, "_", "." and "-", at most 128, not starting with "." or "-". */
export function isImageTag(text: string): boolean {
	return tagRegex.test(text);
}

/** True when `text` is a digest a registry accepts: sha256:<64 hex>, sha384:<96 hex> or sha512:<128 hex>. */
export function isImageDigest(text: string): boolean {
	return digestRegex.test(text);
}

/** Why a first component that Docker takes for a host is refused (the host grammar). */
export const NOT_A_REGISTRY_HOST =
	'is not a registry host (letters, digits, "-" and "." with an optional :port)';

/** Parses an image reference or throws a InputError that names `field` and says what to change. */
export function parseImageReference(text: string, field: string): ImageReference {
	const fail = (why: string): never => {
		throw new InputError(
			field,
			`${field} ${quoteValue(text)} is not a valid image reference: ${why}. Use registry/repository:tag, e.g. ${EXAMPLE}.`,
		);
	};
	if (typeof text !== 'string' || text.length === 0) fail('it is empty');
	if (text.length > 512) fail('it is longer than 512 characters');
	if (/[\s\p{Cc}]/u.test(text)) fail('it contains whitespace or control characters');
	if (text.startsWith('-')) fail('it starts with "-"');
	if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) fail('drop the URL scheme (no https://)');

	const parts = splitReference(text);
	const name = splitName(parts.name);
	const valid =
		name &&
		(parts.tag === undefined || tagRegex.test(parts.tag)) &&
		(parts.digest === undefined || digestGrammarRegex.test(parts.digest));
	if (!valid) {
		const first = parts.name.split('/')[0];
		if (parts.name.includes('/') && looksLikeDomain(first) && !splitName(`${first}/x`))
			fail(`${quoteValue(first)} ${NOT_A_REGISTRY_HOST}`);
		const beforeSuffix = text.split('@')[0].replace(/:[^/]*$/, '');
		const pathPart = beforeSuffix.includes('/')
			? beforeSuffix.slice(beforeSuffix.indexOf('/') + 1)
			: beforeSuffix;
		if (pathPart !== pathPart.toLowerCase()) fail('the repository path must be lower case');
		const tag = /:([^/@]*)(?:@|$)/.exec(text.slice(text.lastIndexOf('/') + 1))?.[1];
		if (tag !== undefined && tag.length > 128) fail('a tag has at most 128 characters');
		if (tag !== undefined && !tagRegex.test(tag))
			fail('a tag is letters, digits, "_", "." and "-", not starting with "." or "-"');
		return fail(
			'only lower-case letters, digits, ".", "_", "-" and "/" may form the repository path',
		);
	}
	const { domain, path } = name;
	const { tag, digest } = parts;
	const repository = parts.name;
	if (repository.length > NAME_TOTAL_LENGTH_MAX)
		fail(`the repository name is longer than ${NAME_TOTAL_LENGTH_MAX} characters`);
	if (digest !== undefined && !isImageDigest(digest))
		fail('a digest is sha256: followed by 64 lower-case hex digits (or sha384/sha512)');
	return { text, repository, domain, path, tag, digest };
}

/** A push target: a tag is required and a digest makes no sense (the digest is what the build produces). */
export function parsePushReference(text: string, field: string): ImageReference {
	const ref = parseImageReference(text, field);
	if (ref.digest) {
		throw new InputError(
			field,
			`${field} ${quoteValue(text)} pins a digest; a build pushes to a tag. Drop the "@sha256:…" part, e.g. ${EXAMPLE}.`,
		);
	}
	if (!ref.tag) {
		throw new InputError(
			field,
			`${field} ${quoteValue(text)} has no tag: add one, e.g. ${ref.repository}:1.2.3.`,
		);
	}
	return ref;
}
