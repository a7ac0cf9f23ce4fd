/**
 * Every option of the command line, declared once with its kind. The kind decides how yargs parses
 * it and how its value is read and checked, so a new option gets the same behaviour as the others:
 *
 * - `strings`: repeatable, exactly one value per occurrence (`--zone a --zone b`), never swallowing
 *   the domains after it.
 * - `string`, `choice`: one value; repeated, the last one wins.
 * - `integer`, `number`: one value within [min, max]; the text given is checked (no NaN, no 1.5 for
 *   an integer, no 1e10 out of range), last one wins, and an error names the option and the text.
 * - `boolean`: a flag with its `--no-` form; repeated, the last one wins.
 *
 * Options may stand anywhere, before or after the domains, as `--opt value` or `--opt=value`.
 */
import type { Argv } from 'yargs';

interface Common {
  describe: string;
  alias?: string;
  /** What the help shows as the default when there is no literal default value. */
  defaultDescription?: string;
  /** Shown in the help's options group of this name (yargs `group`). */
  group?: string;
}

export type OptionSpec = Common &
  (
    | { kind: 'strings' }
    | { kind: 'string'; default?: string }
    | { kind: 'choice'; choices: readonly string[]; default?: string }
    | { kind: 'integer'; min: number; max: number; default?: number; unit?: string }
    | { kind: 'number'; min: number; max: number; default?: number; unit?: string }
    | { kind: 'boolean'; default?: boolean }
  );

/** Thrown for a value outside an option's kind or range; cli.ts turns it into exit code 2. */
export class OptionValueError extends Error {}

/** Node's timers hold at most 2^31-1 ms; a longer timeout silently becomes 1 ms. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

function rangeText(spec: { min: number; max: number; unit?: string }, integer: boolean): string {
  return `${integer ? 'an integer' : 'a number'} from ${spec.min} to ${spec.max}${spec.unit ? ` (${spec.unit})` : ''}`;
}

/** Adds every option of the table to a yargs parser. */
export function declareOptions<T>(y: Argv<T>, table: Readonly<Record<string, OptionSpec>>): Argv<T> {
  let out = y;
  for (const [name, spec] of Object.entries(table)) {
    const base = { describe: spec.describe, ...(spec.alias ? { alias: spec.alias } : {}), ...(spec.defaultDescription ? { defaultDescription: spec.defaultDescription } : {}), ...(spec.group ? { group: spec.group } : {}) };
    switch (spec.kind) {
      case 'strings':
        out = out.option(name, { ...base, type: 'string', array: true, nargs: 1, describe: `${spec.describe} (repeatable)` }) as Argv<T>;
        break;
      case 'string':
        out = out.option(name, { ...base, type: 'string', requiresArg: true, ...(spec.default !== undefined ? { default: spec.default } : {}) }) as Argv<T>;
        break;
      case 'choice':
        out = out.option(name, { ...base, choices: spec.choices as string[], requiresArg: true, ...(spec.default !== undefined ? { default: spec.default } : {}) }) as Argv<T>;
        break;
      case 'integer':
      case 'number':
        // No yargs type: with parse-numbers off the text stays as given, and read() checks it.
        out = out.option(name, {
          ...base,
          requiresArg: true,
          describe: `${spec.describe}; ${rangeText(spec, spec.kind === 'integer')}`,
          ...(spec.default !== undefined ? { default: spec.default } : {}),
        }) as Argv<T>;
        break;
      case 'boolean':
        out = out.option(name, { ...base, type: 'boolean', ...(spec.default !== undefined ? { default: spec.default } : {}) }) as Argv<T>;
        break;
    }
  }
  return out.parserConfiguration({ 'parse-numbers': false, 'greedy-arrays': false });
}

const last = (value: unknown): unknown => (Array.isArray(value) ? value[value.length - 1] : value);

const INTEGER_TEXT = /^\+?[0-9]+$/;
const NUMBER_TEXT = /^\+?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/;

function checkNumber(name: string, spec: Extract<OptionSpec, { kind: 'integer' | 'number' }>, value: unknown): number {
  const text = String(value).trim();
  const integer = spec.kind === 'integer';
  const n = Number(text);
  if (!(integer ? INTEGER_TEXT : NUMBER_TEXT).test(text) || !Number.isFinite(n) || n < spec.min || n > spec.max) {
    throw new OptionValueError(`--${name} must be ${rangeText(spec, integer)}, got ${JSON.stringify(String(value))}`);
  }
  return n;
}

/** The parsed values of the table's options, each checked against its kind. */
export class OptionValues {
  constructor(
    private readonly table: Readonly<Record<string, OptionSpec>>,
    private readonly args: Record<string, unknown>,
  ) {
    // Check every option now, so a bad value is reported even when nothing reads it.
    for (const [name, spec] of Object.entries(table)) if (spec.kind === 'integer' || spec.kind === 'number') this.number(name);
  }

  private spec(name: string): OptionSpec {
    const spec = this.table[name];
    if (!spec) throw new Error(`option --${name} is not declared`);
    return spec;
  }

  /** A repeatable option's values, in the order given (empty when absent). */
  strings(name: string): string[] {
    if (this.spec(name).kind !== 'strings') throw new Error(`--${name} is not repeatable`);
    const value = this.args[name];
    return value === undefined ? [] : (Array.isArray(value) ? value : [value]).map(String);
  }

  /** A single-valued string or choice option (the last one given), or its default. */
  string(name: string): string | undefined {
    const kind = this.spec(name).kind;
    if (kind !== 'string' && kind !== 'choice') throw new Error(`--${name} is not a single string`);
    const value = last(this.args[name]);
    return value === undefined ? undefined : String(value);
  }

  /** An integer or number option (the last one given), checked against its range, or its default. */
  number(name: string): number | undefined {
    const spec = this.spec(name);
    if (spec.kind !== 'integer' && spec.kind !== 'number') throw new Error(`--${name} is not numeric`);
    const value = last(this.args[name]);
    return value === undefined ? undefined : checkNumber(name, spec, value);
  }

  /** A boolean option (the last one given), its default, or undefined when it has none and was not given. */
  flag(name: string): boolean | undefined {
    const spec = this.spec(name);
    if (spec.kind !== 'boolean') throw new Error(`--${name} is not a flag`);
    const value = last(this.args[name]);
    return value === undefined ? spec.default : Boolean(value);
  }
}

/**
 * yargs reads a lone `-` after an option as no value: `--zone -` becomes `--zone=-` for every option
 * that takes a value. Stops at `--`, after which everything is a domain.
 */
export function joinDashValues(argv: readonly string[], table: Readonly<Record<string, OptionSpec>>): string[] {
  const takesValue = new Set<string>();
  for (const [name, spec] of Object.entries(table)) {
    if (spec.kind === 'boolean') continue;
    takesValue.add(`--${name}`);
    if (spec.alias) takesValue.add(spec.alias.length === 1 ? `-${spec.alias}` : `--${spec.alias}`);
  }
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return [...out, ...argv.slice(i)];
    if (takesValue.has(arg) && argv[i + 1] === '-') {
      out.push(`${arg}=-`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/** yargs says "Unknown argument: frobnicate" (dashes stripped) and "Invalid values: Argument: …": name the option as it was typed. */
export function usageMessage(help: string, msg: string, argv: readonly string[]): string {
  const choice = /^Invalid values: Argument: ([\w-]+), Given: (.*), Choices: (.*)$/.exec(msg);
  if (choice) return `--${choice[1]} must be one of ${choice[3].replace(/"/g, '')}, got ${choice[2]}`;
  const unknown = /^Unknown arguments?: (.+)$/.exec(msg);
  if (!unknown) return msg;
  // yargs names an extra word (`explain spf-missing more`) the same way: only what was typed as an option is one.
  const typedAsOption = (n: string) =>
    argv.some((a) => a === `--${n}` || a.startsWith(`--${n}=`) || a === `--no-${n}` || (n.length === 1 && /^-[^-]/.test(a) && a.slice(1).includes(n)));
  const names = unknown[1].split(', ');
  const options = names.filter(typedAsOption).map((n) => (n.length === 1 ? `-${n}` : `--${n}`));
  if (options.length) return `unknown option${options.length > 1 ? 's' : ''} ${options.join(', ')}: \`${help}\` lists the options`;
  return `unexpected argument${names.length > 1 ? 's' : ''} ${names.map((n) => JSON.stringify(n)).join(', ')}: \`${help}\` says what the command takes`;
}
