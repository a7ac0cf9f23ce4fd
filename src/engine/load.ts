import { readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { createRequire } from 'node:module';
import type { Ajv as AjvClass, ValidateFunction } from 'ajv';
import { RULES_DIR } from '../paths.js';
import type { Rule } from './rule.js';

/** A rule file that cannot be used: the message names the file and the problem. */
export class RuleLoadError extends Error {
  override name = 'RuleLoadError';
}

function ruleFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.json') && basename(f) !== 'rule.schema.json')
    .map((f) => join(dir, f))
    .sort();
}

function describe(validate: ValidateFunction): string {
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
}

/** The rule schema's validator; ajv is loaded only when a rule file is validated (not for the built-in rules). */
function schemaValidator(dir: string): ValidateFunction {
  const { Ajv } = createRequire(import.meta.url)('ajv') as { Ajv: typeof AjvClass };
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addFormat('regex', { validate: (s: string) => { try { new RegExp(s); return true; } catch { return false; } } });
  return ajv.compile(JSON.parse(readFileSync(join(dir, 'rule.schema.json'), 'utf8')));
}

/**
 * Reads and validates every rule file under `dir`. Throws RuleLoadError naming the first bad file.
 * `validate: false` skips the schema (not the id, folder and duplicate checks): for the built-in
 * rules, which the test suite validates (test/engine-load.test.ts).
 */
export function loadRules(dir: string = RULES_DIR, options: { validate?: boolean } = {}): Rule[] {
  const validate = options.validate === false ? undefined : schemaValidator(dir);
  const seen = new Map<string, string>();
  const rules: Rule[] = [];
  for (const file of ruleFiles(dir)) {
    const shown = relative(process.cwd(), file) || file;
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new RuleLoadError(`rule file ${shown}: ${(err as Error).message}`);
    }
    if (validate && !validate(data)) throw new RuleLoadError(`rule file ${shown}: ${describe(validate)}`);
    const rule = data as Rule;
    if (rule.id !== basename(file, '.json')) throw new RuleLoadError(`rule file ${shown}: id "${rule.id}" must match the file name`);
    if (rule.category !== basename(dirname(file))) {
      throw new RuleLoadError(`rule file ${shown}: category "${rule.category}" must match its folder`);
    }
    if (seen.has(rule.id)) throw new RuleLoadError(`rule file ${shown}: id "${rule.id}" also in ${seen.get(rule.id)}`);
    seen.set(rule.id, shown);
    rules.push(rule);
  }
  return rules;
}

let cached: Rule[] | undefined;
/** The rules shipped with mailaudit, loaded once per process (validated by the tests, not on every start). */
export function builtinRules(): Rule[] {
  cached ??= loadRules(RULES_DIR, { validate: false });
  return cached;
}
