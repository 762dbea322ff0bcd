import { ReplayCache, ReplayCacheRegistry } from '../../../lib/webhook';

function clock(start = 1_000_000) {
	let now = start;
	return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('ReplayCache', () => {
	it('reports a repeated id inside the window and forgets it after the window', () => {
		const time = clock();
		const cache = new ReplayCache({ windowMs: 60_000, maxEntries: 10, now: time.now });
		expect(cache.isReplay('a')).toBe(false);
		time.advance(59_999);
		expect(cache.isReplay('a')).toBe(true);
		time.advance(2);
		expect(cache.isReplay('a')).toBe(false);
	});

	it('counts the window from the first delivery: replays do not extend it', () => {
		const time = clock();
		const cache = new ReplayCache({ windowMs: 1_000, maxEntries: 10, now: time.now });
		cache.isReplay('a');
		time.advance(800);
		expect(cache.isReplay('a')).toBe(true);
		time.advance(300);
		expect(cache.isReplay('a')).toBe(false);
	});

	it('stays within maxEntries, forgetting the oldest first', () => {
		const cache = new ReplayCache({ windowMs: 60_000, maxEntries: 3, now: clock().now });
		for (const id of ['a', 'b', 'c', 'd']) expect(cache.isReplay(id)).toBe(false);
		expect(cache.size).toBe(3);
		expect(cache.isReplay('d')).toBe(true);
		expect(cache.isReplay('b')).toBe(true);
		expect(cache.isReplay('a')).toBe(false); // evicted, so it counts as new again
	});

	it('counts a delivery as seen when any one of its keys was, and remembers every key of a new one', () => {
		const cache = new ReplayCache({ windowMs: 60_000, maxEntries: 10, now: clock().now });
		expect(cache.isReplay('id a', 'body 1')).toBe(false);
		expect(cache.size).toBe(2);
		expect(cache.isReplay('id b', 'body 1')).toBe(true);
		expect(cache.isReplay('id a', 'body 2')).toBe(true);
		expect(cache.size).toBe(2); // a replay teaches the cache nothing new
		expect(cache.isReplay('id c', 'body 3')).toBe(false);
	});

	it('expires old entries so memory follows the traffic of one window', () => {
		const time = clock();
		const cache = new ReplayCache({ windowMs: 1_000, maxEntries: 10_000, now: time.now });
		for (let i = 0; i < 500; i++) cache.isReplay(`old-${i}`);
		time.advance(5_000);
		cache.isReplay('new');
		expect(cache.size).toBe(1);
	});
});

describe('ReplayCacheRegistry', () => {
	const options = { windowMs: 60_000, maxEntries: 10 };

	it('keeps one cache per trigger, and starts a fresh one when the options change or the trigger is forgotten', () => {
		const registry = new ReplayCacheRegistry();
		registry.cacheFor('wf1', options).isReplay('x');
		expect(registry.cacheFor('wf1', options).isReplay('x')).toBe(true);
		expect(registry.cacheFor('wf2', options).isReplay('x')).toBe(false);
		expect(registry.cacheFor('wf1', { ...options, windowMs: 1 }).isReplay('x')).toBe(false);
		registry.cacheFor('wf2', options).isReplay('y');
		registry.forget('wf2');
		expect(registry.cacheFor('wf2', options).isReplay('y')).toBe(false);
	});

	it('holds at most maxCaches triggers, dropping the least recently used', () => {
		const registry = new ReplayCacheRegistry(2);
		registry.cacheFor('a', options).isReplay('1');
		registry.cacheFor('b', options).isReplay('1');
		registry.cacheFor('a', options); // a is now the most recent
		registry.cacheFor('c', options).isReplay('1');
		expect(registry.cacheFor('a', options).isReplay('1')).toBe(true);
		expect(registry.cacheFor('b', options).isReplay('1')).toBe(false);
	});
});
