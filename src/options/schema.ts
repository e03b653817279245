/**
 * One description per command of the options it takes, shared by its CLI flags and its library call: each
 * option's key (a dotted path into the library's options object), CLI flag, rule (what values are valid),
 * default and help. The CLI parses flags with it and the library checks its options with it, so both apply
 * the same rules; messages name an option through `option(key)`, which the library shows as the key and the
 * CLI as the flag (src/errors.ts). The CLI's help lists the options from it, and a command line can be
 * written back from options (the command that resumes a run).
 *
 * Pure: no node: imports, so compute/ and the browser may use it.
 */
import { InputError, libraryNames, option, type OptionNamer, type OptionValue } from '../errors.js';

/** A kind of value: how CLI text becomes one, which values are valid, and how one is written as CLI text. */
export interface ValueRule<T> {
  /** A candidate value from CLI text (checked by `valid` next). */
  parse(text: string): unknown;
  valid(value: unknown): value is T;
  /** What a valid value is, for messages: 'a whole number >= 2' and, for lists, 'whole numbers >= 2'. */
  readonly what: { one: string; many: string };
  /** The value as CLI text. */
  format(value: T): string;
  /** Shown in hints: "e.g. --min-cluster-size 5". */
  readonly example: T;
  /** Shown in the help: "--min-cluster-size N". */
  readonly placeholder: string;
}

/** Whole numbers from `min` (default 0) to `max`. */
export function wholeNumber(rule: {
  example: number;
  min?: number;
  max?: number;
  placeholder?: string;
}): ValueRule<number> {
  const { min = 0, max = Number.MAX_SAFE_INTEGER } = rule;
  const range = max < Number.MAX_SAFE_INTEGER ? `from ${min} to ${max}` : `>= ${min}`;
  return {
    parse: (text) => (/^\s*[-+]?\d+\s*$/.test(text) ? Number(text) : NaN),
    valid: (value): value is number =>
      typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max,
    what: { one: `a whole number ${range}`, many: `whole numbers ${range}` },
    format: String,
    example: rule.example,
    placeholder: rule.placeholder ?? 'N',
  };
}

/** A random seed: any 32-bit integer, signed or unsigned. */
export function seedNumber(example: number): ValueRule<number> {
  return wholeNumber({ example, min: -(2 ** 31), max: 2 ** 32 - 1 });
}

/** Finite numbers within [min, max] where given. */
export function realNumber(rule: {
  example: number;
  min?: number;
  max?: number;
  placeholder?: string;
}): ValueRule<number> {
  const { min = -Infinity, max = Infinity } = rule;
  const range =
    min > -Infinity && max < Infinity
      ? ` in [${min}, ${max}]`
      : min > -Infinity
        ? ` >= ${min}`
        : max < Infinity
          ? ` <= ${max}`
          : '';
  return {
    parse: (text) => (text.trim() === '' ? NaN : Number(text)),
    valid: (value): value is number =>
      typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max,
    what: { one: `a number${range}`, many: `numbers${range}` },
    format: String,
    example: rule.example,
    placeholder: rule.placeholder ?? 'X',
  };
}

/** One of `values`, spelled exactly. */
export function choice<T extends string>(values: readonly T[]): ValueRule<T> {
  return {
    parse: (text) => text,
    valid: (value): value is T => values.includes(value as T),
    what: { one: `one of ${values.join(', ')}`, many: `values among ${values.join(', ')}` },
    format: (value) => value,
    example: values[0]!,
    placeholder: values.join('|'),
  };
}

/** Non-empty text (a name, a path). */
export function text(rule: { example: string; placeholder?: string }): ValueRule<string> {
  return {
    parse: (value) => value,
    valid: (value): value is string => typeof value === 'string' && value.trim() !== '',
    what: { one: 'non-empty text', many: 'non-empty names' },
    format: (value) => value,
    example: rule.example,
    placeholder: rule.placeholder ?? 'NAME',
  };
}

/** A comma-separated list of `item`s on the CLI, an array in the library; `length` fixes how many. */
export function list<T>(
  item: ValueRule<T>,
  rule: { example: T[]; length?: number; placeholder?: string },
): ValueRule<T[]> {
  const many = rule.length === undefined ? `a list of ${item.what.many}` : `${rule.length} ${item.what.many}`;
  return {
    parse: (value) => value.split(',').map((part) => item.parse(part.trim())),
    valid: (value): value is T[] =>
      Array.isArray(value) &&
      value.length > 0 &&
      (rule.length === undefined || value.length === rule.length) &&
      value.every((entry) => item.valid(entry)),
    what: { one: many, many: `lists of ${item.what.many}` },
    format: (value) => value.map((entry) => item.format(entry)).join(','),
    example: rule.example,
    placeholder: rule.placeholder ?? `${item.placeholder},...`,
  };
}

type CliValue = string | boolean | (string | boolean)[] | undefined;

/** One option of a command. */
export interface OptionField<T> {
  /** The CLI flag without its dashes; '' for an option of the library only. */
  readonly flag: string;
  /** Must be given (OptionSchema.resolve refuses options without it). */
  readonly required?: boolean;
  /** A valid value, for hints. */
  readonly example?: OptionValue;
  /** How the help shows the default, where not as the value itself; '' hides it. */
  readonly defaultText?: string;
  readonly help: string;
  /** The library default, filled by OptionSchema.resolve and shown in the help. */
  readonly default: T | undefined;
  /** How node:util parseArgs reads the flag. */
  readonly parseAs: { type: 'string' | 'boolean'; multiple?: boolean; short?: string };
  /** More switches that give this option (switchesChoice); fromCli then gets [flag's, each switch's] values. */
  readonly moreSwitches?: readonly string[];
  /** The value a CLI flag gives, undefined when it is not given; throws an InputError naming `key`. */
  fromCli(raw: CliValue, key: string): T | undefined;
  /** A library value, checked; throws an InputError naming `key`. */
  check(value: unknown, key: string): T;
  /** The CLI words that give `value` (flag included), [] when leaving the flag out gives it. */
  toCli(value: T): string[];
  /** How the CLI refers to this option, with a value where a message suggests one. */
  cliName(value: OptionValue | undefined): string;
  /** The help's left column: "--min-cluster-size N". */
  readonly usage: string;
}

function invalid(key: string, shown: string, problem: string, example: OptionValue): InputError {
  return new InputError(`${option(key)} ${shown} ${problem}`, { hint: `write it like ${option(key, example)}` });
}

function quote(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined) return String(value);
  return JSON.stringify(value) ?? Object.prototype.toString.call(value);
}

function exampleOf<T>(rule: ValueRule<T>): OptionValue {
  const example: unknown = rule.example;
  return typeof example === 'number' || typeof example === 'boolean' || typeof example === 'string'
    ? example
    : rule.format(rule.example);
}

interface FieldText<T> {
  flag: string;
  help: string;
  default?: T;
  /** The default as the help shows it ('1/255'); '' hides it. */
  defaultText?: string;
  short?: string;
  required?: boolean;
}

/** `--flag VALUE`. */
export function valueOption<T>(rule: ValueRule<T>, spec: FieldText<T>): OptionField<T> {
  const check = (value: unknown, key: string, shown: string): T => {
    if (!rule.valid(value)) throw invalid(key, shown, `is not ${rule.what.one}`, exampleOf(rule));
    return value;
  };
  return {
    flag: spec.flag,
    help: spec.help,
    default: spec.default,
    ...(spec.required ? { required: true } : {}),
    ...(spec.defaultText !== undefined ? { defaultText: spec.defaultText } : {}),
    example: exampleOf(rule),
    parseAs: { type: 'string', ...(spec.short ? { short: spec.short } : {}) },
    usage: `--${spec.flag} ${rule.placeholder}`,
    fromCli: (raw, key) => {
      if (raw === undefined) return undefined;
      return check(rule.parse(String(raw)), key, quote(raw));
    },
    check: (value, key) => check(value, key, quote(value)),
    toCli: (value) => ['--' + spec.flag, rule.format(value)],
    cliName: (value) =>
      value === undefined ? `--${spec.flag}` : `--${spec.flag} ${typeof value === 'string' ? value : String(value)}`,
  };
}

/** An option of the library call that the CLI does not offer as a flag (it may be a positional argument). */
export function libraryOption<T>(
  rule: ValueRule<T>,
  spec: { help: string; default?: T; required?: boolean },
): OptionField<T> {
  const field = valueOption(rule, { flag: '', ...spec });
  return { ...field, fromCli: () => undefined, toCli: () => [], cliName: () => '' };
}

/** `--flag VALUE`, repeatable: every value is kept, in order. */
export function repeatedOption<T>(rule: ValueRule<T>, spec: FieldText<T[]>): OptionField<T[]> {
  const single = valueOption(rule, { flag: spec.flag, help: spec.help });
  return {
    ...single,
    default: spec.default,
    parseAs: { type: 'string', multiple: true },
    usage: `--${spec.flag} ${rule.placeholder} ...`,
    fromCli: (raw, key) => {
      if (raw === undefined) return undefined;
      return (Array.isArray(raw) ? raw : [String(raw)]).map((entry) => single.fromCli(entry, key)!);
    },
    check: (value, key) => {
      if (!Array.isArray(value) || value.length === 0) {
        throw invalid(key, quote(value), 'is not a list', exampleOf(rule));
      }
      return value.map((entry) => single.check(entry, key));
    },
    toCli: (value) => value.flatMap((entry) => single.toCli(entry)),
  };
}

/** `--flag` alone: true when given; false (or the default) when not. */
export function switchOption(spec: FieldText<boolean>): OptionField<boolean> {
  return {
    flag: spec.flag,
    help: spec.help,
    default: spec.default,
    parseAs: { type: 'boolean', ...(spec.short ? { short: spec.short } : {}) },
    usage: `--${spec.flag}`,
    fromCli: (raw) => (raw === true ? true : undefined),
    check: (value, key) => {
      if (typeof value !== 'boolean') throw invalid(key, quote(value), 'is not true or false', true);
      return value;
    },
    toCli: (value) => (value ? ['--' + spec.flag] : []),
    cliName: (value) => (value === false ? `no --${spec.flag}` : `--${spec.flag}`),
  };
}

/**
 * A library option with two values where the CLI has a switch for one of them: `--fail-on-bad-image`
 * sets onBadImage 'fail'; leaving it out leaves the default, 'skip'.
 */
export function switchedChoice<T extends string>(values: { off: T; on: T }, spec: FieldText<T>): OptionField<T> {
  const rule = choice([values.off, values.on]);
  const plain = valueOption(rule, spec);
  return {
    ...plain,
    defaultText: '',
    parseAs: { type: 'boolean' },
    usage: `--${spec.flag}`,
    fromCli: (raw) => (raw === true ? values.on : undefined),
    toCli: (value) => (value === values.on ? ['--' + spec.flag] : []),
    cliName: (value) => (value === values.off ? `no --${spec.flag}` : `--${spec.flag}`),
  };
}

/**
 * A library option whose values other than the default each have a CLI switch: `--approximate` sets
 * spanningTree 'approximate', `--exact` 'exact'; leaving both out leaves the default ('auto'); giving
 * more than one is refused.
 */
export function switchesChoice<T extends string>(
  switches: Readonly<Record<string, T>>,
  spec: { help: string; default: T },
): OptionField<T> {
  const flags = Object.keys(switches);
  const rule = choice([spec.default, ...Object.values(switches)]);
  const plain = valueOption(rule, { flag: flags[0]!, help: spec.help, default: spec.default });
  const flagOf = (value: unknown) => flags.find((flag) => switches[flag] === value);
  const named = flags.map((flag) => `--${flag}`).join(' / ');
  return {
    ...plain,
    defaultText: '',
    parseAs: { type: 'boolean' },
    moreSwitches: flags.slice(1),
    usage: named,
    fromCli: (raw) => {
      const given = flags.filter((_, i) => (Array.isArray(raw) ? raw[i] : raw) === true);
      if (given.length > 1) {
        throw new InputError(`${given.map((flag) => `--${flag}`).join(' and ')} are both given`, {
          hint: `give one of ${named}, or none for the default`,
        });
      }
      return given.length === 0 ? undefined : switches[given[0]!];
    },
    toCli: (value) => {
      const flag = flagOf(value);
      return flag === undefined ? [] : [`--${flag}`];
    },
    cliName: (value) => {
      const flag = flagOf(value);
      return flag === undefined ? named : `--${flag}`;
    },
  };
}

/**
 * A value the CLI takes in another unit: `--thumbnail-cache-mb 256` gives thumbnailCacheBytes 268435456. The
 * CLI text is checked by `cliRule`, the library value by `rule`.
 */
export function scaledOption(
  rule: ValueRule<number>,
  cliRule: ValueRule<number>,
  factor: number,
  spec: FieldText<number>,
): OptionField<number> {
  const cli = valueOption(cliRule, { flag: spec.flag, help: spec.help });
  const library = valueOption(rule, spec);
  return {
    ...library,
    usage: cli.usage,
    fromCli: (raw, key) => {
      const value = cli.fromCli(raw, key);
      return value === undefined ? undefined : value * factor;
    },
    toCli: (value) => cli.toCli(value / factor),
    cliName: (value) => cli.cliName(typeof value === 'number' ? value / factor : value),
  };
}

function getPath(object: Record<string, unknown>, key: string): unknown {
  let at: unknown = object;
  for (const part of key.split('.')) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

function setPath(object: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let at = object;
  for (const part of parts.slice(0, -1)) {
    const next = at[part];
    if (typeof next !== 'object' || next === null) at[part] = {};
    at = at[part] as Record<string, unknown>;
  }
  at[parts[parts.length - 1]!] = value;
}

export type Fields = Readonly<Record<string, OptionField<unknown>>>;

/** The options of one command (see the top of this file). */
export class OptionSchema<T extends object> {
  constructor(
    /** The command, for messages: 'analyze'. */
    readonly command: string,
    /** By key: the dotted path of the option in the library's options object. */
    readonly fields: Fields,
  ) {}

  /** The same schema with more fields (a command that adds CLI-only options to a library's). */
  extend<U extends object>(fields: Fields): OptionSchema<T & U> {
    return new OptionSchema<T & U>(this.command, { ...this.fields, ...fields });
  }

  /** The same schema where the option `key` may be left out (a caller that does without it). */
  withOptional<U extends object>(key: string): OptionSchema<U> {
    const field = this.fields[key];
    if (field === undefined) throw new RangeError(`${this.command} has no option ${key}`);
    return new OptionSchema<U>(this.command, { ...this.fields, [key]: { ...field, required: false } });
  }

  /** The same fields under another command's name (its messages point to that command's --help). */
  forCommand(command: string): OptionSchema<T> {
    return new OptionSchema<T>(command, this.fields);
  }

  /** The `options` of node:util parseArgs for these flags (and --help). */
  parseArgsOptions(): Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> {
    const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {
      help: { type: 'boolean', short: 'h' },
    };
    for (const field of Object.values(this.fields)) {
      if (field.flag !== '') options[field.flag] = field.parseAs;
      for (const flag of field.moreSwitches ?? []) options[flag] = { type: 'boolean' };
    }
    return options;
  }

  /** The options given by parseArgs' `values`, checked by the rules, as the library takes them (nested). */
  fromCli(values: Readonly<Record<string, CliValue>>): Partial<T> {
    const options: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(this.fields)) {
      if (field.flag === '') continue;
      const raw = field.moreSwitches
        ? [field.flag, ...field.moreSwitches].map((flag) => values[flag] as string | boolean)
        : values[field.flag];
      const value = field.fromCli(raw, key);
      if (value !== undefined) setPath(options, key, value);
    }
    return options as Partial<T>;
  }

  /** Checks every option of a library call that has a field here; throws an InputError naming its key. */
  check(options: Partial<T>): void {
    for (const [key, field] of Object.entries(this.fields)) {
      const value = getPath(options, key);
      if (value !== undefined) field.check(value, key);
    }
  }

  /**
   * The options of `value` (of unknown origin: a stored configuration) that pass their rules; the others are
   * left out, so the caller's defaults apply to them.
   */
  validPart(value: unknown): Partial<T> {
    const valid: Record<string, unknown> = {};
    if (typeof value !== 'object' || value === null) return valid as Partial<T>;
    for (const [key, field] of Object.entries(this.fields)) {
      const entry = getPath(value as Record<string, unknown>, key);
      if (entry === undefined) continue;
      try {
        setPath(valid, key, field.check(entry, key));
      } catch {
        // An invalid stored value reads as absent.
      }
    }
    return valid as Partial<T>;
  }

  /** Refuses options without a required one, naming it; `flagsOnly`: only the ones a flag gives (the CLI's). */
  requirePresent(options: Partial<T>, flagsOnly = false): void {
    for (const [key, field] of Object.entries(this.fields)) {
      if (flagsOnly && field.flag === '') continue;
      if (field.required && getPath(options, key) === undefined) {
        throw new InputError(`${option(key)} is required`, {
          hint: field.example === undefined ? `give ${option(key)}` : `give it, e.g. ${option(key, field.example)}`,
        });
      }
    }
  }

  /** `options` checked (required ones present), with the default of every option left out filled in. */
  resolve(options: Partial<T>): T {
    this.requirePresent(options);
    this.check(options);
    const resolved = copyObjects(options) as Record<string, unknown>;
    for (const [key, field] of Object.entries(this.fields)) {
      if (field.default !== undefined && getPath(resolved, key) === undefined) setPath(resolved, key, field.default);
    }
    return resolved as T;
  }

  /** The CLI words that give `options` (flags left out where the CLI's default gives the value). */
  toCli(options: Partial<T>): string[] {
    return Object.entries(this.fields).flatMap(([key, field]) => {
      const value = getPath(options, key);
      return value === undefined ? [] : field.toCli(value);
    });
  }

  /** Names options as the CLI does: by flag; a key without a field here keeps the library's name. */
  readonly cliNames: OptionNamer = (key, value) => {
    const field = this.fields[key];
    return field === undefined || field.flag === '' ? libraryNames(key, value) : field.cliName(value);
  };

  /** The help's option lines: usage, text and default. */
  help(): string {
    const rows = Object.values(this.fields)
      .filter((field) => field.flag !== '')
      .map((field) => {
        const text =
          field.defaultText ??
          (field.default === undefined || field.default === false ? '' : formatDefault(field.default));
        const shown = text === '' ? '' : ` (default ${text})`;
        return [field.usage, `${field.help}${shown}`] as const;
      });
    const width = Math.min(28, Math.max(...rows.map(([usage]) => usage.length)));
    return rows
      .map(([usage, help]) =>
        usage.length > width ? `  ${usage}\n  ${' '.repeat(width)}  ${help}` : `  ${usage.padEnd(width)}  ${help}`,
      )
      .join('\n');
  }
}

/** A copy of the nested plain objects of `value`; arrays, functions and other values are shared. */
function copyObjects(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || ArrayBuffer.isView(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, copyObjects(entry)]));
}

function formatDefault(value: unknown): string {
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}

/**
 * `field` reading only the entries of its repeatable flag that `takes` accepts, so that two options share one
 * flag (`--layout NHWC` and `--layout LAYER=tokens`); a single-valued field gets the last such entry.
 */
export function sharedFlag<T>(
  field: OptionField<T>,
  takes: (entry: string) => boolean,
  spec: { usage: string; many?: boolean },
): OptionField<T> {
  return {
    ...field,
    parseAs: { type: 'string', multiple: true },
    usage: spec.usage,
    fromCli: (raw, key) => {
      const entries = (raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]).map(String).filter(takes);
      if (entries.length === 0) return undefined;
      return field.fromCli(spec.many ? entries : entries[entries.length - 1], key);
    },
  };
}

/** `--flag NAME=VALUE`, repeatable, into { NAME: VALUE }; a name given again keeps its last value. */
export function keyedOption<T>(
  rule: ValueRule<T>,
  spec: FieldText<Record<string, T>> & { name: string; example: [string, T] },
): OptionField<Record<string, T>> {
  const [exampleName, exampleValue] = spec.example;
  const example = `${exampleName}=${rule.format(exampleValue)}`;
  const refuse = (key: string, shown: string): InputError =>
    new InputError(`${option(key)} ${shown} does not name a ${spec.name} and ${rule.what.one}`, {
      hint: `write it like ${option(key, example)}`,
    });
  const entry = (name: string, value: unknown, key: string, shown: string): [string, T] => {
    if (name.trim() === '' || !rule.valid(value)) throw refuse(key, shown);
    return [name, value];
  };
  return {
    flag: spec.flag,
    help: spec.help,
    default: spec.default,
    example,
    parseAs: { type: 'string', multiple: true },
    usage: `--${spec.flag} ${spec.name.toUpperCase()}=${rule.placeholder}`,
    fromCli: (raw, key) => {
      if (raw === undefined) return undefined;
      const entries = (Array.isArray(raw) ? raw : [raw]).map(String);
      return Object.fromEntries(
        entries.map((text) => {
          const at = text.lastIndexOf('=');
          if (at < 0) throw refuse(key, quote(text));
          return entry(text.slice(0, at), rule.parse(text.slice(at + 1)), key, quote(text));
        }),
      );
    },
    check: (value, key) => {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw refuse(key, quote(value));
      return Object.fromEntries(
        Object.entries(value).map(([name, entryValue]) => entry(name, entryValue, key, quote(value))),
      );
    },
    toCli: (value) =>
      Object.entries(value).flatMap(([name, entryValue]) => [`--${spec.flag}`, `${name}=${rule.format(entryValue)}`]),
    cliName: (value) => (value === undefined ? `--${spec.flag}` : `--${spec.flag} ${String(value)}`),
  };
}
