/**
 * `metav1.Status` failures exactly as kube-apiserver words them, thrown by handlers and written by the router.
 * Clients (kubectl, client-node's ApiException, lib/k8s/apiError.ts) parse `reason`, `code` and `message`.
 */
export interface StatusCause {
	reason: string;
	message: string;
	field: string;
}

export interface StatusBody {
	kind: 'Status';
	apiVersion: 'v1';
	metadata: Record<string, never>;
	status: 'Failure' | 'Success';
	message?: string;
	reason?: string;
	details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: StatusCause[] };
	code: number;
}

export class ApiError extends Error {
	constructor(readonly status: StatusBody) {
		super(status.message);
	}
	get code(): number {
		return this.status.code;
	}
}

/** What a resource is called in messages: `jobs.batch`, `pods`. */
export interface GroupResource {
	group: string;
	resource: string;
}

export function qualified(gr: GroupResource): string {
	return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

function failure(
	code: number,
	reason: string,
	message: string,
	details?: StatusBody['details'],
): ApiError {
	const body: StatusBody = {
		kind: 'Status',
		apiVersion: 'v1',
		metadata: {},
		status: 'Failure',
		message,
		reason,
		code,
	};
	if (details) body.details = details;
	return new ApiError(body);
}

export function successStatus(details: StatusBody['details']): StatusBody {
	return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details, code: 200 };
}

export const errors = {
	badRequest: (message: string) => failure(400, 'BadRequest', message),
	unauthorized: () => failure(401, 'Unauthorized', 'Unauthorized'),
	forbidden(
		user: string,
		verb: string,
		gr: GroupResource,
		subresource: string,
		namespace: string | undefined,
		name?: string,
	) {
		const what = name ? `${qualified(gr)} "${name}"` : qualified(gr);
		const resource = subresource ? `${gr.resource}/${subresource}` : gr.resource;
		const scope = namespace ? `in the namespace "${namespace}"` : 'at the cluster scope';
		const message = `${what} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "${gr.group}" ${scope}`;
		return failure(403, 'Forbidden', message, {
			...(name ? { name } : {}),
			group: gr.group,
			kind: gr.resource,
		});
	},
	forbiddenPath: (user: string, verb: string, path: string) =>
		failure(403, 'Forbidden', `forbidden: User "${user}" cannot ${verb} path "${path}"`, {}),
	forbiddenMessage: (gr: GroupResource, name: string | undefined, message: string) =>
		failure(
			403,
			'Forbidden',
			`${name ? `${qualified(gr)} "${name}"` : qualified(gr)} is forbidden: ${message}`,
			{
				...(name ? { name } : {}),
				group: gr.group,
				kind: gr.resource,
			},
		),
	notFound: (gr: GroupResource, name: string) =>
		failure(404, 'NotFound', `${qualified(gr)} "${name}" not found`, {
			name,
			group: gr.group,
			kind: gr.resource,
		}),
	pathNotFound: () =>
		failure(404, 'NotFound', 'the server could not find the requested resource', {}),
	methodNotAllowed: () =>
		failure(
			405,
			'MethodNotAllowed',
			'the server does not allow this method on the requested resource',
			{},
		),
	notAcceptable: (accept: string) =>
		failure(
			406,
			'NotAcceptable',
			`only the following media types are accepted: application/json, application/yaml (got ${accept})`,
		),
	alreadyExists: (gr: GroupResource, name: string) =>
		failure(409, 'AlreadyExists', `${qualified(gr)} "${name}" already exists`, {
			name,
			group: gr.group,
			kind: gr.resource,
		}),
	conflict: (gr: GroupResource, name: string, message: string) =>
		failure(
			409,
			'Conflict',
			`Operation cannot be fulfilled on ${qualified(gr)} "${name}": ${message}`,
			{ name, group: gr.group, kind: gr.resource },
		),
	gone: (message: string) => failure(410, 'Expired', message),
	unsupportedMediaType: (contentType: string) =>
		failure(
			415,
			'UnsupportedMediaType',
			`the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (got ${contentType})`,
		),
	invalid(kind: string, group: string, name: string, causes: StatusCause[]) {
		const list = causes.map((c) => `${c.field}: ${c.message}`);
		const joined = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
		return failure(
			422,
			'Invalid',
			`${kind}${group ? `.${group}` : ''} "${name}" is invalid: ${joined}`,
			{ name, group, kind, causes },
		);
	},
	internal: (message: string) =>
		failure(500, 'InternalError', `Internal error occurred: ${message}`),
};

/** A 422 cause in the apiserver's field-error wording. */
export function invalidValue(field: string, value: unknown, detail: string): StatusCause {
	return {
		reason: 'FieldValueInvalid',
		message: `Invalid value: ${JSON.stringify(value)}: ${detail}`,
		field,
	};
}

export function requiredValue(field: string, detail = ''): StatusCause {
	return {
		reason: 'FieldValueRequired',
		message: `Required value${detail ? `: ${detail}` : ''}`,
		field,
	};
}

export function unsupportedValue(field: string, value: unknown, supported: string[]): StatusCause {
	return {
		reason: 'FieldValueNotSupported',
		message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((s) => `"${s}"`).join(', ')}`,
		field,
	};
}

export function immutableField(field: string): StatusCause {
	return { reason: 'FieldValueInvalid', message: 'field is immutable', field };
}
