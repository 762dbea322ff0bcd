import type { Params } from './harness';

/**
 * The hostile-input table for every node. A row is one input on one node and the handling it must get:
 * - `rejected`: the node stops with a NodeOperationError whose message or description names `field`;
 * - `safe`: the node runs and `why` says what keeps it safe; the suite checks exactly that (`check`);
 * - `bounded`: a tag pattern that must be either rejected (naming `field`) or run to the end; either way no
 *   hang (a generous guard, not a speed assertion).
 * Webhook rows state the HTTP status or `accepted`, and `says`: text the answer to the sender must contain.
 */

export type NodeKey = 'create' | 'wait' | 'query' | 'bump' | 'hook';

export type SafeCheck =
	/** Create BuildKit Job dry run: the value reaches the pod verbatim as one env var / one argv entry, never in a script. */
	| { kind: 'env'; name: string; value: string }
	| { kind: 'argv'; entry: string }
	/** Bump: the node ends without writing outside the repository (a not-found / nothing-changed outcome). */
	| { kind: 'contained' }
	/** Bump: the remote file parses to the same keys with the value at `key` equal to the input, as a string. */
	| { kind: 'yamlValue'; file: string; key: string; value: string }
	/** Query: the node ran to an answer (a tag or "no candidate"), not a field error. */
	| { kind: 'answered' }
	/** Bump: git itself refused the remote; no program ran (the sentinel file is absent). */
	| { kind: 'gitRefused' };

export type Expectation =
	| { rejected: string }
	| { safe: string; check: SafeCheck }
	| { bounded: string }
	| { status: number | 'accepted'; why: string; says?: string };

export interface HostileRow {
	node: NodeKey;
	concern: string;
	input: string;
	params: Params;
	expect: Expectation;
}

export interface TableContext {
	/** A file whose creation proves a command ran. */
	sentinel: string;
	/** host:port of nothing (127.0.0.1). */
	deadHost: string;
	/** The stack git server's base URL (http://127.0.0.1:PORT). */
	gitBase: string;
	/** The registry double's host:port. */
	registryHost: string;
}

const rejected = (field: string): Expectation => ({ rejected: field });

export function hostileTable(ctx: TableContext): HostileRow[] {
	const S = ctx.sentinel;
	const rows: HostileRow[] = [];
	const add = (
		node: NodeKey,
		concern: string,
		input: string,
		params: Params,
		expect: Expectation,
	) => rows.push({ node, concern, input, params, expect });

	// ---- git URLs: Create BuildKit Job (the URL goes into the pod) and Bump Git Manifest (git runs here) ----
	const gitUrls: Array<[string, 'both' | 'create']> = [
		[`ext::sh -c touch% ${S}`, 'both'],
		[`ext::sh%20-c%20touch%20${S}`, 'both'],
		['fd::17', 'both'],
		['file:///etc/passwd', 'both'],
		['file://localhost/srv/git/repo.git', 'both'],
		['/srv/git/repo.git', 'both'],
		['./repo.git', 'both'],
		['../other/repo.git', 'both'],
		[`--upload-pack=touch ${S}`, 'both'],
		[`--upload-pack=touch\${IFS}${S}`, 'both'],
		[`-oProxyCommand=touch ${S}`, 'both'],
		[`-c core.sshCommand=touch ${S}`, 'both'],
		['ftp://127.0.0.1/repo.git', 'both'],
		['rsync://127.0.0.1/repo.git', 'both'],
		['https://127.0.0.1/org/repo.git\n--upload-pack=id', 'both'],
		['https://127.0.0.1/org/repo.git --upload-pack=id', 'both'],
		['https://127.0.0.1/org/repo.git\u0000', 'both'],
		['', 'both'],
		[`https://127.0.0.1:99999/repo.git`, 'both'],
		['ssh://git:hunter2secret@127.0.0.1/repo.git', 'both'],
		['https://x-access-token:ghp_hostile0000@127.0.0.1/repo.git', 'both'],
		['git://127.0.0.1/repo.git', 'create'],
		['https://127.0.0.1/repo.git?upload-pack=id', 'create'],
		['https://127.0.0.1/repo.git#refs/heads/evil', 'create'],
		['https://évil.example/repo.git', 'create'],
		['https://127.0.0.1', 'create'],
		[`ssh://-oProxyCommand=touch\${IFS}${S}/repo.git`, 'create'],
		[`git@-oProxyCommand=touch:repo.git`, 'create'],
		['git@127.0.0.1:-repo.git', 'create'],
		['http://127.0.0.1/repo.git', 'create'],
	];
	for (const [url, where] of gitUrls) {
		add('create', 'git URL', url, { gitRepositoryUrl: url }, rejected('gitRepositoryUrl'));
		if (where === 'both')
			add('bump', 'git URL', url, { repositoryUrl: url }, rejected('repositoryUrl'));
	}
	// A token as the user name (GitHub accepts https://<token>@github.com/...) is a credential in the URL too.
	add(
		'bump',
		'git URL',
		'https://ghp_tokenonly0000@127.0.0.1/repo.git',
		{ repositoryUrl: `http://ghp_tokenonly0000@${ctx.deadHost}/repo.git` },
		rejected('repositoryUrl'),
	);
	// What the URL check lets through: harmless characters for a URL, and git itself blocks option-like hosts.
	add(
		'create',
		'git URL',
		'https://git.example.test/$(id)/repo.git;touch x',
		{ gitRepositoryUrl: 'https://git.example.test/$(id)/repo.git;touch' },
		{
			safe: 'only an env var of git-clone (GIT_URL), never part of a shell script',
			check: {
				kind: 'env',
				name: 'GIT_URL',
				value: 'https://git.example.test/$(id)/repo.git;touch',
			},
		},
	);
	add(
		'create',
		'git URL',
		"https://git.example.test/o'r/`id`.git",
		{ gitRepositoryUrl: "https://git.example.test/o'r/repo.git" },
		{
			safe: 'quote characters travel in the GIT_URL env var verbatim',
			check: { kind: 'env', name: 'GIT_URL', value: "https://git.example.test/o'r/repo.git" },
		},
	);
	add(
		'bump',
		'git URL',
		`ssh://-oProxyCommand=touch\${IFS}${S}/repo.git`,
		{ repositoryUrl: `ssh://-oProxyCommand=touch\${IFS}${S}/repo.git` },
		rejected('repositoryUrl'),
	);
	add(
		'bump',
		'git URL',
		`git@-oProxyCommand=touch:repo.git`,
		{ repositoryUrl: 'git@-oProxyCommand=touch:repo.git' },
		rejected('repositoryUrl'),
	);
	add(
		'bump',
		'git URL',
		`http://127.0.0.1/repo.git;touch ${S}`,
		{ repositoryUrl: `${ctx.gitBase}/repo.git;touch${'$'}{IFS}${S}` },
		{
			safe: 'the URL is one argv entry after "--"; the server answers not found and nothing runs',
			check: { kind: 'gitRefused' },
		},
	);

	// ---- revisions and branches ----
	for (const rev of [
		'--upload-pack=id',
		'+refs/heads/main:refs/heads/evil',
		'main..evil',
		'a b',
		'x\ny',
		'refs/heads/',
		'@{-1}',
		'v1.lock',
		'.hidden',
		'abc1234',
		'$(touch /tmp/x)',
		'~1',
		'a'.repeat(300),
	]) {
		add('create', 'git revision', rev, { gitRevision: rev }, rejected('gitRevision'));
	}
	for (const branch of ['--force', 'main..x', 'a b', 'x~1', 'refs/heads/../x', 'x.lock', '-x']) {
		add('bump', 'branch', branch, { branch }, rejected('branch'));
		add('bump', 'push branch', branch, { pushBranch: branch }, rejected('pushBranch'));
	}

	// ---- subdirectories and files in the repository ----
	const escapes = [
		'..',
		'../..',
		'../../etc',
		'a/../../b',
		'/etc',
		'/',
		'//etc',
		'./../x',
		'a/b/../../..',
	];
	for (const path of escapes) {
		add('create', 'context subdirectory', path, { contextPath: path }, rejected('contextPath'));
		add(
			'create',
			'dockerfile path',
			`${path}/Dockerfile`,
			{ dockerfile: `${path}/Dockerfile` },
			rejected('dockerfile'),
		);
		add('bump', 'marker folder', path, { mode: 'imagePolicyMarkers', path }, rejected('path'));
	}
	for (const path of ['../../etc/passwd.yaml', '/etc/hosts.yaml', 'apps/../../x.yaml'])
		add(
			'bump',
			'YAML file',
			path,
			{ mode: 'yamlPath', file: path, yamlPath: 'a', value: 'b' },
			rejected('file'),
		);
	for (const path of ['../charts/x', '/charts/webapp'])
		add(
			'bump',
			'chart folder',
			path,
			{ mode: 'helmChart', chartPath: path, valuesPath: 'image.tag', value: '1' },
			rejected('chartPath'),
		);
	add(
		'bump',
		'values file',
		'../../values.yaml',
		{
			mode: 'helmChart',
			chartPath: 'charts/webapp',
			valuesFile: '../../values.yaml',
			valuesPath: 'image.tag',
			value: '1',
		},
		rejected('valuesFile'),
	);
	for (const path of [
		'a b',
		'$(touch x)',
		'-rf',
		'context=/etc',
		'dir,evil',
		'a\u0000b',
		'..\\..\\windows',
		'%2e%2e/%2e%2e',
		'~/x',
		'a\nb',
	]) {
		add('create', 'context subdirectory', path, { contextPath: path }, rejected('contextPath'));
	}
	add(
		'bump',
		'YAML file',
		'.git/config',
		{ mode: 'yamlPath', file: '.git/config', yamlPath: 'a', value: 'b' },
		rejected('file'),
	);
	for (const path of ['..\\..\\windows', '%2e%2e/%2e%2e', 'no-such-dir']) {
		add(
			'bump',
			'marker folder',
			path,
			{ mode: 'imagePolicyMarkers', path },
			{
				safe: 'a literal folder name inside the work tree: "does not exist", nothing outside is read',
				check: { kind: 'contained' },
			},
		);
	}

	// ---- image references ----
	const badImages = [
		'--push',
		'-oevil:1',
		'reg.local/app:1,push=false',
		'reg.local/app:1",name=evil',
		'reg.local/app:1\nx',
		'reg.local/app:$(id)',
		'reg.local/app:tag;rm',
		'reg.local/App:1',
		'reg.local/app:',
		':tag',
		'reg.local//app:1',
		`reg.local/${'a'.repeat(600)}:1`,
		`reg.local/app:${'t'.repeat(129)}`,
		'https://reg.local/app:1',
		'reg.local/app:1 --insecure',
		'reg.local/app:.hidden',
		`reg.local/app:1@sha256:${'a'.repeat(64)}`,
		'reg.local/app',
	];
	for (const image of badImages)
		add('create', 'image reference', image, { image }, rejected('image'));
	for (const image of ['x,push=false', '--output=type=local', 'reg.local/app:1"', 'a b']) {
		add(
			'create',
			'additional tag',
			image,
			{ options: { additionalTags: image } },
			rejected('options.additionalTags'),
		);
		add(
			'create',
			'cache ref',
			image,
			{ options: { cacheRef: image } },
			rejected('options.cacheRef'),
		);
		add(
			'create',
			'buildkit image',
			image,
			{ options: { buildkitImage: image } },
			rejected('options.buildkitImage'),
		);
	}
	for (const repository of [
		`canary-user:hunter2@${ctx.deadHost}/webapp/app`,
		`http://u:p@${ctx.deadHost}/webapp/app`,
		`${ctx.registryHost}/webapp/App`,
		`${ctx.registryHost}/../../v2/_catalog`,
		`${ctx.registryHost}/webapp/app?n=1`,
		`${ctx.registryHost}/webapp/app#x`,
		`${ctx.registryHost}/webapp/app:1.0`,
		`${ctx.registryHost}/webapp/app@sha256:${'a'.repeat(64)}`,
		`${ctx.registryHost}/web app`,
		'',
		'/',
		`${ctx.registryHost}/-app`,
		`${ctx.registryHost}/webapp/app%2f..%2f..`,
	]) {
		add('query', 'repository', repository, { repository }, rejected('Repository'));
	}

	// ---- build args: names rejected, values carried verbatim as one argv entry ----
	for (const name of ['A B', '1ABC', 'A=B', '--opt', 'A;B', '', 'A\nB', 'X'.repeat(200), '$(id)']) {
		add(
			'create',
			'build arg name',
			name,
			{ options: { buildArgs: { arg: [{ name, value: 'v' }] } } },
			rejected('options.buildArgs'),
		);
	}
	for (const value of [
		`$(touch ${S})`,
		'`id`',
		`"; touch ${S}; "`,
		'--output type=local,dest=/',
		'a\nb',
		'x,push=false',
		"'",
		'ünïcødé ✓',
		'${HOME}',
		'-',
		'=',
		'\\',
		'%s%s%n',
	]) {
		add(
			'create',
			'build arg value',
			value,
			{ options: { buildArgs: { arg: [{ name: 'VALUE', value }] } } },
			{
				safe: 'one argv entry of buildctl ("build-arg:VALUE=<value>"), after the fixed script',
				check: { kind: 'argv', entry: `build-arg:VALUE=${value}` },
			},
		);
	}
	// BUILDKIT_* args configure BuildKit itself (BUILDKIT_SYNTAX runs any image as the frontend): refused without the opt-in.
	for (const name of [
		'BUILDKIT_SYNTAX',
		'BUILDKIT_CONTEXT_KEEP_GIT_DIR',
		'BUILDKIT_SBOM_SCAN_STAGE',
		'buildkit_syntax',
	]) {
		add(
			'create',
			'build arg name',
			name,
			{ options: { buildArgs: { arg: [{ name, value: 'docker.io/evil/frontend:1' }] } } },
			rejected('options.buildArgs'),
		);
	}
	add(
		'create',
		'build arg value',
		'NUL',
		{ options: { buildArgs: { arg: [{ name: 'VALUE', value: 'a\u0000b' }] } } },
		rejected('options.buildArgs'),
	);
	add(
		'create',
		'build arg value',
		'40,000 characters',
		{ options: { buildArgs: { arg: [{ name: 'VALUE', value: 'x'.repeat(40_000) }] } } },
		rejected('options.buildArgs'),
	);
	for (const target of ['--push', 'a b', 'stage;id', '1stage'])
		add('create', 'target stage', target, { options: { target } }, rejected('options.target'));
	for (const platform of ['linux', 'linux/amd64,linux/evil;', '../x', 'LINUX/AMD64'])
		add(
			'create',
			'platform',
			platform,
			{ options: { platforms: platform } },
			rejected('options.platforms'),
		);

	// ---- job names and namespaces ----
	for (const jobName of [
		'../x',
		'UPPER',
		'a_b',
		'j'.repeat(64),
		'-a',
		'a-',
		'a.b',
		'job;rm',
		'x?watch=1',
		'%2e%2e',
	]) {
		add('create', 'job name', jobName, { options: { jobName } }, rejected('options.jobName'));
		add('wait', 'job name', jobName, { jobName }, rejected('jobName'));
	}
	add('wait', 'job name', '(empty)', { jobName: '' }, rejected('jobName'));
	for (const namespace of [
		'kube-system/../x',
		'default?x',
		'Build-System',
		'n'.repeat(64),
		'a b',
	]) {
		add('create', 'namespace', namespace, { namespace }, rejected('namespace'));
		add(
			'wait',
			'namespace',
			namespace,
			{ namespace, jobName: 'webapp-build' },
			rejected('namespace'),
		);
	}
	for (const secret of ['../secret', 'UPPER', 'a b']) {
		add(
			'create',
			'secret name',
			secret,
			{ options: { gitSecretName: secret } },
			rejected('options.gitSecretName'),
		);
		add(
			'create',
			'secret name',
			secret,
			{ options: { registrySecretName: secret } },
			rejected('options.registrySecretName'),
		);
	}

	// ---- labels ----
	for (const value of ['a b', '-x', 'v'.repeat(64), 'a/b', '$(id)', 'x\ny', 'x;y']) {
		add(
			'create',
			'label value',
			value,
			{ options: { labels: { label: [{ name: 'team', value }] } } },
			rejected('options.labels'),
		);
	}
	for (const key of [
		'webapp',
		'buildkit.n8n.io/images',
		'app.kubernetes.io/name',
		'a/b/c',
		'-k',
		'UPPER.example/x',
		'k'.repeat(64),
		'',
	]) {
		add(
			'create',
			'label key',
			key,
			{ options: { labels: { label: [{ name: key, value: 'v' }] } } },
			rejected('options.labels'),
		);
	}

	for (const key of [
		'batch.kubernetes.io/job-name',
		'batch.kubernetes.io/controller-uid',
		'kubernetes.io/hostname',
		'node-role.kubernetes.io/control-plane',
		'k8s.io/x',
		'x.k8s.io/y',
	]) {
		add(
			'create',
			'label key',
			key,
			{ options: { labels: { label: [{ name: key, value: 'v' }] } } },
			rejected('options.labels'),
		);
	}

	// ---- resource quantities: beyond what Kubernetes stores (1e400 is Infinity to JavaScript) ----
	for (const memoryLimit of ['1e400', '9'.repeat(400), '9Ei', '1e19']) {
		add(
			'create',
			'memory limit',
			memoryLimit.length > 40
				? `${memoryLimit.slice(0, 20)}… (${memoryLimit.length} digits)`
				: memoryLimit,
			{ options: { memoryLimit } },
			rejected('options.memoryLimit'),
		);
	}
	add(
		'create',
		'cpu limit',
		'1e309',
		{ options: { cpuLimit: '1e309' } },
		rejected('options.cpuLimit'),
	);

	// ---- SBOM scanner image and buildkitd ConfigMap: references and names only ----
	for (const sbomGenerator of [
		'--privileged',
		'scanner:1 --opt x',
		'scanner,push=true',
		'scanner:1@sha256:bad',
	]) {
		add(
			'create',
			'SBOM generator',
			sbomGenerator,
			{ options: { sbomGenerator } },
			rejected('options.sbomGenerator'),
		);
	}
	for (const buildkitdConfigMap of ['../config', 'A B', 'cm;rm', '-x']) {
		add(
			'create',
			'buildkitd ConfigMap',
			buildkitdConfigMap,
			{ options: { buildkitdConfigMap } },
			rejected('options.buildkitdConfigMap'),
		);
	}

	// ---- YAML paths and values ----
	for (const yamlPath of [
		'spec..x',
		'spec[',
		'spec[abc]',
		'a.',
		'.a',
		'a["x"',
		"a['x']extra",
		'',
		'[]',
		'a..b',
		'a[-1]',
	]) {
		add(
			'bump',
			'YAML path',
			yamlPath,
			{ mode: 'yamlPath', file: 'config.yaml', yamlPath, value: 'x' },
			rejected('yamlPath'),
		);
	}
	for (const yamlPath of [
		'__proto__.polluted',
		'constructor.prototype.polluted',
		'spec.items[99999999999999999999]',
		`${'a.'.repeat(3000)}a`,
	]) {
		add(
			'bump',
			'YAML path',
			yamlPath.length > 60 ? `${yamlPath.slice(0, 40)}… (${yamlPath.length} chars)` : yamlPath,
			{ mode: 'yamlPath', file: 'config.yaml', yamlPath, value: 'x' },
			rejected('yamlPath'),
		);
	}
	const values = [
		'1.0\nevil: true',
		'"x" # comment',
		'{a: b}',
		'[1, 2]',
		'&anchor x',
		'*alias',
		`!!python/object/apply:os.system ["touch ${S}"]`,
		'on',
		'0x1F',
		'~',
		'- item',
		'---\nkind: Secret',
		'key: value',
		'1.10',
		'it\'s "quoted"',
		'#not-a-comment',
	];
	for (const value of values) {
		add(
			'bump',
			'YAML value',
			value,
			{ mode: 'yamlPath', file: 'config.yaml', yamlPath: 'spec.image.tag', value },
			{
				safe: 'written as one YAML string scalar (quoted when it could retype or break the document); the file keeps its keys',
				check: { kind: 'yamlValue', file: 'config.yaml', key: 'spec.image.tag', value },
			},
		);
	}
	for (const [tag, field] of [
		['1.0\nevil: true', 'tag'],
		['{a: b}', 'tag'],
		['latest # comment', 'tag'],
		['sha256:not-hex', 'digest'],
		['md5:abc\nx: y', 'digest'],
	]) {
		add(
			'bump',
			`image reference ${field}`,
			tag,
			{
				mode: 'imageReference',
				path: 'apps',
				imageRepository: 'reg.local/webapp',
				tag: field === 'tag' ? tag : '',
				digest: field === 'digest' ? tag : '',
			},
			rejected(field),
		);
	}
	for (const image of [
		'reg.local/webapp:1.0\nevil: true',
		'reg.local/webapp:1.0 # {"$imagepolicy": "other:x"}',
		'reg.local/webapp:{a: b}',
	]) {
		add(
			'bump',
			'marker image',
			image,
			{ mode: 'imagePolicyMarkers', path: 'apps', image },
			rejected('image'),
		);
	}

	// ---- tag patterns (Go RE2 syntax, run by Node's backtracking engine) ----
	const catastrophic = [
		'(a+)+$',
		'(a|a)*$',
		'(a|aa)+$',
		'(.*a){12}',
		'^(\\w+\\s?)*$',
		'(x+x+)+y',
		'([a-z]+)*$',
		'(.*)*x',
		'(a*)*b',
		'(?:a+){2,}b',
		'^(([a-z])+.)+[A-Z]([a-z])+$',
		'(\\d+)*\\.',
		'(a|ab|abc)*$',
		'(.+)+!',
	];
	for (const pattern of catastrophic) {
		add(
			'query',
			'tag filter pattern',
			pattern,
			{ filterPattern: pattern },
			rejected('Filter Pattern'),
		);
		add('query', 'tag exclude pattern', pattern, { exclude: pattern }, rejected('Exclude'));
	}
	for (const pattern of [
		'^(a?){25}a{25}$',
		'.*.*.*.*.*=',
		'\\d+\\d+\\d+\\d+x',
		'^[a-z0-9.-]*-[a-z0-9.-]*-[a-z0-9.-]*$',
		'(a|b|c|d|e)*z',
		'^.*.*$',
		'(?i)A+B+C+D',
	]) {
		add(
			'query',
			'tag filter pattern',
			pattern,
			{ filterPattern: pattern },
			{ bounded: 'Filter Pattern' },
		);
	}
	for (const pattern of [
		'(',
		'[z-a]',
		'(?<=x)y',
		'(a)\\1',
		'a{1001}',
		'x'.repeat(300),
		'(?P<n>a)(?P<n>b)',
		'\\',
	]) {
		add(
			'query',
			'tag filter pattern',
			pattern.length > 60 ? `${pattern.slice(0, 20)}… (${pattern.length} chars)` : pattern,
			{ filterPattern: pattern },
			rejected('Filter Pattern'),
		);
	}
	for (const range of [
		'>=1.0.0 <',
		'$(id)',
		`${'>=1.0.0 || '.repeat(3000)}>=1.0.0`,
		'1.0.0 - ',
		'v1.x.y.z',
		'>=a.b.c',
	]) {
		add(
			'query',
			'semver range',
			range.length > 60 ? `${range.slice(0, 30)}… (${range.length} chars)` : range,
			{ semverRange: range },
			{ bounded: 'Semver Range' },
		);
	}
	add(
		'query',
		'filter extract',
		'$name without a pattern',
		{ filterExtract: '$name' },
		rejected('Filter Extract'),
	);
	add(
		'query',
		'filter extract',
		'10,000 characters',
		{ filterPattern: '^(?P<v>.*)$', filterExtract: '$v'.repeat(5000) },
		rejected('Filter Extract'),
	);

	// ---- webhook bodies ----
	add(
		'hook',
		'webhook body',
		'declared 6 MiB (Content-Length)',
		{ body: 'declared-huge' },
		{ status: 413, why: 'refused from the header, before reading' },
	);
	add(
		'hook',
		'webhook body',
		'5 MiB + 1 byte, signed, no Content-Length',
		{ body: 'huge' },
		{ status: 413, why: 'measured after reading, before verifying' },
	);
	add(
		'hook',
		'webhook body',
		'6 MiB unsigned',
		{ body: 'huge-unsigned' },
		{ status: 413, why: 'size first: no HMAC over a huge body' },
	);
	add(
		'hook',
		'webhook body',
		'not JSON, signed',
		{ body: 'text' },
		{ status: 400, why: 'parsed after the signature; not an object' },
	);
	add(
		'hook',
		'webhook body',
		'JSON array, signed',
		{ body: 'array' },
		{ status: 400, why: 'only a JSON object is a delivery' },
	);
	add(
		'hook',
		'webhook body',
		'JSON string, signed',
		{ body: 'string' },
		{ status: 400, why: 'only a JSON object is a delivery' },
	);
	add(
		'hook',
		'webhook body',
		'nested 100,000 deep, signed',
		{ body: 'deep-array' },
		{ status: 400, why: 'JSON.parse handles depth; an array is not a delivery' },
	);
	add(
		'hook',
		'webhook body',
		'object nested 50,000 deep under repository, signed',
		{ body: 'deep-object' },
		{ status: 'accepted', why: 'only known string fields are read; the rest is ignored' },
	);
	add(
		'hook',
		'webhook body',
		'__proto__ keys, signed',
		{ body: 'proto' },
		{
			status: 'accepted',
			why: 'JSON.parse makes __proto__ an own key; nothing is merged, Object.prototype stays clean',
		},
	);
	add(
		'hook',
		'webhook body',
		'constructor.prototype keys, signed',
		{ body: 'constructor' },
		{ status: 'accepted', why: 'read as data only' },
	);
	add(
		'hook',
		'webhook body',
		'__proto__ in a form-encoded payload, signed',
		{ body: 'form-proto' },
		{ status: 'accepted', why: 'URLSearchParams + JSON.parse, no merge' },
	);
	add(
		'hook',
		'webhook body',
		'__proto__ keys, unsigned',
		{ body: 'proto-unsigned' },
		{ status: 401, why: 'the signature is checked before parsing' },
	);
	add(
		'hook',
		'webhook body',
		'invalid UTF-8, signed',
		{ body: 'bad-utf8' },
		{ status: 400, why: 'decoded with replacement characters; not valid JSON' },
	);
	add(
		'hook',
		'webhook body',
		'multipart/form-data',
		{ body: 'multipart' },
		{ status: 400, why: 'only JSON (or form-encoded JSON) is read' },
	);
	add(
		'hook',
		'webhook body',
		'branch "$(touch S)" in ref, signed',
		{ body: 'hostile-ref' },
		{ status: 'accepted', why: 'the branch is carried as data in the item, verbatim' },
	);
	add(
		'hook',
		'webhook body',
		'100,000 changed files, signed',
		{ body: 'many-files' },
		{ status: 'accepted', why: 'read once; the path filter runs over the list' },
	);

	// ---- webhook filters: a tag (any commit, reviewed or not) must not pass a branch filter ----
	const branchOnly = { events: ['push', 'tag', 'delete'], branches: 'main' };
	const notBuilt = {
		status: 202,
		why: 'branch globs without tag globs ignore every tag event',
		says: 'is not built: Branches is set (main) and Tags is empty',
	} as const;
	add(
		'hook',
		'tag past branch filter',
		'GitHub tag push, Events push+tag, Branches main',
		{ delivery: 'github-tag', parameters: branchOnly },
		notBuilt,
	);
	add(
		'hook',
		'tag past branch filter',
		'GitHub tag push with the default Events',
		{ delivery: 'github-tag', parameters: { branches: 'main' } },
		{
			status: 202,
			why: 'the default Events are branch pushes only',
			says: 'event "tag" is not one of: push',
		},
	);
	add(
		'hook',
		'tag past branch filter',
		'GitHub tag deleted (push, deleted: true)',
		{ delivery: 'github-tag-deleted', parameters: branchOnly },
		notBuilt,
	);
	add(
		'hook',
		'tag past branch filter',
		'GitLab Tag Push Hook',
		{ delivery: 'gitlab-tag', parameters: { ...branchOnly, provider: 'gitlab' } },
		notBuilt,
	);
	add(
		'hook',
		'tag past branch filter',
		'Flux GitRepository revision v9.9.9@sha1:…',
		{ delivery: 'flux-tag', parameters: { provider: 'flux', branches: 'main' } },
		notBuilt,
	);
	add(
		'hook',
		'tag past branch filter',
		'Flux OCI revision latest@sha256:… on a Kustomization',
		{ delivery: 'flux-oci', parameters: { provider: 'flux', branches: 'latest' } },
		{ status: 202, why: 'an OCI tag is not a branch', says: 'tag "latest" is not built' },
	);
	add(
		'hook',
		'ref event past branch filter',
		'GitHub create event for a tag, every event allowed',
		{ delivery: 'github-create-tag', parameters: { events: [], branches: 'main' } },
		{
			status: 202,
			why: 'the push GitHub also sends decides',
			says: 'GitHub also sends this creation as a push event',
		},
	);
	add(
		'hook',
		'ref event past branch filter',
		'GitHub delete event for branch feature-x, Branches main',
		{ delivery: 'github-delete-branch', parameters: branchOnly },
		{
			status: 202,
			why: 'the push GitHub also sends decides',
			says: 'GitHub also sends this deletion as a push event',
		},
	);
	add(
		'hook',
		'ref event past branch filter',
		'Gitea delete event for branch feature-x, Branches main',
		{ delivery: 'gitea-delete-branch', parameters: { ...branchOnly, provider: 'gitea' } },
		{
			status: 202,
			why: 'a bare ref + ref_type is a full ref to the branch filter',
			says: 'branch "feature-x" matches none of: main',
		},
	);
	add(
		'hook',
		'path filter',
		'force push touching only docs/, Changed Paths src/**',
		{ delivery: 'github-forced', parameters: { paths: 'src/**' } },
		{
			status: 'accepted',
			why: 'replaced commits are not listed: let through, the answer says why',
			says: 'path filter not applied: it is a force push',
		},
	);
	add(
		'hook',
		'path filter',
		'Gitea push whose commits carry no file lists, Changed Paths src/**',
		{ delivery: 'gitea-unlisted', parameters: { provider: 'gitea', paths: 'src/**' } },
		{
			status: 'accepted',
			why: 'unknown files are not "no files"',
			says: 'path filter not applied',
		},
	);

	// ---- webhook configuration: what the operator set must not weaken the check ----
	for (const algorithm of ['md5', 'sha1', 'RSA-SHA1', 'sha224', 'sha3-256']) {
		add(
			'hook',
			'weak signature algorithm',
			`generic, correctly signed with HMAC-${algorithm}`,
			{
				delivery: `generic-${algorithm}`,
				parameters: {
					provider: 'generic',
					signatureHeader: 'X-Signature',
					signatureAlgorithm: algorithm,
					signaturePrefix: '',
				},
			},
			{
				status: 500,
				why: 'only sha256/384/512 at runtime; the sender learns nothing, the log names the setting',
			},
		);
	}
	add(
		'hook',
		'weak signature algorithm',
		'Flux X-Signature: sha1=… (correct)',
		{
			delivery: 'flux-sha1',
			parameters: { provider: 'flux', options: { fluxAlgorithms: ['sha1', 'sha256'] } },
		},
		{ status: 401, why: 'sha1 is never on the Flux allow-list, whatever is configured' },
	);
	for (const secret of ['', 'x', 'fifteen-chars!!']) {
		add(
			'hook',
			'short signing secret',
			`${secret.length} characters, delivery signed with it`,
			{ delivery: 'github-push', secret },
			{
				status: 500,
				why: 'under 16 characters a secret is guessable offline from one delivery; refused, the log says why',
			},
		);
	}
	add(
		'hook',
		'short signing secret',
		'GitLab token of 15 characters, sent correctly',
		{ delivery: 'gitlab-push', secret: 'fifteen-chars!!', parameters: { provider: 'gitlab' } },
		{ status: 500, why: 'the minimum holds for every provider' },
	);
	add(
		'hook',
		'short signing secret',
		'16 characters (the minimum)',
		{ delivery: 'github-push', secret: 'sixteen-chars!!!' },
		{ status: 'accepted', why: 'long enough' },
	);

	return rows;
}
