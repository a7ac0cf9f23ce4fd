import { X509Certificate } from 'node:crypto';
import { MAX_CA_FILE_BYTES, readTextCapped } from './read-capped.js';
import { InputError } from './domain.js';

/** Reads `--ca-file`: the PEM certificates in it, each checked to parse. One file for HTTPS and SMTP alike. */
export async function readCaFile(file: string): Promise<string[]> {
  let text: string;
  try {
    text = readTextCapped(file, MAX_CA_FILE_BYTES);
  } catch (err) {
    throw new InputError(`cannot read CA file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (pems.length === 0) throw new InputError(`CA file ${file} holds no PEM certificate`);
  try {
    for (const pem of pems) new X509Certificate(pem);
  } catch (err) {
    throw new InputError(`CA file ${file}: ${(err as Error).message}`);
  }
  return pems;
}
