import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareGitAccess, type GitCredential } from '../../../lib/gitops/gitAccess';

/** Key folders in the temp dir (os.tmpdir() reads the real environment, which a test cannot redirect). */
const keyFolders = async () =>
	new Set((await readdir(tmpdir())).filter((name) => name.startsWith('n8n-git-ssh-')));
const added = async (before: Set<string>) =>
	[...(await keyFolders())].filter((name) => !before.has(name));

const sshCredential = (): GitCredential => ({
	authentication: 'ssh',
	sshPrivateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n-----END OPENSSH PRIVATE KEY-----',
	knownHosts: '127.0.0.1 ssh-ed25519 AAAA',
});

describe('SSH key files', () => {
	it('are written to a private folder that dispose removes', async () => {
		const before = await keyFolders();
		const access = await prepareGitAccess('ssh://git@127.0.0.1:2222/repo.git', sshCredential());
		const [folder] = await added(before);
		expect((await readdir(join(tmpdir(), folder))).sort()).toEqual(['id', 'known_hosts']);
		await access.dispose();
		expect(await added(before)).toEqual([]);
	});

	it('never outlive a failure while they are being written', async () => {
		// A failure after the folder exists (a full disk, a quota): the stand-in is a credential whose Known Hosts
		// throws when read for its file, after it passed the emptiness check.
		const credential = sshCredential();
		let reads = 0;
		Object.defineProperty(credential, 'knownHosts', {
			get: () => {
				if (++reads > 1)
					throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
				return '127.0.0.1 ssh-ed25519 AAAA';
			},
		});
		const before = await keyFolders();
		await expect(prepareGitAccess('ssh://git@127.0.0.1:2222/repo.git', credential)).rejects.toThrow(
			/ENOSPC/,
		);
		expect(await added(before)).toEqual([]);
	});
});
