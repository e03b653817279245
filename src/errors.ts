/**
 * The project's few error classes. Every message names the offending value and says what to do;
 * `hint` carries the "what to do" part separately so the CLI and server can show it on its own line.
 */
export class NapError extends Error {
  readonly hint: string | undefined;
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(options.hint ? `${message}\n  ${options.hint}` : message, { cause: options.cause });
    this.name = 'NapError';
    this.hint = options.hint;
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
