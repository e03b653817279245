/**
 * Command-line parsing shared by the `nap` commands: node:util parseArgs with its errors turned
 * into InputErrors (exit code 2) that name the option and point to the command's --help, and the
 * parsers for option values that several commands take. Every parser returns undefined for an
 * option that was not given, so defaults stay with the code that owns them.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InputError } from '../errors.js';

/** node:util parseArgs for `nap <command>`; a malformed command line throws an InputError. */
export function parseCommandArgs<T extends ParseArgsConfig>(
  command: string,
  config: T,
): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    throw argumentError(command, error);
  }
}

function argumentError(command: string, error: unknown): unknown {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) return error;
  const hint = `run 'nap ${command} --help' for its options`;
  const text = (error as Error).message;
  const unknown = /^Unknown option '([^']+)'/.exec(text);
  if (unknown) return new InputError(`unknown option '${unknown[1]}'`, { hint, cause: error });
  const missing = /^Option '(?:-\w, )?(\S+) <value>' argument missing/.exec(text);
  if (missing) return new InputError(`${missing[1]} needs a value`, { hint, cause: error });
  const needless = /^Option '(?:-\w, )?(\S+)' does not take an argument/.exec(text);
  if (needless) return new InputError(`${needless[1]} takes no value`, { hint, cause: error });
  return new InputError(text, { hint, cause: error });
}

/** A finite number, within [min, max] where given. */
export function numberOption(
  text: string | undefined,
  option: string,
  rule: { example: string; min?: number; max?: number },
): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  const { min = -Infinity, max = Infinity } = rule;
  if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    const range =
      min > -Infinity && max < Infinity
        ? ` in [${min}, ${max}]`
        : min > -Infinity
          ? ` >= ${min}`
          : max < Infinity
            ? ` <= ${max}`
            : '';
    throw new InputError(`${option} '${text}' is not a number${range}`, {
      hint: `write it like ${option} ${rule.example}`,
    });
  }
  return value;
}

/** A whole number (decimal digits, optionally signed), at least `min` (default 0) and at most `max`. */
export function wholeNumberOption(
  text: string | undefined,
  option: string,
  rule: { example: string; min?: number; max?: number },
): number | undefined {
  if (text === undefined) return undefined;
  const { min = 0, max = Number.MAX_SAFE_INTEGER } = rule;
  const value = /^[-+]?\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = max < Number.MAX_SAFE_INTEGER ? ` from ${min} to ${max}` : ` >= ${min}`;
    throw new InputError(`${option} '${text}' is not a whole number${range}`, {
      hint: `write it like ${option} ${rule.example}`,
    });
  }
  return value;
}

/** A comma-separated list of finite numbers. */
export function numberListOption(text: string | undefined, option: string, example: string): number[] | undefined {
  if (text === undefined) return undefined;
  const values = text.split(',').map((part) => (part.trim() === '' ? NaN : Number(part)));
  if (values.some((value) => !Number.isFinite(value))) {
    throw new InputError(`${option} '${text}' is not a list of numbers`, {
      hint: `write it like ${option} ${example}`,
    });
  }
  return values;
}

/** A comma-separated list of whole numbers >= `min` (default 0); `length` fixes how many (a shape). */
export function wholeNumberListOption(
  text: string | undefined,
  option: string,
  rule: { example: string; min?: number; length?: number },
): number[] | undefined {
  if (text === undefined) return undefined;
  const { min = 0, length } = rule;
  const values = text.split(',').map((part) => (/^\s*\d+\s*$/.test(part) ? Number(part) : NaN));
  if (
    values.some((value) => !Number.isSafeInteger(value) || value < min) ||
    (length !== undefined && values.length !== length)
  ) {
    throw new InputError(`${option} '${text}' is not ${length ?? 'a list of'} whole numbers >= ${min}`, {
      hint: `write it like ${option} ${rule.example}`,
    });
  }
  return values;
}

/** One of `allowed`, spelled exactly. */
export function choiceOption<T extends string>(
  text: string | undefined,
  option: string,
  allowed: readonly T[],
): T | undefined {
  if (text === undefined) return undefined;
  if (!allowed.includes(text as T)) {
    throw new InputError(`${option} '${text}' is not one of ${allowed.join(', ')}`, {
      hint: `write it like ${option} ${allowed[0]}`,
    });
  }
  return text as T;
}

/** The id of a stored run (`--run`); undefined lets the command take the newest. */
export function runIdOption(text: string | undefined, option = '--run'): number | undefined {
  return wholeNumberOption(text, option, { example: '1', min: 1 });
}

/** The argument list after parsing must name exactly one file (the results database, usually). */
export function onlyPositional(positionals: string[], command: string, what: string, hint: string): string {
  if (positionals.length !== 1)
    throw new InputError(`nap ${command} takes exactly one ${what}, got ${positionals.length}`, { hint });
  return positionals[0]!;
}

/** The spanning tree --approximate (force it) and --exact (forbid it) ask for; undefined: neither ('auto'). */
export function spanningTreeOption(
  approximate: boolean | undefined,
  exact: boolean | undefined,
): 'approximate' | 'exact' | undefined {
  if (approximate && exact) {
    throw new InputError('--approximate and --exact are both given', {
      hint: 'give one of them, or neither to let the size of the input decide',
    });
  }
  return approximate ? 'approximate' : exact ? 'exact' : undefined;
}
