import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import type { DomainPolicy } from './facts/index.js';
import { InputError, parseDomainName } from './input/domain.js';
import { SCHEMAS_DIR } from './paths.js';
import type { Severity } from './types.js';
import { MAX_CONFIG_FILE_BYTES, readTextCapped } from './input/read-capped.js';

/** The file looked for in the working directory when --config is not given. */
export const CONFIG_FILE_NAME = '.mailauditrc.json';

/** .mailauditrc.json, as schemas/config.schema.json describes it. */
export interface ConfigFile {
  rules?: Record<string, Severity | 'off'>;
  dkimSelectors?: string[];
  domains?: Record<string, DomainPolicy>;
}

/** The config file turned into audit settings. */
export interface Config {
  /** The file it came from (as given, or CONFIG_FILE_NAME); undefined when there is none. */
  file?: string;
  severity: Record<string, Severity>;
  disable: string[];
  dkimSelectors?: string[];
  /** By A-label domain name. */
  policies: Record<string, DomainPolicy>;
}

let validator: ReturnType<Ajv['compile']> | undefined;
function validate(data: unknown): ErrorObject[] {
  if (!validator) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    validator = ajv.compile(JSON.parse(readFileSync(join(SCHEMAS_DIR, 'config.schema.json'), 'utf8')));
  }
  return validator(data) ? [] : (validator.errors ?? []);
}

function describe(e: ErrorObject): string {
  const at = e.instancePath || '/';
  if (e.keyword === 'additionalProperties') return `${at}: unknown property "${(e.params as { additionalProperty: string }).additionalProperty}"`;
  if (e.keyword === 'enum') return `${at}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  return `${at}: ${e.message}`;
}

/**
 * Reads the config file: `file` when given (it must exist), else CONFIG_FILE_NAME in `cwd` if there
 * is one. Throws InputError naming the file and the problem; `knownRules` are the valid rule ids.
 */
export function loadConfig(file: string | undefined, cwd: string, knownRules: ReadonlySet<string>): Config {
  const path = file ?? CONFIG_FILE_NAME;
  let text: string;
  try {
    text = readTextCapped(file ? file : join(cwd, CONFIG_FILE_NAME), MAX_CONFIG_FILE_BYTES);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!file && code === 'ENOENT') return { severity: {}, disable: [], policies: {} };
    throw new InputError(`cannot read config file ${path}: ${code ?? (err as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
  } catch (err) {
    throw new InputError(`config file ${path}: not valid JSON: ${(err as Error).message}`);
  }
  const errors = validate(data);
  if (errors.length) throw new InputError(`config file ${path}: ${errors.slice(0, 3).map(describe).join('; ')}`);
  const raw = data as ConfigFile;
  const config: Config = { file: path, severity: {}, disable: [], policies: {} };
  for (const [id, level] of Object.entries(raw.rules ?? {})) {
    if (!knownRules.has(id)) throw new InputError(`config file ${path}: /rules: unknown rule id "${id}" (see \`mailaudit rules\`)`);
    if (level === 'off') config.disable.push(id);
    else config.severity[id] = level;
  }
  if (raw.dkimSelectors) config.dkimSelectors = raw.dkimSelectors;
  for (const [name, policy] of Object.entries(raw.domains ?? {})) {
    let domain: string;
    try {
      domain = parseDomainName(name).name;
    } catch (err) {
      throw new InputError(`config file ${path}: /domains/${name}: ${(err as Error).message}`);
    }
    if (policy.parked && policy.mx && policy.mx.some((h) => h !== '.')) {
      throw new InputError(`config file ${path}: /domains/${name}: a parked domain cannot expect MX hosts other than "."`);
    }
    config.policies[domain] = policy;
  }
  return config;
}
