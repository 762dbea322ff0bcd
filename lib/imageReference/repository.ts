import { InputError, quoteValue } from '../errors';
import {
	looksLikeDomain,
	NAME_TOTAL_LENGTH_MAX,
	NOT_A_REGISTRY_HOST,
	splitName,
	splitReference,
} from './reference';

/**
 * Turns what a user types as a repository (`nginx`, `org/app`, `ghcr.io/org/app`, `registry.local:5000/web/app`,
 * optionally with an `http://` or `https://` prefix) into the registry host, the host its API answers on, and
 * the repository path, with the grammar and Docker's rules of parseImageReference: the first segment is a
 * registry only if it has a `.` or a `:`, is `localhost` or has upper-case letters; otherwise the image is on
 * Docker Hub, whose single-segment names live under `library/`.
 */
export interface RepositoryReference {
	/** Registry as users name it (docker.io for Docker Hub). */
	registry: string;
	/** Host[:port] the distribution API is served on (registry-1.docker.io for Docker Hub). */
	apiHost: string;
	/** Path inside the registry, e.g. library/nginx. */
	path: string;
	/** `registry/path` as shown to users, without a scheme. */
	name: string;
	/** True when the user wrote http:// explicitly. */
	plainHttp?: boolean;
}

/** A repository that cannot be queried; always about the `repository` parameter. */
export class RepositoryReferenceError extends InputError {
	constructor(message: string) {
		super('repository', message, { hint: "Check the repository (and the credential's registry)." });
	}
}

const DOCKER_HUB_ALIASES = new Set([
	'docker.io',
	'index.docker.io',
	'registry-1.docker.io',
	'registry.hub.docker.com',
]);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

export function isDockerHub(registry: string): boolean {
	return DOCKER_HUB_ALIASES.has(registry.toLowerCase());
}

/** The API host for a registry name (Docker Hub's differs from the name in image references). */
export function apiHostOf(registry: string): string {
	return isDockerHub(registry) ? 'registry-1.docker.io' : registry.toLowerCase();
}

/** Whether two registry names designate the same registry (Docker Hub has several names). */
export function sameRegistry(a: string, b: string): boolean {
	const norm = (r: string) =>
		isDockerHub(r)
			? 'docker.io'
			: r
					.toLowerCase()
					.replace(/^https?:\/\//, '')
					.replace(/\/+$/, '');
	return norm(a) === norm(b);
}

export function parseRepository(input: string): RepositoryReference {
	let text = input.trim();
	let plainHttp: boolean | undefined;
	const scheme = text.match(/^(https?):\/\//i);
	if (scheme) {
		plainHttp = scheme[1].toLowerCase() === 'http';
		text = text.slice(scheme[0].length);
	}
	text = text.replace(/\/+$/, '');
	// `user:password@host/app` would put a secret into every message and output; the credential is the place for it.
	// Checked before anything echoes the input.
	const firstSlash = text.indexOf('/');
	const hostPart = firstSlash < 0 ? text : text.slice(0, firstSlash);
	const isDigestOnly =
		firstSlash < 0 && /@[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-f0-9]{32,}$/i.test(text);
	if (hostPart.includes('@') && !isDigestOnly) {
		throw new RepositoryReferenceError(
			'The repository must not contain a user name or password: put them in the Container Registry credential',
		);
	}
	if (!text)
		throw new RepositoryReferenceError(
			'The repository is empty: give one such as registry.local:5000/webapp/app or nginx',
		);
	const parts = splitReference(text);
	if (parts.tag !== undefined || parts.digest !== undefined) {
		throw new RepositoryReferenceError(
			`${quoteValue(input)} includes a tag or digest: give the repository only (e.g. ${parts.name})`,
		);
	}
	const name = splitName(text);
	if (!name) {
		const segments = text.split('/');
		const domain = segments.length > 1 && looksLikeDomain(segments[0]) ? segments[0] : undefined;
		if (domain !== undefined && !splitName(`${domain}/x`)) {
			throw new RepositoryReferenceError(
				`${quoteValue(input)} is not a valid repository: ${quoteValue(domain)} ${NOT_A_REGISTRY_HOST}`,
			);
		}
		const bad =
			segments.slice(domain === undefined ? 0 : 1).find((s) => !PATH_COMPONENT.test(s)) ?? text;
		throw new RepositoryReferenceError(
			`${quoteValue(input)} is not a valid repository: ${quoteValue(bad)} must be lowercase letters, digits and separators (. _ -)`,
		);
	}
	if (text.length > NAME_TOTAL_LENGTH_MAX) {
		throw new RepositoryReferenceError(
			`${quoteValue(input)} is not a valid repository: the name is longer than ${NAME_TOTAL_LENGTH_MAX} characters`,
		);
	}
	const registry = name.domain ?? 'docker.io';
	const path =
		isDockerHub(registry) && !name.path.includes('/') ? `library/${name.path}` : name.path;
	return {
		registry,
		apiHost: apiHostOf(registry),
		path,
		name: `${isDockerHub(registry) ? 'docker.io' : registry}/${path}`,
		plainHttp,
	};
}
