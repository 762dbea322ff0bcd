import { celEnv, isCelError, parse, plan, type CelInput } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { quantityFunctions, quantityRegistry } from './quantity';

/**
 * CEL as the apiserver's admission plugins run it, on @bufbuild/cel: the standard library, the strings
 * extension (split, join, trim, ...) and Kubernetes' quantity library. Objects are untyped maps, as in
 * admission (the plugin declares `object` and friends as dyn), with JSON integers as CEL ints. Not provided:
 * the optional syntax (`?.`, `orValue`; the parser has no optionals), `authorizer`, and Kubernetes' lists,
 * regex, url, ip/cidr, format and semver libraries; an expression that uses them fails to compile or reports
 * an unknown function, which a denial then quotes.
 */
const env = celEnv({ funcs: [...strings, ...quantityFunctions], registry: quantityRegistry });

export type Bindings = Record<string, unknown>;
export type Outcome = { value: unknown } | { error: string };
type Program = (bindings: Bindings) => Outcome;

const programs = new Map<string, Program>();

/** JSON (or a stored object) to CEL input: integers become ints, as the apiserver's unstructured values are. */
export function toCel(value: unknown): CelInput {
	if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
	if (Array.isArray(value)) return value.map(toCel);
	if (value && typeof value === 'object') {
		const out: Record<string, CelInput> = {};
		for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toCel(v);
		return out;
	}
	return (value ?? null) as CelInput;
}

function compile(expression: string): Program {
	let run: ReturnType<typeof plan>;
	try {
		run = plan(env, parse(expression));
	} catch (err) {
		const message = `compilation error: ${(err as Error).message}`;
		return () => ({ error: message });
	}
	return (bindings) => {
		try {
			const result = run(bindings as Record<string, CelInput>);
			return isCelError(result) ? { error: result.message } : { value: result };
		} catch (err) {
			return { error: (err as Error).message };
		}
	};
}

/** Evaluates `expression`; an error is worded as the apiserver's ("expression '…' resulted in error: …"). */
export function evaluate(expression: string, bindings: Bindings): Outcome {
	let program = programs.get(expression);
	if (!program) programs.set(expression, (program = compile(expression)));
	const outcome = program(bindings);
	if ('error' in outcome && outcome.error.startsWith('compilation error: ')) return outcome;
	return 'error' in outcome
		? { error: `expression '${expression}' resulted in error: ${outcome.error}` }
		: outcome;
}
