import { execFileSync } from 'node:child_process';

/** Local TCP addresses the given processes listen on (from `ss`), to check that a server binds loopback only. */
export function listeningAddresses(pids: number[]): string[] {
	const out = execFileSync('ss', ['-ltnpH'], { encoding: 'utf8' });
	return out
		.split('\n')
		.filter((line) => pids.some((pid) => line.includes(`pid=${pid},`)))
		.map((line) => line.trim().split(/\s+/)[3]);
}

/** Pids in a process group (pgrep exits 1 when there are none), to check that a stop left nothing behind. */
export function groupPids(pgid: number): number[] {
	try {
		const out = execFileSync('pgrep', ['-g', String(pgid)], { encoding: 'utf8' });
		return out
			.split('\n')
			.map((s) => Number(s.trim()))
			.filter(Boolean);
	} catch {
		return [];
	}
}
