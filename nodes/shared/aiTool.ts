import type { INodeProperties } from 'n8n-workflow';

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
	if (/[{}]{2}/.test(argument.description))
		throw new Error(`The description of "${key}" may not contain {{ or }}`);
	const args = [quoted(key), quoted(argument.description), quoted(argument.type ?? 'string')];
	if (argument.default !== undefined) args.push(quoted(String(argument.default)));
	return `={{ $fromAI(${args.join(', ')}) }}`;
}

type Conditions = NonNullable<INodeProperties['displayOptions']>['show'];

function without(conditions: Conditions, names: Set<string>): Conditions {
	if (!conditions) return undefined;
	const kept = Object.fromEntries(Object.entries(conditions).filter(([name]) => !names.has(name)));
	return Object.keys(kept).length ? kept : undefined;
}

/**
 * The node's properties with a tool mode. n8n runs a node as an AI-agent tool under the name `<name>Tool`, with
 * the node's own properties (its `usableAsTool.replacements` reach only the editor's type list), and builds the
 * tool's schema from the `$fromAI()` calls in the parameters. So each parameter the model fills gets a twin shown
 * only in tool mode (`@tool`), whose `$fromAI` default carries the description to the model; a parameter shown
 * only for some values of a model-filled one is always shown there (the editor cannot know the model's choice);
 * and defaults that read `$json` (in tool mode: the model's arguments) are cleared there. The plain node is
 * unchanged, and a `toolDescription` shown only in tool mode is what the model reads about the tool.
 */
export function withToolMode(
	toolDescription: string,
	properties: INodeProperties[],
	modelArguments: Record<string, ModelArgument>,
): INodeProperties[] {
	const names = new Set(properties.map((property) => property.name));
	for (const name of Object.keys(modelArguments)) {
		if (!names.has(name)) throw new Error(`Tool argument "${name}" is not a parameter of the node`);
	}
	const modelFilled = new Set(Object.keys(modelArguments));
	const dependsOnModel = (property: INodeProperties) =>
		[property.displayOptions?.show, property.displayOptions?.hide].some((on) =>
			Object.keys(on ?? {}).some((name) => modelFilled.has(name)),
		);
	const readsJson = (property: INodeProperties) =>
		typeof property.default === 'string' && /^=.*\$json\b/s.test(property.default);
	const result: INodeProperties[] = [];
	for (const property of properties) {
		const argument = modelArguments[property.name];
		if (!argument && !dependsOnModel(property) && !readsJson(property)) {
			result.push(property);
			continue;
		}
		result.push({
			...property,
			displayOptions: {
				...property.displayOptions,
				hide: { ...property.displayOptions?.hide, '@tool': [true] },
			},
		});
		const { displayOptions, ...rest } = property;
		delete rest.required;
		delete rest.noDataExpression;
		const hide = without(displayOptions?.hide, modelFilled);
		const twin: INodeProperties = {
			...rest,
			displayOptions: {
				show: { ...without(displayOptions?.show, modelFilled), '@tool': [true] },
				...(hide ? { hide } : {}),
			},
			default: argument
				? fromAiExpression(property.name, argument)
				: readsJson(property)
					? ''
					: property.default,
		};
		// Not `required` when the model fills it: n8n checks required parameters against the stored values, and
		// a default is not stored, so an untouched tool could not be published. The model's schema requires it.
		if (!argument) {
			if (property.required) twin.required = true;
			if (property.noDataExpression) twin.noDataExpression = true;
		}
		result.push(twin);
	}
	result.push({
		displayName: 'Tool Description',
		name: 'toolDescription',
		type: 'string',
		default: toolDescription,
		typeOptions: { rows: 3 },
		description: 'What the AI agent reads about this tool: what it does, returns and will not do',
		displayOptions: { show: { '@tool': [true] } },
	});
	return result;
}
