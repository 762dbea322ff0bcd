import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ensureBuilt } from '../stack/n8n/packageInstall';
import { REPO_ROOT } from '../stack/n8n/toolchain';

/**
 * n8n resolves a `file:` icon relative to the compiled node or credential file and serves it only from inside
 * the installed package; a path that is missing in dist/ shows as a blank node on the canvas.
 */

type Icon = string | { light: string; dark: string } | undefined;

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
	n8n: { nodes: string[]; credentials: string[] };
};

function iconOf(file: string): Icon {
	// The compiled file, required as n8n requires it.
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const exported = require(join(REPO_ROOT, file)) as Record<
		string,
		new () => Record<string, unknown>
	>;
	const instance = new (Object.values(exported)[0])();
	const description = (instance.description ?? instance) as { icon?: Icon };
	return description.icon;
}

beforeAll(() => ensureBuilt());

test.each([...pkg.n8n.nodes, ...pkg.n8n.credentials])(
	'%s names light and dark icons that ship in dist/',
	(file) => {
		const icon = iconOf(file);
		expect(icon).toEqual({
			light: expect.stringMatching(/^file:/),
			dark: expect.stringMatching(/^file:/),
		});
		for (const path of Object.values(icon as Record<string, string>)) {
			const target = resolve(dirname(join(REPO_ROOT, file)), path.slice('file:'.length));
			expect(relative(join(REPO_ROOT, 'dist'), target)).not.toMatch(/^\.\./);
			expect(existsSync(target)).toBe(true);
		}
	},
);
