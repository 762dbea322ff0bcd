import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface StandInCertificates {
	caPem: string;
	caFile: string;
	certFile: string;
	keyFile: string;
}

/**
 * A throwaway CA and a server certificate for 127.0.0.1/localhost, made with the system openssl (P-256 keys
 * keep this well under a second). kubectl and client-node verify the chain exactly as against a real cluster.
 */
export async function makeCertificates(dir: string): Promise<StandInCertificates> {
	const caKey = join(dir, 'ca.key');
	const caFile = join(dir, 'ca.crt');
	const keyFile = join(dir, 'server.key');
	const csr = join(dir, 'server.csr');
	const certFile = join(dir, 'server.crt');
	const ext = join(dir, 'server.ext');
	const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
	await run('openssl', [
		'req',
		'-x509',
		...ecKey,
		'-keyout',
		caKey,
		'-out',
		caFile,
		'-days',
		'2',
		'-subj',
		'/CN=kube-standin-ca',
		'-addext',
		'basicConstraints=critical,CA:TRUE',
		'-addext',
		'keyUsage=critical,keyCertSign,cRLSign',
	]);
	await run('openssl', [
		'req',
		'-new',
		...ecKey,
		'-keyout',
		keyFile,
		'-out',
		csr,
		'-subj',
		'/CN=kube-apiserver',
	]);
	await writeFile(
		ext,
		'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n',
	);
	await run('openssl', [
		'x509',
		'-req',
		'-in',
		csr,
		'-CA',
		caFile,
		'-CAkey',
		caKey,
		'-CAcreateserial',
		'-out',
		certFile,
		'-days',
		'2',
		'-extfile',
		ext,
	]);
	return { caPem: await readFile(caFile, 'utf8'), caFile, certFile, keyFile };
}
