import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';

/**
 * Validates one of the data tables (data/<name>.json) against its schema (data/<name>.schema.json),
 * with the formats those schemas use (date, https URI, regex); returns the errors, none when valid.
 */
export function dataTableErrors(name: string): unknown[] {
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addFormat('date', /^\d{4}-\d{2}-\d{2}$/);
  ajv.addFormat('uri', /^https:\/\/\S+$/);
  ajv.addFormat('regex', (s: string) => {
    try {
      new RegExp(s);
      return true;
    } catch {
      return false;
    }
  });
  const validate = ajv.compile(JSON.parse(readFileSync(`data/${name}.schema.json`, 'utf8')));
  return validate(JSON.parse(readFileSync(`data/${name}.json`, 'utf8'))) ? [] : (validate.errors ?? []);
}
