import type { IHookFunctions, IWebhookFunctions } from 'n8n-workflow';
import { SignedWebhookTrigger } from '../../../nodes/SignedWebhookTrigger/SignedWebhookTrigger.node';
import { SECRET } from './signing';

/** The Signed Webhook Trigger's webhook() driven as n8n drives it, with a response and logger to inspect. */

export interface FakeResponse {
	statusCode?: number;
	body?: unknown;
	ended: boolean;
	status(code: number): FakeResponse;
	json(body: unknown): FakeResponse;
	end(): FakeResponse;
}

function fakeResponse(): FakeResponse {
	return {
		ended: false,
		status(code) {
			this.statusCode = code;
			return this;
		},
		json(body) {
			this.body = body;
			this.ended = true;
			return this;
		},
		end() {
			this.ended = true;
			return this;
		},
	};
}

export interface RequestSpec {
	headers: Record<string, string>;
	rawBody?: Buffer;
	/** Stands in for n8n's readRawBody, which fills req.rawBody when n8n has not read the body yet. */
	readRawBody?: (req: { rawBody?: Buffer }) => Promise<void>;
}

/**
 * An IWebhookFunctions with what the trigger uses: the request (headers + n8n's rawBody), a response, node
 * parameters with their defaults, the credential, the workflow id and a logger.
 */
export function webhookContext(
	request: RequestSpec,
	parameters: Record<string, unknown> = {},
	workflowId = 'wf-1',
	getCredentials: () => Promise<{ secret: string }> = async () => ({ secret: SECRET }),
) {
	const response = fakeResponse();
	const req: {
		headers: Record<string, string>;
		rawBody?: Buffer;
		readRawBody: () => Promise<void>;
	} = {
		headers: request.headers,
		rawBody: request.rawBody,
		readRawBody: async () => request.readRawBody?.(req),
	};
	const logger = { warn: jest.fn(), info: jest.fn(), debug: jest.fn(), error: jest.fn() };
	const context = {
		getRequestObject: () => req,
		getResponseObject: () => response,
		getNodeParameter: (name: string, fallback?: unknown) =>
			name in parameters ? parameters[name] : fallback,
		getCredentials,
		getWorkflow: () => ({ id: workflowId, name: 'build', active: true }),
		getNode: () => ({ name: 'Signed Webhook Trigger' }),
		logger,
	};
	return { context: context as unknown as IWebhookFunctions & IHookFunctions, response, logger };
}

export const trigger = new SignedWebhookTrigger();

export async function deliver(
	request: RequestSpec,
	parameters: Record<string, unknown> = {},
	workflowId?: string,
	getCredentials?: () => Promise<{ secret: string }>,
) {
	const { context, response, logger } = webhookContext(
		request,
		{ provider: 'github', ...parameters },
		workflowId,
		getCredentials,
	);
	const result = await trigger.webhook.call(context);
	return { result, response, logger };
}
