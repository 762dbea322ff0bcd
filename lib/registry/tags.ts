import type { RegistryClient } from './client';
import { RegistryError } from './errors';
import { parseNextLink } from './link';
import { TAG_LIST_DEFAULTS } from './defaults';

/**
 * Lists every tag of a repository: `n=pageSize` on the first request (1000: the most ECR and distribution 3.1
 * accept), then whatever `Link: <...>; rel="next"` says, resolved against the request URL and kept on the
 * registry's origin. `last=` URLs are never built here: registries that ignore `last` would loop. A 400/413
 * page-size refusal is retried once with n=100. Loops are cut three ways: a URL seen before, a page with no
 * new tags, and a page budget.
 */
export interface ListTagsOptions {
	pageSize?: number;
	maxPages?: number;
}

export interface TagListing {
	tags: string[];
	pages: number;
	/** Why listing ended before the registry stopped sending Link headers, if it did. */
	stoppedEarly?: 'repeated-link' | 'no-new-tags';
}

const FALLBACK_PAGE_SIZE = 100;

function isPageSizeRefusal(error: unknown): boolean {
	if (!(error instanceof RegistryError)) return false;
	if (error.statusCode === 413) return true;
	return (
		error.statusCode === 400 &&
		/PAGINATION_NUMBER_INVALID|TOO_MANY_TAGS|maxResults|page size|number of results/i.test(
			`${error.code ?? ''} ${error.message}`,
		)
	);
}

export async function listTags(
	client: RegistryClient,
	repository: string,
	opts: ListTagsOptions = {},
): Promise<TagListing> {
	const pageSize = opts.pageSize ?? TAG_LIST_DEFAULTS.pageSize;
	const maxPages = opts.maxPages ?? TAG_LIST_DEFAULTS.maxPages;
	const scope = `repository:${repository}:pull`;
	const origin = new URL(client.baseUrl).origin;
	const first = new URL(`/v2/${repository}/tags/list?n=${pageSize}`, client.baseUrl);
	const seenUrls = new Set<string>();
	const tags: string[] = [];
	const seenTags = new Set<string>();
	let url: URL | undefined = first;
	let pages = 0;
	while (url) {
		if (pages >= maxPages) {
			throw new RegistryError(
				`Registry ${client.registry} still had more tags after ${pages} pages (${tags.length} tags) of ${repository}; raise Max Pages or narrow the repository`,
				{ code: 'MAX_PAGES' },
			);
		}
		seenUrls.add(url.toString());
		let res;
		try {
			res = await client.send('GET', url.toString(), { scope, accept: 'application/json' });
		} catch (error) {
			if (
				pages === 0 &&
				url === first &&
				pageSize > FALLBACK_PAGE_SIZE &&
				isPageSizeRefusal(error)
			) {
				url = new URL(`/v2/${repository}/tags/list?n=${FALLBACK_PAGE_SIZE}`, client.baseUrl);
				continue;
			}
			if (error instanceof RegistryError && error.statusCode === 404) {
				throw new RegistryError(
					`Repository ${repository} was not found on registry ${client.registry} (HTTP 404${error.code ? ` ${error.code}` : ''})`,
					{
						statusCode: 404,
						code: error.code,
					},
				);
			}
			throw error;
		}
		pages++;
		let page: Array<string | null>;
		try {
			page = (JSON.parse(res.body.toString()) as { tags?: Array<string | null> | null }).tags ?? [];
		} catch {
			throw new RegistryError(
				`Registry ${client.registry} answered a tag list for ${repository} that is not JSON`,
			);
		}
		let added = 0;
		for (const tag of page) {
			// Nexus sends null entries; duplicates across pages come from registries that ignore `last`.
			if (typeof tag !== 'string' || tag === '' || seenTags.has(tag)) continue;
			seenTags.add(tag);
			tags.push(tag);
			added++;
		}
		const next = parseNextLink(res.headers.link, url.toString());
		if (!next) return { tags, pages };
		if (next.origin !== origin) {
			throw new RegistryError(
				`Registry ${client.registry} sent a next-page link to another origin (${next.origin}); refusing to follow it`,
				{ code: 'FOREIGN_LINK' },
			);
		}
		if (seenUrls.has(next.toString())) return { tags, pages, stoppedEarly: 'repeated-link' };
		if (added === 0) return { tags, pages, stoppedEarly: 'no-new-tags' };
		url = next;
	}
	return { tags, pages };
}
