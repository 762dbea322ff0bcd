import type { NormalisedEvent } from './types';

/**
 * Why a `create` or `delete` event starts nothing because the same ref change also arrives as a push, or null.
 *
 * One ref change starts one execution, and the push is the one: GitHub sends a push for every created or
 * deleted ref (`created`/`deleted: true`), and a webhook that builds on push receives pushes anyway. Its
 * `create` and `delete` events only repeat what that push says. Gitea and Forgejo send a push for created
 * branches and tags and for deleted tags, but a deleted branch comes only as a `delete` event, so that one
 * starts the workflow. Deciding by the event alone (no memory of the push) keeps this right when the two
 * deliveries land on different webhook processes (queue mode) or arrive in either order.
 */
export function duplicateRefEventReason(
	headerEvent: string | null,
	event: NormalisedEvent,
): string | null {
	if (headerEvent !== 'create' && headerEvent !== 'delete') return null;
	const [what, flag] = headerEvent === 'create' ? ['creation', 'created'] : ['deletion', 'deleted'];
	if (event.provider === 'github') {
		return `GitHub also sends this ${what} as a push event (${flag}: true); the push starts the workflow`;
	}
	if (event.provider === 'gitea' && (headerEvent === 'create' || event.tag !== null)) {
		return `Gitea/Forgejo also sends this ${what} as a push event; the push starts the workflow`;
	}
	return null;
}
