import type { INodeProperties, UsableAsToolDescription } from 'n8n-workflow';

/** A parameter the model fills when the node runs as an AI-agent tool. */
export interface ModelArgument {
	/** The $fromAI key the model sees (letters, digits, _ and -); the parameter name when omitted. */
	key?: string;
	/** What the model reads in the tool's schema: what the value is, its form, an example. */
	description: string;
	type?: 'string' | 'number' | 'boolean';
	/** Used when the model leaves the argument out. */
	default?: string | number | boolean;
}

const KEY = /^[a-zA-Z0-9_-]{1,64}$/;

/** A single-quoted JavaScript string, as n8n's $fromAI parser reads it. */
function quoted(text: string): string {
	return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** `={{ $fromAI(...) }}` for one argument; descriptions cannot hold `{{`/`}}`, which would end the expression. */
export function fromAiExpression(name: string, argument: ModelArgument): string {
	const key = argument.key ?? name;
	if (!KEY.test(key)) throw new Error(`$fromAI key "${key}" must be 1–64 letters, digits, _ or -`);
	if (/[{}]{2}/.test(argument.description)) throw new Error(`The description of "${key}" may not contain {{ or }}`);
	const args = [quoted(key), quoted(argument.description), quoted(argument.type ?? 'string')];
	if (argument.default !== undefined) args.push(quoted(String(argument.default)));
	return `={{ $fromAI(${args.join(', ')}) }}`;
}

/**
 * The node's tool variant. n8n makes `<name>Tool` from the node description with `usableAsTool.replacements`
 * spread over it, and builds the tool's schema only from the `$fromAI()` calls in the parameters. So the
 * parameters a model should fill get `$fromAI` defaults that carry their description to the model (and may be
 * expressions even where the plain node fixes them), and defaults that read `$json` (the previous node's output,
 * which in tool mode is the model's arguments) are cleared, so nothing resolves to empty behind the user's back.
 * Every other parameter stays as the user sets it on the tool.
 */
export function toolVariant(
	description: string,
	properties: INodeProperties[],
	modelArguments: Record<string, ModelArgument>,
): UsableAsToolDescription {
	const names = new Set(properties.map((property) => property.name));
	for (const name of Object.keys(modelArguments)) {
		if (!names.has(name)) throw new Error(`Tool argument "${name}" is not a parameter of the node`);
	}
	// A parameter shown only for some values of a model-filled one (Semver Range for policy semver) is always
	// shown: the editor cannot know the model's choice, and a hidden parameter would run with its default.
	const dependsOnModel = (property: INodeProperties) =>
		[property.displayOptions?.show, property.displayOptions?.hide].some((on) => Object.keys(on ?? {}).some((name) => name in modelArguments));
	const toolProperties = properties.map((property): INodeProperties => {
		let result = property;
		if (dependsOnModel(result)) {
			const { displayOptions: _shownFor, ...rest } = result;
			result = rest;
		}
		const argument = modelArguments[property.name];
		if (argument) {
			// Not `required`: n8n checks required parameters against the stored values, and a default is not
			// stored, so an untouched tool could not be published. The model's schema still requires the argument.
			const { noDataExpression: _fixed, required: _required, ...rest } = result;
			return { ...rest, default: fromAiExpression(property.name, argument) };
		}
		if (typeof result.default === 'string' && /^=.*\$json\b/s.test(result.default)) return { ...result, default: '' };
		return result;
	});
	// The type of `replacements` names only base fields, but n8n spreads any description field over the node.
	return { replacements: { description, properties: toolProperties } as UsableAsToolDescription['replacements'] };
}
