import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { serviceAccountIdentity, signToken, verifyToken, type TokenIdentity } from '../tokens';
import type { JobScenario, RequestRecord, ScenarioMatch, ServerConfig } from '../types';
import { decodeReview, isProtobufContentType } from './protobuf';
import { Authorizer, defaultRbacObjects, loadKustomization, type Attributes } from './rbac';
import {
	apiGroup,
	apiVersionOf,
	coreVersions,
	findResource,
	groupList,
	resourceByKind,
	resourceList,
	SERVER_VERSION,
	type ResourceDef,
} from './resources';
import { jobQuotaViolation, podQuotaViolation } from './quota';
import { review } from './reviews';
import { validateJobFields } from './fieldValidation';
import { fieldsMatch, labelsMatch, parseFieldSelector, parseLabelSelector } from './selectors';
import { JobSimulator, type SimulatorSnapshot } from './simulator';
import { ApiError, errors, immutableField, successStatus, type GroupResource } from './status';
import { Store, timestamp, type StoreSnapshot } from './store';
import { toTable } from './tables';
import { jsonPatch, mergePatch } from './patch';
import { containerStatus, logContainer, podLogText } from './podLog';
import {
	defaultJob,
	generateName,
	invalidOrNull,
	validateJob,
	validateMetadata,
	validatePodSpec,
} from './validation';
import { WatchStream } from './watch';
import { GitOpsControllers } from './gitops/controllers';
import { WorkloadController } from './gitops/workloads';
import { admitWithPolicies } from './admission/policies';

/**
 * The stand-in's request pipeline, in the apiserver's order: authentication (bearer token) → impersonation →
 * request info (verb, group, resource, namespace, name, subresource) → RBAC → handler. Also the admin-only
 * `/_standin/*` control endpoints (scenarios, faults, request log).
 */
export interface PersistedState {
	store: StoreSnapshot;
	simulator: SimulatorSnapshot;
	requests: RequestRecord[];
}

interface RequestInfo {
	def: ResourceDef;
	verb: string;
	namespace?: string;
	name?: string;
	subresource: string;
}

interface Ctx {
	req: IncomingMessage;
	res: ServerResponse;
	url: URL;
	who: TokenIdentity;
	body: Buffer;
	record: RequestRecord;
}

const MAX_BODY = 3 * 1024 * 1024;
const MAX_REQUEST_LOG = 50_000;
const connectionIds = new WeakMap<object, number>();
let connectionCount = 0;
const connectionOf = (socket: object): number => {
	let id = connectionIds.get(socket);
	if (id === undefined) connectionIds.set(socket, (id = ++connectionCount));
	return id;
};
const DEFAULT_WATCH_TIMEOUT_MS = 30 * 60 * 1000;
const JOBS = 'batch/jobs';
const PODS = '/pods';

const resourceId = (def: ResourceDef) => `${def.group}/${def.plural}`;
const gr = (def: ResourceDef): GroupResource => ({ group: def.group, resource: def.plural });

function sendJson(
	res: ServerResponse,
	code: number,
	body: unknown,
	headers: Record<string, string | string[]> = {},
): void {
	const text = JSON.stringify(body);
	res.writeHead(code, {
		'Content-Type': 'application/json',
		'Content-Length': Buffer.byteLength(text),
		...headers,
	});
	res.end(text);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		req.on('data', (c: Buffer) => {
			size += c.length;
			if (size > MAX_BODY)
				reject(
					new ApiError({
						kind: 'Status',
						apiVersion: 'v1',
						metadata: {},
						status: 'Failure',
						message: 'Request entity too large: limit is 3145728',
						reason: 'RequestEntityTooLarge',
						code: 413,
					}),
				);
			else chunks.push(c);
		});
		req.on('end', () => resolve(Buffer.concat(chunks)));
		req.on('error', reject);
	});
}

function wantsTable(req: IncomingMessage): boolean {
	return /as=Table/.test(req.headers.accept ?? '');
}

/** Sends JSON unless the client accepts only media types the stand-in does not produce (protobuf-only, CBOR). */
function checkAccept(req: IncomingMessage): void {
	const accept = req.headers.accept;
	if (!accept) return;
	const types = accept.split(',').map((t) => t.split(';')[0].trim());
	if (
		!types.some(
			(t) =>
				t === 'application/json' ||
				t === '*/*' ||
				t === 'application/*' ||
				t === 'application/yaml',
		)
	)
		throw errors.notAcceptable(accept);
}

function parseObject(ctx: Ctx, allowProtobuf = false): any {
	const type = (ctx.req.headers['content-type'] ?? 'application/json').split(';')[0].trim();
	if (allowProtobuf && isProtobufContentType(type)) {
		try {
			return decodeReview(ctx.body);
		} catch (err) {
			throw errors.badRequest(`the object provided is unrecognized: ${(err as Error).message}`);
		}
	}
	if (ctx.body.length === 0) throw errors.badRequest('the body of the request was empty');
	try {
		if (type === 'application/yaml') return parseYaml(ctx.body.toString('utf8'));
		if (type.startsWith('application/') && type.endsWith('json'))
			return JSON.parse(ctx.body.toString('utf8'));
	} catch (err) {
		throw errors.badRequest(
			`the object provided is unrecognized: couldn't get version/kind; json parse error: ${(err as Error).message}`,
		);
	}
	throw errors.unsupportedMediaType(type);
}

/** As the apiserver does: a Secret's write-only stringData goes into data (base64), stringData winning. */
function foldStringData(secret: any): void {
	if (!secret.stringData) return;
	secret.data = { ...(secret.data ?? {}) };
	for (const [key, value] of Object.entries(secret.stringData))
		secret.data[key] = Buffer.from(String(value)).toString('base64');
	delete secret.stringData;
}

export class ApiServer {
	readonly store: Store;
	readonly simulator: JobSimulator;
	readonly workloads: WorkloadController;
	readonly gitops: GitOpsControllers;
	private readonly authorizer: Authorizer;
	private readonly watches = new Set<WatchStream>();
	private requestLog: RequestRecord[] = [];
	private dropTimer?: NodeJS.Timeout;
	private persistPending = false;

	constructor(
		private readonly config: ServerConfig,
		private readonly persist: (state: PersistedState) => void,
		saved?: PersistedState,
	) {
		this.store = new Store(config.historyCapacity);
		this.authorizer = new Authorizer(this.store);
		this.simulator = new JobSimulator(this.store, {
			registry: config.registry,
			pushModule: config.pushModule,
			admitPod: (pod) => (config.enforceQuota ? podQuotaViolation(this.store, pod) : undefined),
			deleteJob: (ns, name) => this.deleteJob(ns, name, 'Background'),
			realBuilder: config.realBuilder,
			simulatedBecause: config.simulatedBecause,
		});
		if (saved) {
			this.store.restore(saved.store);
			this.requestLog = saved.requests ?? [];
			// After a restart new connections are numbered on from the saved log's.
			connectionCount = this.requestLog.reduce(
				(max, r) => Math.max(max, r.connection ?? 0),
				connectionCount,
			);
		} else this.seed();
		this.store.onChange = () => this.schedulePersist();
		this.store.subscribe((e) => {
			if (e.resource === PODS && e.type === 'DELETED')
				this.simulator.podRemoved(e.object.metadata.namespace, e.object.metadata.name);
		});
		if (saved) this.simulator.restore(saved.simulator);
		this.workloads = new WorkloadController(this.store);
		this.gitops = new GitOpsControllers(this.store, this.workloads);
	}

	/** A fresh cluster: default namespaces, the service account n8n runs as, default RBAC, then deploy/. */
	private seed(): void {
		const ns = (name: string) => ({
			apiVersion: 'v1',
			kind: 'Namespace',
			metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
			spec: { finalizers: ['kubernetes'] },
			status: { phase: 'Active' },
		});
		const objects: any[] = [
			...['default', 'kube-system', 'kube-public', 'kube-node-lease', 'automation'].map(ns),
			{
				apiVersion: 'v1',
				kind: 'ServiceAccount',
				metadata: { name: 'n8n', namespace: 'automation' },
			},
			{
				apiVersion: 'v1',
				kind: 'Node',
				metadata: {
					name: 'standin-node-1',
					labels: { 'kubernetes.io/hostname': 'standin-node-1' },
				},
				status: { capacity: { cpu: '4', memory: '8Gi', pods: '110' } },
			},
			...defaultRbacObjects(),
			...loadKustomization(this.config.rbacDir),
		];
		for (const obj of objects) {
			const def = resourceByKind(obj.apiVersion, obj.kind);
			if (!def) continue;
			if (obj.kind === 'Namespace') {
				obj.metadata.labels = {
					...(obj.metadata.labels ?? {}),
					'kubernetes.io/metadata.name': obj.metadata.name,
				};
				obj.status ??= { phase: 'Active' };
			}
			if (def.namespaced) obj.metadata.namespace ??= 'default';
			if (this.store.get(resourceId(def), obj.metadata.namespace, obj.metadata.name))
				this.store.remove(resourceId(def), obj.metadata.namespace, obj.metadata.name);
			this.store.create(resourceId(def), obj);
		}
	}

	state(): PersistedState {
		return {
			store: this.store.snapshot(),
			simulator: this.simulator.snapshot(),
			requests: this.requestLog,
		};
	}

	private schedulePersist(): void {
		if (this.persistPending) return;
		this.persistPending = true;
		setImmediate(() => {
			this.persistPending = false;
			this.persist(this.state());
		});
	}

	shutdown(): void {
		clearInterval(this.dropTimer);
		for (const w of [...this.watches]) w.destroy();
		this.simulator.stopAll();
		this.workloads.stopAll();
		this.gitops.stopAll();
		this.persist(this.state());
	}

	// ---------------------------------------------------------------------------------------------- pipeline

	async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const url = new URL(req.url ?? '/', 'https://127.0.0.1');
		const record: RequestRecord = {
			method: req.method ?? 'GET',
			path: url.pathname,
			query: url.search.replace(/^\?/, ''),
			status: 0,
			watch: url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1',
			user: '',
			at: Date.now(),
			connection: connectionOf(req.socket),
			...(req.headers['content-type'] ? { contentType: req.headers['content-type'] } : {}),
		};
		const control = url.pathname.startsWith('/_standin/');
		const origWriteHead = res.writeHead.bind(res);
		(res as any).writeHead = (code: number, ...rest: any[]) => {
			record.status = code;
			return origWriteHead(code, ...rest);
		};
		if (!control) {
			this.requestLog.push(record);
			if (this.requestLog.length > MAX_REQUEST_LOG)
				this.requestLog.splice(0, this.requestLog.length - MAX_REQUEST_LOG);
		}
		try {
			const body = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(req.method ?? '')
				? await readBody(req)
				: Buffer.alloc(0);
			const who = this.impersonate(req, this.authenticate(req));
			record.user = who.user;
			const ctx: Ctx = { req, res, url, who, body, record };
			if (control) await this.control(ctx);
			else await this.route(ctx);
		} catch (err) {
			const status =
				err instanceof ApiError
					? err.status
					: errors.internal((err as Error)?.message ?? String(err)).status;
			if (!res.headersSent) sendJson(res, status.code, status);
			else res.end();
		}
	}

	private authenticate(req: IncomingMessage): TokenIdentity {
		const auth = req.headers.authorization;
		if (!auth) return { user: 'system:anonymous', groups: ['system:unauthenticated'], uid: '' };
		const m = /^Bearer\s+(\S+)$/i.exec(auth);
		const who = m ? verifyToken(this.config.tokenSecret, m[1]) : undefined;
		if (!who) throw errors.unauthorized();
		return who;
	}

	/** Impersonate-User/Group headers (kubectl --as/--as-group), allowed only with the `impersonate` verb. */
	private impersonate(req: IncomingMessage, who: TokenIdentity): TokenIdentity {
		const user = req.headers['impersonate-user'];
		const groupHeader = req.headers['impersonate-group'];
		if (!user && !groupHeader) return who;
		if (!user) throw errors.badRequest('requested [{Group ...}] without impersonating a user');
		const name = String(user);
		const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(name);
		const attrs: Attributes = sa
			? {
					verb: 'impersonate',
					group: '',
					resource: 'serviceaccounts',
					namespace: sa[1],
					name: sa[2],
					subresource: '',
				}
			: { verb: 'impersonate', group: '', resource: 'users', name, subresource: '' };
		if (!this.authorizer.authorize(who, attrs).allowed) {
			throw errors.forbidden(
				who.user,
				'impersonate',
				{ group: '', resource: attrs.resource! },
				'',
				attrs.namespace,
				attrs.name,
			);
		}
		const groups = (
			Array.isArray(groupHeader) ? groupHeader : groupHeader ? String(groupHeader).split(',') : []
		).map((g) => g.trim());
		const base = sa
			? serviceAccountIdentity(sa[1], sa[2])
			: { user: name, groups: ['system:authenticated'], uid: '' };
		return { ...base, groups: [...new Set([...base.groups, ...groups])] };
	}

	private authorizePath(ctx: Ctx): void {
		const d = this.authorizer.authorize(ctx.who, {
			verb: (ctx.req.method ?? 'GET').toLowerCase(),
			path: ctx.url.pathname,
		});
		if (d.allowed) return;
		throw errors.forbiddenPath(
			ctx.who.user,
			(ctx.req.method ?? 'GET').toLowerCase(),
			ctx.url.pathname,
		);
	}

	private async route(ctx: Ctx): Promise<void> {
		const path = ctx.url.pathname.replace(/\/+$/, '') || '/';
		const segs = path.split('/').filter(Boolean);
		if (['/healthz', '/livez', '/readyz'].includes(path)) {
			this.authorizePath(ctx);
			ctx.res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
			ctx.res.end('ok');
			return;
		}
		if (path === '/version') return this.discovery(ctx, SERVER_VERSION);
		if (path === '/api')
			return this.discovery(ctx, coreVersions(ctx.req.headers.host ?? '127.0.0.1'));
		if (path === '/apis') return this.discovery(ctx, groupList());
		if (segs[0] === 'api' && segs.length === 2)
			return this.discovery(ctx, resourceList('', segs[1]));
		if (segs[0] === 'apis' && segs.length === 2) return this.discovery(ctx, apiGroup(segs[1]));
		if (segs[0] === 'apis' && segs.length === 3)
			return this.discovery(ctx, resourceList(segs[1], segs[2]));
		const info = this.requestInfo(ctx, segs);
		if (!info) {
			this.authorizePath(ctx);
			throw errors.pathNotFound();
		}
		this.authorizeResource(ctx, info);
		checkAccept(ctx.req);
		return this.dispatch(ctx, info);
	}

	private discovery(ctx: Ctx, doc: unknown): void {
		this.authorizePath(ctx);
		if (!doc) throw errors.pathNotFound();
		if (ctx.req.method !== 'GET') throw errors.methodNotAllowed();
		sendJson(ctx.res, 200, doc);
	}

	private requestInfo(ctx: Ctx, segs: string[]): RequestInfo | undefined {
		let group: string;
		let version: string;
		let rest: string[];
		if (segs[0] === 'api') [group, version, rest] = ['', segs[1], segs.slice(2)];
		else if (segs[0] === 'apis') [group, version, rest] = [segs[1], segs[2], segs.slice(3)];
		else return undefined;
		let namespace: string | undefined;
		if (rest[0] === 'namespaces' && rest.length >= 3) {
			namespace = rest[1];
			rest = rest.slice(2);
		}
		const [plural, name, subresource = '', ...extra] = rest;
		if (extra.length) return undefined;
		const def = findResource(group, version, plural);
		if (!def) return undefined;
		if (subresource && !def.subresources?.[subresource]) return undefined;
		if (namespace !== undefined && !def.namespaced) return undefined;
		const method = ctx.req.method ?? 'GET';
		const watch =
			ctx.url.searchParams.get('watch') === 'true' || ctx.url.searchParams.get('watch') === '1';
		const verb =
			method === 'GET'
				? watch
					? 'watch'
					: name
						? 'get'
						: 'list'
				: method === 'POST'
					? 'create'
					: method === 'PUT'
						? 'update'
						: method === 'PATCH'
							? 'patch'
							: method === 'DELETE'
								? name
									? 'delete'
									: 'deletecollection'
								: method.toLowerCase();
		return { def, verb, namespace, name, subresource };
	}

	private authorizeResource(ctx: Ctx, info: RequestInfo): void {
		const attrs: Attributes = {
			verb: info.verb,
			namespace: info.namespace,
			group: info.def.group,
			resource: info.def.plural,
			subresource: info.subresource,
			name: info.name,
		};
		if (!this.authorizer.authorize(ctx.who, attrs).allowed) {
			throw errors.forbidden(
				ctx.who.user,
				info.verb,
				gr(info.def),
				info.subresource,
				info.namespace,
				info.name,
			);
		}
	}

	// ---------------------------------------------------------------------------------------------- handlers

	private dispatch(ctx: Ctx, info: RequestInfo): Promise<void> | void {
		const { def, verb } = info;
		if (def.virtual) {
			if (verb !== 'create') throw errors.methodNotAllowed();
			const body = parseObject(ctx, true);
			return sendJson(
				ctx.res,
				201,
				review(def.kind, body, ctx.who, this.authorizer, info.namespace),
			);
		}
		if (def.namespaced && info.namespace === undefined && !['list', 'watch'].includes(verb))
			throw errors.pathNotFound();
		if (info.subresource === 'log') return this.podLog(ctx, info);
		if (['exec', 'attach', 'portforward'].includes(info.subresource)) {
			this.mustGet(def, info.namespace, info.name!);
			throw errors.badRequest('Upgrade request required');
		}
		if (info.subresource === 'token') return this.tokenRequest(ctx, info);
		switch (verb) {
			case 'get':
				return this.get(ctx, info);
			case 'list':
				return this.list(ctx, info);
			case 'watch':
				return this.watch(ctx, info);
			case 'create':
				return this.create(ctx, info);
			case 'update':
			case 'patch':
				return this.update(ctx, info);
			case 'delete':
				return this.delete(ctx, info);
			case 'deletecollection':
				return this.deleteCollection(ctx, info);
			default:
				throw errors.methodNotAllowed();
		}
	}

	private mustGet(def: ResourceDef, namespace: string | undefined, name: string): any {
		const obj = this.store.get(resourceId(def), namespace, name);
		if (!obj) throw errors.notFound(gr(def), name);
		return obj;
	}

	private get(ctx: Ctx, info: RequestInfo): void {
		const obj = this.mustGet(info.def, info.namespace, info.name!);
		if (wantsTable(ctx.req))
			return sendJson(ctx.res, 200, toTable(info.def.kind, [obj], obj.metadata.resourceVersion));
		sendJson(ctx.res, 200, obj);
	}

	private selectors(ctx: Ctx, def: ResourceDef) {
		return {
			labels: parseLabelSelector(ctx.url.searchParams.get('labelSelector') ?? undefined),
			fields: parseFieldSelector(
				ctx.url.searchParams.get('fieldSelector') ?? undefined,
				def.fields ?? [],
			),
		};
	}

	private list(ctx: Ctx, info: RequestInfo): void {
		const { labels, fields } = this.selectors(ctx, info.def);
		const q = ctx.url.searchParams;
		let items = this.store
			.list(resourceId(info.def), info.namespace)
			.filter((o) => labelsMatch(o.metadata.labels, labels) && fieldsMatch(o, fields));
		const rv = String(this.store.resourceVersion);
		let start = 0;
		let listRv = rv;
		const token = q.get('continue');
		if (token) {
			try {
				const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
				start = Number(parsed.start) || 0;
				listRv = String(parsed.rv);
			} catch {
				throw errors.badRequest('continue key is not valid: illegal base64 data');
			}
			if (Number(listRv) < this.store.oldestWatchable) {
				throw new ApiError({
					kind: 'Status',
					apiVersion: 'v1',
					metadata: {},
					status: 'Failure',
					reason: 'Expired',
					code: 410,
					message:
						'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
				});
			}
		}
		const limit = Number(q.get('limit') ?? 0);
		let cont: string | undefined;
		let remaining: number | undefined;
		if (limit > 0 && items.length - start > limit) {
			cont = Buffer.from(JSON.stringify({ rv: listRv, start: start + limit })).toString('base64');
			remaining = items.length - start - limit;
		}
		items = limit > 0 ? items.slice(start, start + limit) : items.slice(start);
		if (wantsTable(ctx.req)) {
			const table: any = toTable(info.def.kind, items, listRv);
			if (cont) table.metadata.continue = cont;
			return sendJson(ctx.res, 200, table);
		}
		for (const item of items) {
			delete item.apiVersion;
			delete item.kind;
		}
		sendJson(ctx.res, 200, {
			kind: `${info.def.kind}List`,
			apiVersion: apiVersionOf(info.def),
			metadata: {
				resourceVersion: listRv,
				...(cont ? { continue: cont, remainingItemCount: remaining } : {}),
			},
			items,
		});
	}

	private watch(ctx: Ctx, info: RequestInfo): void {
		const { labels, fields } = this.selectors(ctx, info.def);
		const q = ctx.url.searchParams;
		const timeoutSeconds = Number(q.get('timeoutSeconds') ?? 0);
		const namespace = info.namespace;
		const name = info.name;
		const stream = new WatchStream(
			ctx.res,
			this.store,
			{
				def: info.def,
				namespace,
				labels,
				fields: name ? [...fields, { field: 'metadata.name', value: name, negate: false }] : fields,
				resourceVersion: q.get('resourceVersion') ?? undefined,
				allowBookmarks: q.get('allowWatchBookmarks') === 'true',
				sendInitialEvents: q.get('sendInitialEvents') === 'true',
				timeoutMs: timeoutSeconds > 0 ? timeoutSeconds * 1000 : DEFAULT_WATCH_TIMEOUT_MS,
				bookmarkIntervalMs: this.config.bookmarkIntervalMs,
				table: wantsTable(ctx.req),
			},
			(s) => this.watches.delete(s),
		);
		this.watches.add(stream);
		stream.start();
	}

	private checkNamespace(info: RequestInfo): void {
		if (
			info.def.namespaced &&
			info.namespace &&
			!this.store.get('/namespaces', undefined, info.namespace)
		) {
			throw errors.notFound({ group: '', resource: 'namespaces' }, info.namespace);
		}
	}

	private create(ctx: Ctx, info: RequestInfo): void {
		const { def } = info;
		const obj = parseObject(ctx);
		if (!obj || typeof obj !== 'object' || Array.isArray(obj))
			throw errors.badRequest('the object provided is unrecognized: not an object');
		if (obj.apiVersion && obj.apiVersion !== apiVersionOf(def)) {
			throw errors.badRequest(
				`the API version in the data (${obj.apiVersion}) does not match the expected API version (${apiVersionOf(def)})`,
			);
		}
		if (obj.kind && obj.kind !== def.kind)
			throw errors.badRequest(
				`the kind in the data (${obj.kind}) does not match the expected kind (${def.kind})`,
			);
		obj.apiVersion = apiVersionOf(def);
		obj.kind = def.kind;
		obj.metadata ??= {};
		if (def.namespaced) {
			if (obj.metadata.namespace && obj.metadata.namespace !== info.namespace) {
				throw errors.badRequest(
					'the namespace of the provided object does not match the namespace sent on the request',
				);
			}
			obj.metadata.namespace = info.namespace;
		}
		this.checkNamespace(info);
		for (const f of [
			'uid',
			'resourceVersion',
			'creationTimestamp',
			'deletionTimestamp',
			'generation',
			'managedFields',
			'selfLink',
		])
			delete obj.metadata[f];
		const warnings =
			def.kind === 'Job' ? validateJobFields(obj, ctx.url.searchParams.get('fieldValidation')) : [];
		if (!obj.metadata.name && obj.metadata.generateName)
			obj.metadata.name = generateName(obj.metadata.generateName);
		const name = obj.metadata.name ?? '';
		const invalid =
			def.kind === 'Job'
				? invalidOrNull('Job', 'batch', name, validateJob(obj))
				: def.kind === 'Pod'
					? invalidOrNull('Pod', '', name, [
							...validateMetadata(obj.metadata),
							...validatePodSpec('spec', obj.spec),
						])
					: invalidOrNull(def.kind, def.group, name, validateMetadata(obj.metadata));
		if (invalid) throw invalid;
		obj.metadata.uid = randomUUID();
		if (def.kind === 'Job') defaultJob(obj);
		if (def.kind === 'Secret') foldStringData(obj);
		else if (def.kind !== 'Pod' && obj.spec) obj.metadata.generation = 1;
		// Validating admission sees the defaulted object, after validation and before storage (409).
		warnings.push(...this.admit(ctx, info, 'CREATE', obj));
		if (this.store.get(resourceId(def), info.namespace, name))
			throw errors.alreadyExists(gr(def), name);
		if (this.config.enforceQuota) {
			const violation =
				def.kind === 'Job'
					? jobQuotaViolation(this.store, info.namespace!)
					: def.kind === 'Pod'
						? podQuotaViolation(this.store, obj)
						: undefined;
			if (violation) throw errors.forbiddenMessage(gr(def), name, violation);
		}
		const dryRun = ctx.url.searchParams.get('dryRun') === 'All';
		if (def.kind === 'Namespace') obj.status = { phase: 'Active' };
		const headers: Record<string, string | string[]> = warnings.length ? { Warning: warnings } : {};
		if (dryRun) {
			obj.metadata.creationTimestamp = timestamp();
			return sendJson(ctx.res, 201, obj, headers);
		}
		const stored = this.store.create(resourceId(def), obj);
		if (def.kind === 'Job') this.simulator.start(stored);
		sendJson(
			ctx.res,
			201,
			this.store.get(resourceId(def), info.namespace, name) ?? stored,
			headers,
		);
	}

	private update(ctx: Ctx, info: RequestInfo): void {
		const { def } = info;
		const current = this.mustGet(def, info.namespace, info.name!);
		let next: any;
		if (ctx.req.method === 'PUT') {
			next = parseObject(ctx);
			if (next?.metadata?.name !== info.name)
				throw errors.badRequest(
					`the name of the object (${next?.metadata?.name}) does not match the name on the URL (${info.name})`,
				);
			if (
				next.metadata.resourceVersion &&
				next.metadata.resourceVersion !== current.metadata.resourceVersion
			) {
				throw errors.conflict(
					gr(def),
					info.name!,
					'the object has been modified; please apply your changes to the latest version and try again',
				);
			}
		} else {
			const type = (ctx.req.headers['content-type'] ?? '').split(';')[0].trim();
			const patch = JSON.parse(ctx.body.toString('utf8') || 'null');
			if (type === 'application/json-patch+json') next = jsonPatch(current, patch);
			else if (
				type === 'application/merge-patch+json' ||
				type === 'application/strategic-merge-patch+json'
			)
				next = mergePatch(current, patch);
			else throw errors.unsupportedMediaType(type);
		}
		// Identity fields always come from the stored object.
		next.apiVersion = current.apiVersion;
		next.kind = current.kind;
		next.metadata = {
			...next.metadata,
			name: current.metadata.name,
			namespace: current.metadata.namespace,
			uid: current.metadata.uid,
			creationTimestamp: current.metadata.creationTimestamp,
		};
		if (info.subresource === 'status') next = { ...current, status: next.status };
		else if (def.kind === 'Job' || def.kind === 'Pod' || def.subresources?.status)
			next.status = current.status;
		if (def.kind === 'Secret') foldStringData(next);
		if (def.kind === 'Job' && info.subresource !== 'status') {
			const causes = [...validateJob(next)];
			if (JSON.stringify(next.spec?.template) !== JSON.stringify(current.spec.template))
				causes.push(immutableField('spec.template'));
			if (JSON.stringify(next.spec?.selector) !== JSON.stringify(current.spec.selector))
				causes.push(immutableField('spec.selector'));
			const invalid = invalidOrNull('Job', 'batch', info.name!, causes);
			if (invalid) throw invalid;
			if (JSON.stringify(next.spec) !== JSON.stringify(current.spec))
				next.metadata.generation = (current.metadata.generation ?? 1) + 1;
		}
		if (
			def.kind !== 'Job' &&
			def.kind !== 'Pod' &&
			info.subresource !== 'status' &&
			JSON.stringify(next.spec) !== JSON.stringify(current.spec)
		) {
			next.metadata.generation = (current.metadata.generation ?? 1) + 1;
		}
		const warnings = this.admit(ctx, info, 'UPDATE', next, current);
		const headers: Record<string, string[]> = warnings.length ? { Warning: warnings } : {};
		if (ctx.url.searchParams.get('dryRun') === 'All') return sendJson(ctx.res, 200, next, headers);
		sendJson(ctx.res, 200, this.store.update(resourceId(def), next), headers);
	}

	/** ValidatingAdmissionPolicies in the store (deploy/admission seeds one); throws the first denial. */
	private admit(
		ctx: Ctx,
		info: RequestInfo,
		operation: 'CREATE' | 'UPDATE',
		object: any,
		oldObject?: any,
	): string[] {
		const { denied, warnings } = admitWithPolicies(this.store, {
			operation,
			group: info.def.group,
			version: info.def.version,
			resource: info.def.plural,
			subresource: info.subresource,
			kind: info.def.kind,
			namespace: info.namespace,
			name: object.metadata?.name ?? '',
			object,
			oldObject,
			user: ctx.who,
			dryRun: ctx.url.searchParams.get('dryRun') === 'All',
		});
		if (denied) throw denied;
		return warnings;
	}

	private deleteOptions(ctx: Ctx): any {
		let opts: any = {};
		if (ctx.body.length) {
			try {
				opts = JSON.parse(ctx.body.toString('utf8'));
			} catch {
				throw errors.badRequest('the body of the request was not valid DeleteOptions');
			}
		}
		const q = ctx.url.searchParams;
		if (q.get('propagationPolicy')) opts.propagationPolicy = q.get('propagationPolicy');
		if (q.get('dryRun')) opts.dryRun = [q.get('dryRun')];
		if (
			opts.propagationPolicy &&
			!['Orphan', 'Background', 'Foreground'].includes(opts.propagationPolicy)
		) {
			throw errors.invalid('DeleteOptions', '', '', [
				{
					reason: 'FieldValueNotSupported',
					field: 'propagationPolicy',
					message: `Unsupported value: "${opts.propagationPolicy}": supported values: "Foreground", "Background", "Orphan", "nil"`,
				},
			]);
		}
		return opts;
	}

	private delete(ctx: Ctx, info: RequestInfo): void {
		const { def } = info;
		const current = this.mustGet(def, info.namespace, info.name!);
		const opts = this.deleteOptions(ctx);
		const pre = opts.preconditions ?? {};
		if (
			(pre.uid && pre.uid !== current.metadata.uid) ||
			(pre.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion)
		) {
			throw errors.conflict(
				gr(def),
				info.name!,
				`Precondition failed: UID in precondition: ${pre.uid ?? ''}, UID in object meta: ${current.metadata.uid}`,
			);
		}
		const details = {
			name: info.name,
			group: def.group,
			kind: def.plural,
			uid: current.metadata.uid,
		};
		if ((opts.dryRun ?? []).includes('All'))
			return sendJson(ctx.res, 200, def.kind === 'Job' ? successStatus(details) : current);
		if (def.kind === 'Job') {
			const headers: Record<string, string> = {};
			// batch/v1 still orphans a Job's pods unless told otherwise, and says so.
			if (!opts.propagationPolicy) {
				headers.Warning =
					'299 - "child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to remove them or set propagationPolicy=Orphan to suppress this warning"';
			}
			const policy = opts.propagationPolicy ?? 'Orphan';
			if (policy === 'Foreground') {
				const marked = this.store.update(JOBS, {
					...current,
					metadata: {
						...current.metadata,
						deletionTimestamp: timestamp(),
						deletionGracePeriodSeconds: 0,
						finalizers: [...(current.metadata.finalizers ?? []), 'foregroundDeletion'],
					},
				});
				setTimeout(() => this.deleteJob(info.namespace!, info.name!, 'Foreground'), 20);
				return sendJson(ctx.res, 200, marked, headers);
			}
			this.deleteJob(info.namespace!, info.name!, policy);
			return sendJson(ctx.res, 200, successStatus(details), headers);
		}
		const gone = this.store.remove(resourceId(def), info.namespace, info.name!);
		if (def.kind === 'Namespace')
			for (const r of ['batch/jobs', '/pods', '/secrets', '/configmaps'])
				for (const o of this.store.list(r, info.name))
					this.store.remove(r, info.name, o.metadata.name);
		sendJson(
			ctx.res,
			200,
			def.kind === 'Pod' || def.kind === 'Namespace' ? gone : successStatus(details),
		);
	}

	/** Removes a Job and handles its pods by policy; the garbage collector's part runs right after. */
	private deleteJob(namespace: string, name: string, policy: string): void {
		const job = this.store.get(JOBS, namespace, name);
		if (!job) return;
		this.simulator.forget(namespace, name);
		const owned = this.store
			.list(PODS, namespace)
			.filter((p) => p.metadata.ownerReferences?.some((o: any) => o.uid === job.metadata.uid));
		if (policy === 'Foreground')
			for (const p of owned) this.store.remove(PODS, namespace, p.metadata.name);
		this.store.remove(JOBS, namespace, name);
		if (policy === 'Orphan') {
			for (const p of owned) {
				p.metadata.ownerReferences = p.metadata.ownerReferences.filter(
					(o: any) => o.uid !== job.metadata.uid,
				);
				this.store.update(PODS, p);
			}
		} else if (policy === 'Background') {
			setTimeout(() => {
				for (const p of owned) this.store.remove(PODS, namespace, p.metadata.name);
			}, 10);
		}
	}

	private deleteCollection(ctx: Ctx, info: RequestInfo): void {
		const { labels, fields } = this.selectors(ctx, info.def);
		const opts = this.deleteOptions(ctx);
		const items = this.store
			.list(resourceId(info.def), info.namespace)
			.filter((o) => labelsMatch(o.metadata.labels, labels) && fieldsMatch(o, fields));
		for (const o of items) {
			if (info.def.kind === 'Job')
				this.deleteJob(o.metadata.namespace, o.metadata.name, opts.propagationPolicy ?? 'Orphan');
			else this.store.remove(resourceId(info.def), o.metadata.namespace, o.metadata.name);
		}
		sendJson(ctx.res, 200, {
			kind: `${info.def.kind}List`,
			apiVersion: apiVersionOf(info.def),
			metadata: { resourceVersion: String(this.store.resourceVersion) },
			items,
		});
	}

	private tokenRequest(ctx: Ctx, info: RequestInfo): void {
		if (info.verb !== 'create') throw errors.methodNotAllowed();
		this.mustGet(info.def, info.namespace, info.name!);
		const token = signToken(
			this.config.tokenSecret,
			serviceAccountIdentity(info.namespace!, info.name!),
		);
		sendJson(ctx.res, 201, {
			kind: 'TokenRequest',
			apiVersion: 'authentication.k8s.io/v1',
			metadata: { name: info.name, namespace: info.namespace, creationTimestamp: null },
			spec: {
				audiences: ['https://kubernetes.default.svc.cluster.local'],
				expirationSeconds: 3600,
			},
			status: { token, expirationTimestamp: timestamp(Date.now() + 3600_000) },
		});
	}

	private podLog(ctx: Ctx, info: RequestInfo): void {
		if (info.verb !== 'get') throw errors.methodNotAllowed();
		const pod = this.mustGet(info.def, info.namespace, info.name!);
		const q = ctx.url.searchParams;
		const text = podLogText(
			pod,
			q,
			this.workloads.logs(info.namespace!, info.name!) ??
				this.simulator.logs(info.namespace!, info.name!),
		);
		if (q.get('follow') !== 'true') {
			ctx.res.writeHead(200, {
				'Content-Type': 'text/plain',
				'Content-Length': Buffer.byteLength(text),
			});
			ctx.res.end(text);
			return;
		}
		this.followLog(ctx, info, logContainer(pod, q), text);
	}

	/** follow=true: what exists now, then new lines as the container writes them, until it terminates. */
	private followLog(ctx: Ctx, info: RequestInfo, container: string, first: string): void {
		const limit = Number(ctx.url.searchParams.get('limitBytes') ?? 0);
		let sentBytes = Buffer.byteLength(first);
		let sentLines = (this.simulator.logs(info.namespace!, info.name!)[container] ?? []).length;
		ctx.res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
		ctx.res.write(first);
		const timer = setInterval(() => {
			const lines = this.simulator.logs(info.namespace!, info.name!)[container] ?? [];
			if (lines.length > sentLines) {
				let chunk = lines
					.slice(sentLines)
					.map((l) => `${l}\n`)
					.join('');
				sentLines = lines.length;
				if (limit > 0)
					chunk = Buffer.from(chunk)
						.subarray(0, Math.max(0, limit - sentBytes))
						.toString('utf8');
				sentBytes += Buffer.byteLength(chunk);
				ctx.res.write(chunk);
			}
			const pod = this.store.get(resourceId(info.def), info.namespace, info.name!);
			if (
				!pod ||
				containerStatus(pod, container)?.state?.terminated ||
				(limit > 0 && sentBytes >= limit)
			) {
				clearInterval(timer);
				ctx.res.end();
			}
		}, 50);
		ctx.res.on('close', () => clearInterval(timer));
	}

	// ---------------------------------------------------------------------------------------------- control

	private async control(ctx: Ctx): Promise<void> {
		if (!ctx.who.groups.includes('system:masters'))
			throw errors.forbiddenPath(
				ctx.who.user,
				(ctx.req.method ?? 'GET').toLowerCase(),
				ctx.url.pathname,
			);
		const body = ctx.body.length ? JSON.parse(ctx.body.toString('utf8')) : {};
		const op = `${ctx.req.method} ${ctx.url.pathname}`;
		switch (op) {
			case 'POST /_standin/scenario':
				this.simulator.setScenario(body.match as ScenarioMatch, body.scenario as JobScenario);
				this.schedulePersist();
				return sendJson(ctx.res, 200, { ok: true });
			case 'POST /_standin/gitops':
				this.gitops.configure(body);
				return sendJson(ctx.res, 200, { ok: true });
			case 'POST /_standin/rollout-scenario':
				this.workloads.setScenario(body.match, body.scenario);
				return sendJson(ctx.res, 200, { ok: true });
			case 'POST /_standin/faults/drop-watches':
				this.dropWatches(!!body.abrupt);
				return sendJson(ctx.res, 200, { ok: true });
			case 'POST /_standin/faults/drop-watches-every':
				clearInterval(this.dropTimer);
				this.dropTimer =
					body.ms > 0 ? setInterval(() => this.dropWatches(!!body.abrupt), body.ms) : undefined;
				return sendJson(ctx.res, 200, { ok: true });
			case 'POST /_standin/faults/forget-history':
				this.store.forgetHistory();
				this.schedulePersist();
				return sendJson(ctx.res, 200, {
					ok: true,
					resourceVersion: String(this.store.resourceVersion),
				});
			case 'GET /_standin/requests':
				return sendJson(ctx.res, 200, this.requestLog);
			case 'DELETE /_standin/requests':
				this.requestLog = [];
				return sendJson(ctx.res, 200, { ok: true });
			case 'GET /_standin/builds':
				return sendJson(ctx.res, 200, this.simulator.buildCounts());
			case 'GET /_standin/watches':
				return sendJson(ctx.res, 200, { open: this.watches.size });
			default:
				throw errors.pathNotFound();
		}
	}

	dropWatches(abrupt: boolean): void {
		for (const w of [...this.watches]) {
			if (abrupt) w.destroy();
			else w.end();
		}
	}
}
