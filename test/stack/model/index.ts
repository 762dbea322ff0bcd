import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A scripted stand-in for an OpenAI-compatible chat model on 127.0.0.1: what n8n's OpenAI Chat Model node
 * (LangChain's ChatOpenAI) talks to when its credential's Base URL points here. For each request it calls the
 * next planned tool (by the name n8n gave it) until every planned call has a tool result in the conversation,
 * then answers with text that quotes the last tool result. It answers plain JSON or, when the request asks
 * for `stream: true`, server-sent chunks as OpenAI streams them. Every request body is kept for assertions.
 */
export interface PlannedCall {
	/** Matched against the tool names in the request (n8n names a tool after its node). */
	tool: RegExp;
	arguments: Record<string, unknown>;
}

export interface ChatRequest {
	model: string;
	stream?: boolean;
	messages: Array<{
		role: string;
		content?: unknown;
		tool_call_id?: string;
		tool_calls?: unknown[];
	}>;
	tools?: Array<{
		type: 'function';
		function: { name: string; description?: string; parameters: any };
	}>;
}

export interface FakeModel {
	/** Base URL for the openAiApi credential's `url`. */
	baseUrl: string;
	requests: ChatRequest[];
	stop(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
	return new Promise((done, fail) => {
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
		req.on('error', fail);
	});
}

type Reply = { toolCall: { id: string; name: string; arguments: string } } | { text: string };

function nextReply(body: ChatRequest, plan: PlannedCall[]): Reply {
	const results = body.messages.filter((message) => message.role === 'tool');
	const step = plan[results.length];
	if (!step) {
		const last = results.at(-1)?.content;
		return {
			text: `Done. Last tool result: ${typeof last === 'string' ? last : JSON.stringify(last)}`,
		};
	}
	const tool = body.tools?.find((candidate) => step.tool.test(candidate.function.name));
	if (!tool)
		return {
			text: `No tool matches ${step.tool} among ${body.tools?.map((t) => t.function.name).join(', ')}`,
		};
	return {
		toolCall: {
			id: `call_${results.length + 1}`,
			name: tool.function.name,
			arguments: JSON.stringify(step.arguments),
		},
	};
}

function completion(body: ChatRequest, reply: Reply) {
	const message =
		'toolCall' in reply
			? {
					role: 'assistant',
					content: null,
					tool_calls: [
						{
							id: reply.toolCall.id,
							type: 'function',
							function: { name: reply.toolCall.name, arguments: reply.toolCall.arguments },
						},
					],
				}
			: { role: 'assistant', content: reply.text };
	return {
		id: 'chatcmpl-stack',
		object: 'chat.completion',
		created: Math.floor(Date.now() / 1000),
		model: body.model,
		choices: [{ index: 0, message, finish_reason: 'toolCall' in reply ? 'tool_calls' : 'stop' }],
		usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
	};
}

/** The same reply as OpenAI's stream: a role chunk, the content or tool call in pieces, a finish chunk, [DONE]. */
function chunks(body: ChatRequest, reply: Reply): string[] {
	const chunk = (delta: object, finish: string | null = null) =>
		`data: ${JSON.stringify({ id: 'chatcmpl-stack', object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: body.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
	const out = [chunk({ role: 'assistant', content: '' })];
	if ('toolCall' in reply) {
		const { id, name, arguments: args } = reply.toolCall;
		const half = Math.ceil(args.length / 2);
		out.push(
			chunk({
				tool_calls: [
					{ index: 0, id, type: 'function', function: { name, arguments: args.slice(0, half) } },
				],
			}),
		);
		out.push(chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(half) } }] }));
		out.push(chunk({}, 'tool_calls'));
	} else {
		for (const word of reply.text.split(/(?<= )/)) out.push(chunk({ content: word }));
		out.push(chunk({}, 'stop'));
	}
	out.push('data: [DONE]\n\n');
	return out;
}

export async function startFakeModel(plan: PlannedCall[]): Promise<FakeModel> {
	const requests: ChatRequest[] = [];
	const server: Server = createServer(async (req, res) => {
		if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
			res
				.writeHead(404, { 'content-type': 'application/json' })
				.end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}` } }));
			return;
		}
		const body = JSON.parse(await readBody(req)) as ChatRequest;
		requests.push(body);
		const reply = nextReply(body, plan);
		if (body.stream) {
			res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
			for (const piece of chunks(body, reply)) res.write(piece);
			res.end();
			return;
		}
		res
			.writeHead(200, { 'content-type': 'application/json' })
			.end(JSON.stringify(completion(body, reply)));
	});
	await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
	const { port } = server.address() as AddressInfo;
	return {
		baseUrl: `http://127.0.0.1:${port}/v1`,
		requests,
		stop: () => new Promise<void>((done) => server.close(() => done())),
	};
}
