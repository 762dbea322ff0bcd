/**
 * The trailer every commit Bump Git Manifest makes carries, so `revert` can refuse commits it did not make
 * (a human's fix, another tool's bump) whatever the author settings are.
 */
export const BUMP_TRAILER_KEY = 'Bumped-by';
export const BUMP_TRAILER = `${BUMP_TRAILER_KEY}: n8n-nodes-buildkit`;

export function withBumpTrailer(message: string): string {
	return message.includes(BUMP_TRAILER) ? message : `${message.trimEnd()}\n\n${BUMP_TRAILER}`;
}

export function hasBumpTrailer(message: string): boolean {
	return message.split('\n').some((line) => line.trim() === BUMP_TRAILER);
}
