/**
 * The project's few error classes. Every message names the offending value and says what to do;
 * `hint` carries the "what to do" part separately so the CLI and server can show it on its own line.
 *
 * A message names an option through `option(key)` (or `option(key, value)`), not by spelling it: the
 * library's messages then say `minClusterSize`, and the CLI, which knows each option's flag, says
 * `--min-cluster-size` (see NapError.describe and src/options/schema.ts).
 */

/** A value an option reference may show. */
export type OptionValue = string | number | boolean;

/** Names an option (a dotted path into an options object, e.g. 'clustering.minClusterSize') for a front end. */
export type OptionNamer = (key: string, value: OptionValue | undefined) => string;

const OPEN = '\uE000';
const VALUE = '\uE001';
const CLOSE = '\uE002';
const REFERENCE = /\uE000([^\uE001\uE002]+)(?:\uE001([^\uE002]*))?\uE002/g;

/** A reference to an option, with a value where the message suggests one, for use inside a message or hint. */
export function option(key: string, value?: OptionValue): string {
  return value === undefined ? `${OPEN}${key}${CLOSE}` : `${OPEN}${key}${VALUE}${JSON.stringify(value)}${CLOSE}`;
}

/** The library's names: the option's key, and `key: value` with a value. */
export const libraryNames: OptionNamer = (key, value) =>
  value === undefined ? key : `${key}: ${typeof value === 'string' ? `'${value}'` : String(value)}`;

/** `text` with its option references named by `namer`. */
export function nameOptions(text: string, namer: OptionNamer): string {
  return text.replace(REFERENCE, (_, key: string, value: string | undefined) =>
    namer(key, value === undefined ? undefined : (JSON.parse(value) as OptionValue)),
  );
}

export class NapError extends Error {
  /** What to do, with options named as the library names them. */
  readonly hint: string | undefined;
  private readonly template: { message: string; hint: string | undefined };

  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    const hint = options.hint === undefined ? undefined : nameOptions(options.hint, libraryNames);
    const shown = nameOptions(message, libraryNames);
    super(hint ? `${shown}\n  ${hint}` : shown, { cause: options.cause });
    this.name = 'NapError';
    this.hint = hint;
    this.template = { message, hint: options.hint };
  }

  /** The message and hint (on its own line) with options named by `namer`: the CLI names its flags. */
  describe(namer: OptionNamer): string {
    const { message, hint } = this.template;
    const shown = nameOptions(message, namer);
    return hint ? `${shown}\n  ${nameOptions(hint, namer)}` : shown;
  }

  /** The same error (same class, cause and stack) with its options named by `namer`. */
  namedBy(namer: OptionNamer): this {
    const copy = Object.create(Object.getPrototypeOf(this) as object) as this;
    for (const key of Reflect.ownKeys(this)) {
      Object.defineProperty(copy, key, Object.getOwnPropertyDescriptor(this, key)!);
    }
    const message = nameOptions(this.template.message, namer);
    const hint = this.template.hint === undefined ? undefined : nameOptions(this.template.hint, namer);
    Object.defineProperty(copy, 'message', { value: hint ? `${message}\n  ${hint}` : message, writable: true });
    Object.defineProperty(copy, 'hint', { value: hint, writable: false, enumerable: true });
    Object.defineProperty(copy, 'template', { value: { message, hint }, writable: false });
    return copy;
  }
}

/** Bad input from the user: files, shapes, names, parameters. Maps to exit code 2 / HTTP 400. */
export class InputError extends NapError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options);
    this.name = 'InputError';
  }
}

/** Something asked for does not exist (layer, run, pattern). Maps to HTTP 404. */
export class NotFoundError extends NapError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options);
    this.name = 'NotFoundError';
  }
}

/** The caller cancelled through its AbortSignal. */
export class CancelledError extends NapError {
  constructor(stage: string) {
    super(`cancelled during ${stage}`);
    this.name = 'CancelledError';
  }
}
