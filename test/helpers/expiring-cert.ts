/**
 * A certificate that expires tomorrow, made at test time (a committed one would expire): a throwaway
 * CA and a leaf for `names`, RSA 2048, SHA-256, valid from now for one day. Needs the openssl CLI.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ExpiringCert {
  key: string;
  cert: string;
  /** The throwaway CA (PEM), to trust through caFile. */
  caPem: string;
  caFile: string;
  dir: string;
}

export function makeExpiringCert(names: string[]): ExpiringCert {
  const dir = mkdtempSync(join(tmpdir(), 'mailaudit-expiring-'));
  const at = (f: string) => join(dir, f);
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', at('ca.key'), '-out', at('ca.pem'), '-days', '3650',
    '-subj', '/CN=mailaudit expiring-test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  run(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', at('leaf.key'), '-out', at('leaf.csr'), '-subj', `/CN=${names[0]}`]);
  writeFileSync(at('leaf.ext'), `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${names.map((n) => (/^\d/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',')}\n`);
  run(['x509', '-req', '-in', at('leaf.csr'), '-CA', at('ca.pem'), '-CAkey', at('ca.key'), '-CAcreateserial', '-out', at('leaf.pem'), '-days', '1', '-sha256', '-extfile', at('leaf.ext')]);
  return { key: readFileSync(at('leaf.key'), 'utf8'), cert: readFileSync(at('leaf.pem'), 'utf8'), caPem: readFileSync(at('ca.pem'), 'utf8'), caFile: at('ca.pem'), dir };
}
