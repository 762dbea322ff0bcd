import { InputError, quoteValue } from '../../errors';

/**
 * Checks for values that end up as Kubernetes names, labels and quantities, with the apiserver's own rules
 * (apimachinery validation), so bad input fails in the node with a named field instead of as a 422 later.
 */

const DNS1123_LABEL = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;

export function validateDns1123Label(text: string, field: string, what: string): string {
	if (typeof text !== 'string' || text.length === 0)
		throw new InputError(field, `${field} is empty: give ${what}.`);
	if (text.length > 63 || !DNS1123_LABEL.test(text)) {
		throw new InputError(
			field,
			`${field} ${quoteValue(text)} is not a valid ${what}: use at most 63 lower-case letters, digits and "-", starting and ending with a letter or digit (e.g. "webapp").`,
		);
	}
	return text;
}

/** Names of Secrets and ServiceAccounts: DNS-1123 subdomains (dots allowed), at most 253 characters. */
export function validateDns1123Subdomain(text: string, field: string, what: string): string {
	if (typeof text !== 'string' || text.length === 0)
		throw new InputError(field, `${field} is empty: give ${what}.`);
	if (text.length > 253 || !DNS1123_SUBDOMAIN.test(text)) {
		throw new InputError(
			field,
			`${field} ${quoteValue(text)} is not a valid ${what}: use lower-case letters, digits, "-" and ".", starting and ending with a letter or digit.`,
		);
	}
	return text;
}

export function validateLabelKey(key: string, field: string): string {
	const slash = key.lastIndexOf('/');
	const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
	const name = slash >= 0 ? key.slice(slash + 1) : key;
	const okPrefix = prefix === undefined || (prefix.length <= 253 && DNS1123_SUBDOMAIN.test(prefix));
	if (!key || !okPrefix || name.length > 63 || !LABEL_NAME.test(name)) {
		throw new InputError(
			field,
			`${field}: label key ${quoteValue(key)} is not valid: use [prefix/]name where name is at most 63 letters, digits, "-", "_" or "." (e.g. "team" or "example.com/team").`,
		);
	}
	return key;
}

export function validateLabelValue(value: string, field: string): string {
	if (typeof value !== 'string' || value.length > 63 || (value !== '' && !LABEL_NAME.test(value))) {
		throw new InputError(
			field,
			`${field}: label value ${quoteValue(String(value))} is not valid: use at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit.`,
		);
	}
	return value;
}

/** Kubernetes resource quantity (apimachinery resource.Quantity), as a number of base units for comparisons. */
export interface Quantity {
	text: string;
	value: number;
}

const QUANTITY = /^(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;
const MULTIPLIERS: Record<string, number> = {
	'': 1,
	n: 1e-9,
	u: 1e-6,
	m: 1e-3,
	k: 1e3,
	M: 1e6,
	G: 1e9,
	T: 1e12,
	P: 1e15,
	E: 1e18,
	Ki: 2 ** 10,
	Mi: 2 ** 20,
	Gi: 2 ** 30,
	Ti: 2 ** 40,
	Pi: 2 ** 50,
	Ei: 2 ** 60,
};

const MAX_QUANTITY = 2 ** 63 - 1;

export function parseQuantity(text: string, field: string, kind: 'memory' | 'cpu'): Quantity {
	const example = kind === 'memory' ? '"2Gi" or "512Mi"' : '"500m" or "2"';
	const match = typeof text === 'string' ? QUANTITY.exec(text) : null;
	if (!match) {
		throw new InputError(
			field,
			`${field} ${quoteValue(String(text))} is not a Kubernetes quantity: use e.g. ${example}.`,
		);
	}
	const [, number, suffix = ''] = match;
	if (kind === 'memory' && (suffix === 'm' || suffix === 'u' || suffix === 'n')) {
		// "512m" is 0.512 bytes to Kubernetes: almost always a typo for 512Mi.
		throw new InputError(
			field,
			`${field} ${quoteValue(text)} means ${number} milli-bytes; did you mean "${number}Mi"?`,
		);
	}
	const multiplier = suffix in MULTIPLIERS ? MULTIPLIERS[suffix] : 10 ** Number(suffix.slice(1));
	const value = Number(number) * multiplier;
	if (!(value > 0))
		throw new InputError(
			field,
			`${field} ${quoteValue(text)} must be greater than zero: use e.g. ${example}.`,
		);
	// "1e400" is Infinity to JavaScript; the apiserver caps quantities at 2^63-1 and answers 422 above it.
	if (!Number.isFinite(value) || value > MAX_QUANTITY) {
		throw new InputError(
			field,
			`${field} ${quoteValue(text)} is larger than any Kubernetes quantity (at most 8Ei): use e.g. ${example}.`,
		);
	}
	return { text, value };
}

const PLATFORM = /^[a-z0-9_]+\/[a-z0-9_]+(?:\/[a-z0-9_.]+)?$/;

/** os/arch[/variant], e.g. linux/amd64, linux/arm64, linux/arm/v7. */
export function validatePlatform(text: string, field: string): string {
	if (typeof text !== 'string' || !PLATFORM.test(text) || text.length > 64) {
		throw new InputError(
			field,
			`${field}: platform ${quoteValue(String(text))} is not os/arch[/variant]: use e.g. linux/amd64, linux/arm64 or linux/arm/v7.`,
		);
	}
	return text;
}

const BUILD_ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function validateBuildArgName(name: string, field: string): string {
	if (typeof name !== 'string' || name.length > 128 || !BUILD_ARG_NAME.test(name)) {
		throw new InputError(
			field,
			`${field}: build argument name ${quoteValue(String(name))} is not valid: use letters, digits and "_", not starting with a digit (like a Dockerfile ARG).`,
		);
	}
	return name;
}

const MAX_BUILD_ARG_VALUE = 32 * 1024;

/**
 * BUILDKIT_* build args configure BuildKit's Dockerfile frontend itself (BUILDKIT_SYNTAX runs any image as the
 * frontend, BUILDKIT_CONTEXT_KEEP_GIT_DIR, BUILDKIT_SBOM_SCAN_*, …), so they need an explicit opt-in.
 */
export function refuseBuildkitBuildArg(name: string, field: string, allowed: boolean): string {
	if (!allowed && /^BUILDKIT_/i.test(name)) {
		throw new InputError(
			field,
			`${field}: build argument ${name} configures BuildKit itself, not your Dockerfile (BUILDKIT_SYNTAX, for one, runs any image as the Dockerfile frontend): remove it, or turn on Options → Allow BUILDKIT_* Build Arguments.`,
		);
	}
	return name;
}

/**
 * Label prefixes Kubernetes keeps for itself (kubernetes.io, k8s.io and their subdomains, e.g.
 * batch.kubernetes.io/job-name, which the Job controller sets); app.kubernetes.io is the recommended-labels
 * prefix meant for users.
 */
export function refuseReservedLabelPrefix(key: string, field: string): string {
	const slash = key.lastIndexOf('/');
	const prefix = slash >= 0 ? key.slice(0, slash).toLowerCase() : '';
	const reserved = ['kubernetes.io', 'k8s.io'].find(
		(r) => prefix === r || prefix.endsWith(`.${r}`),
	);
	if (reserved && prefix !== 'app.kubernetes.io') {
		throw new InputError(
			field,
			`${field}: label ${key} is under the prefix ${prefix}/, which Kubernetes reserves (its controllers set or refuse such labels): use a prefix of your own, e.g. example.com/team.`,
		);
	}
	return key;
}

/** Any text is fine (it travels as one argv entry), except NUL, which no argv can carry. */
export function validateBuildArgValue(name: string, value: string, field: string): string {
	if (typeof value !== 'string')
		throw new InputError(field, `${field}: build argument ${name} must be text.`);
	if (value.includes('\u0000'))
		throw new InputError(
			field,
			`${field}: build argument ${name} contains a NUL character, which a process argument cannot carry.`,
		);
	if (value.length > MAX_BUILD_ARG_VALUE)
		throw new InputError(
			field,
			`${field}: build argument ${name} is longer than ${MAX_BUILD_ARG_VALUE} characters.`,
		);
	return value;
}

const STAGE_NAME = /^[A-Za-z][A-Za-z0-9_.-]*$/;

/** A Dockerfile stage name as used by `FROM … AS <name>`. */
export function validateTarget(text: string, field: string): string {
	if (text.length > 128 || !STAGE_NAME.test(text)) {
		throw new InputError(
			field,
			`${field} ${quoteValue(text)} is not a Dockerfile stage name: use letters, digits, "_", "." and "-", starting with a letter (the name after "FROM … AS").`,
		);
	}
	return text;
}

const PATH_SEGMENT = /^[A-Za-z0-9_@+.][A-Za-z0-9._@+-]*$/;

/**
 * A path inside the repository (context subdirectory or Dockerfile): relative, no "..", a conservative
 * character set (it becomes part of buildctl's `--local name=path` argument). "./" prefixes and trailing "/"
 * are dropped; an empty result means the repository root.
 */
export function validateRepoPath(text: string, field: string, what: string): string {
	if (typeof text !== 'string') throw new InputError(field, `${field} must be text.`);
	if (text.startsWith('/'))
		throw new InputError(
			field,
			`${field} ${quoteValue(text)} is absolute: give ${what} relative to the repository root, e.g. "services/api".`,
		);
	if (text.length > 1024) throw new InputError(field, `${field} is longer than 1024 characters.`);
	const segments = text
		.split('/')
		.filter((s, i, all) => !(s === '.' || (s === '' && (i === 0 || i === all.length - 1))));
	for (const segment of segments) {
		if (segment === '..')
			throw new InputError(
				field,
				`${field} ${quoteValue(text)} contains "..": give ${what} inside the repository, without "..".`,
			);
		if (!PATH_SEGMENT.test(segment)) {
			throw new InputError(
				field,
				`${field} ${quoteValue(text)} is not a plain relative path: use letters, digits, ".", "_", "-", "@", "+" and "/" only (no spaces, quotes, "=" or ","), e.g. "services/api".`,
			);
		}
	}
	return segments.join('/');
}
