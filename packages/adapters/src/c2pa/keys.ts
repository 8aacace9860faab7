// The studio's signing identity for content credentials. A workspace without one gets a development
// chain made with openssl on first use (EC P-256 root → intermediate, pathlen 0 → leaf for document
// signing), in <workspace>/keys/. To sign with the studio's real certificate, replace the three files
// named in docs/generation.md ("Signing with the studio's certificate") or point the env vars at them.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ToolError, WorkspaceError } from '@backlot/core';

const run = promisify(execFile);

export interface SigningKeys {
  /** PEM: the signing certificate first, then intermediates (never the root). */
  chainPem: Buffer;
  /** PEM PKCS#8 private key of the signing certificate. */
  keyPem: Buffer;
  /** PEM: roots a verifier trusts. */
  trustAnchorsPem: string;
  alg: 'es256' | 'es384' | 'es512' | 'ps256' | 'ps384' | 'ps512' | 'ed25519';
  /** 'development' for the chain made here; 'studio' for files put in by the studio. */
  source: 'development' | 'studio';
  paths: { chain: string; key: string; trustAnchors: string };
}

export const KEY_FILES = { chain: 'signing-chain.pem', key: 'signing-key.pem', trustAnchors: 'trust-anchors.pem', dev: 'dev-ca' } as const;

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') throw new ToolError('tool_missing', 'openssl is not installed: run `sudo apt-get install openssl` (or bash scripts/setup.sh)', 'openssl');
    throw new ToolError('openssl_failed', `openssl ${args[0]} failed: ${(err.stderr ?? err.message).trim().split('\n').at(-1)}`, 'openssl');
  }
}

/**
 * Makes the development chain in a temporary folder and renames it into place, so an interrupted run
 * never leaves half a chain. The EKUs are what C2PA requires of a signer: emailProtection plus
 * documentSigning (1.3.6.1.5.5.7.3.36); a leaf without them, or self-signed, is refused by the SDK.
 */
export async function createDevelopmentChain(keysDir: string): Promise<void> {
  const tmp = `${keysDir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(join(tmp, KEY_FILES.dev), { recursive: true });
  const dev = join(tmp, KEY_FILES.dev);
  await writeFile(join(dev, 'int.ext'), 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid:always\n');
  await writeFile(join(dev, 'leaf.ext'), 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,emailProtection,1.3.6.1.5.5.7.3.36\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid:always\n');
  const ec = ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'];
  await openssl(['genpkey', ...ec, '-out', 'root.key'], dev);
  await openssl(['req', '-x509', '-new', '-key', 'root.key', '-sha256', '-days', '3650', '-subj', '/CN=Backlot Development Root CA/O=Backlot (development only)', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', 'root.pem'], dev);
  await openssl(['genpkey', ...ec, '-out', 'int.key'], dev);
  await openssl(['req', '-new', '-key', 'int.key', '-subj', '/CN=Backlot Development Intermediate CA/O=Backlot (development only)', '-out', 'int.csr'], dev);
  await openssl(['x509', '-req', '-in', 'int.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-days', '1825', '-sha256', '-extfile', 'int.ext', '-out', 'int.pem'], dev);
  // genpkey writes PKCS#8, which the SDK requires for the leaf.
  await openssl(['genpkey', ...ec, '-out', 'leaf.key'], dev);
  await openssl(['req', '-new', '-key', 'leaf.key', '-subj', '/CN=Backlot Studio Signer (development)/O=Backlot (development only)', '-out', 'leaf.csr'], dev);
  await openssl(['x509', '-req', '-in', 'leaf.csr', '-CA', 'int.pem', '-CAkey', 'int.key', '-CAcreateserial', '-days', '825', '-sha256', '-extfile', 'leaf.ext', '-out', 'leaf.pem'], dev);
  const [leaf, int, root, key] = await Promise.all(['leaf.pem', 'int.pem', 'root.pem', 'leaf.key'].map((f) => readFile(join(dev, f), 'utf8')));
  await writeFile(join(tmp, KEY_FILES.chain), `${leaf!.trim()}\n${int!.trim()}\n`);
  await writeFile(join(tmp, KEY_FILES.key), key!, { mode: 0o600 });
  await writeFile(join(tmp, KEY_FILES.trustAnchors), root!);
  await writeFile(join(tmp, 'README.txt'), 'Development signing chain made by Backlot. Not trusted outside this workspace.\nTo sign with the studio certificate, see docs/generation.md.\n');
  await mkdir(join(keysDir, '..'), { recursive: true });
  try {
    await rename(tmp, keysDir);
  } catch (e) {
    // Another process made the chain first: keep theirs.
    await rm(tmp, { recursive: true, force: true });
    if (!existsSync(join(keysDir, KEY_FILES.chain))) throw e;
  }
}

/**
 * The signing keys for a workspace: env overrides (BACKLOT_SIGNING_CHAIN, BACKLOT_SIGNING_KEY,
 * BACKLOT_TRUST_ANCHORS, BACKLOT_SIGNING_ALG) or <home>/keys/, made on first use.
 */
export async function loadSigningKeys(home: string, opts: { create?: boolean } = {}): Promise<SigningKeys> {
  const keysDir = join(home, 'keys');
  const paths = {
    chain: process.env.BACKLOT_SIGNING_CHAIN ?? join(keysDir, KEY_FILES.chain),
    key: process.env.BACKLOT_SIGNING_KEY ?? join(keysDir, KEY_FILES.key),
    trustAnchors: process.env.BACKLOT_TRUST_ANCHORS ?? join(keysDir, KEY_FILES.trustAnchors),
  };
  const overridden = !!(process.env.BACKLOT_SIGNING_CHAIN || process.env.BACKLOT_SIGNING_KEY);
  if (!overridden && !existsSync(paths.chain) && opts.create !== false) await createDevelopmentChain(keysDir);
  const read = async (p: string, what: string) => {
    try {
      return await readFile(p);
    } catch {
      throw new WorkspaceError('signing_keys_missing', `cannot read the ${what} at ${p}: see docs/generation.md, "Signing with the studio's certificate"`, p);
    }
  };
  const chainPem = await read(paths.chain, 'signing certificate chain');
  const keyPem = await read(paths.key, 'signing key');
  const trustAnchorsPem = existsSync(paths.trustAnchors) ? await readFile(paths.trustAnchors, 'utf8') : '';
  const alg = (process.env.BACKLOT_SIGNING_ALG ?? 'es256') as SigningKeys['alg'];
  const source = !overridden && existsSync(join(keysDir, KEY_FILES.dev)) ? 'development' : 'studio';
  return { chainPem, keyPem, trustAnchorsPem, alg, source, paths };
}
