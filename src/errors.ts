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

  /** The class, message and hint as plain data, for a worker thread to send back (see errorFromWire). */
  toWire(): WireError {
    return { name: this.name, message: this.template.message, hint: this.template.hint };
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

/** An error as plain data: what a worker thread posts so that its caller can throw the same kind. */
export interface WireError {
  name: string;
  message: string;
  hint?: string | undefined;
}

export function errorToWire(error: unknown): WireError {
  if (error instanceof NapError) return error.toWire();
  return { name: 'Error', message: error instanceof Error ? error.message : String(error) };
}

const WIRE_CLASSES: Record<string, new (message: string, options: { hint?: string }) => NapError> = {
  NapError,
  InputError,
  NotFoundError,
};

/** The error a worker sent: a nap error comes back as its class (the CLI's exit code and hint hold), any other as an Error that says where it came from. */
export function errorFromWire(wire: WireError, where: string): Error {
  const Class = WIRE_CLASSES[wire.name];
  if (Class) return new Class(wire.message, wire.hint === undefined ? {} : { hint: wire.hint });
  return new Error(`${where}: ${wire.message}`);
}
