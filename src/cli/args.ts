/**
 * Command-line parsing shared by the `nap` commands: node:util parseArgs with its errors turned into
 * InputErrors (exit code 2) that name the option and point to the command's --help, and each command's
 * option schema (src/options/schema.ts) reading the flags into the options of its library call.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InputError, NapError } from '../errors.js';
import {
  realNumber,
  valueOption,
  wholeNumber,
  type OptionField,
  type OptionSchema,
  type ValueRule,
} from '../options/schema.js';

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

/**
 * A command's command line read with its option schema: the options as the library takes them, every one
 * checked and the required ones present (errors name the flags).
 */
export function parseOptions<T extends object>(
  schema: OptionSchema<T>,
  argv: string[],
): { options: Partial<T>; positionals: string[]; help: boolean } {
  const { values, positionals } = parseCommandArgs(schema.command, {
    args: argv,
    allowPositionals: true,
    options: schema.parseArgsOptions(),
  });
  if (values.help === true) return { options: {}, positionals, help: true };
  try {
    const options = schema.fromCli(values);
    schema.requirePresent(options, true);
    return { options, positionals, help: false };
  } catch (error) {
    throw withFlags(schema, error);
  }
}

export type CommandRun = (argv: string[], signal?: AbortSignal) => Promise<number>;

/** `error` with its options named by the command's flags (a NapError; anything else as it is). */
export function withFlags<T extends object>(schema: OptionSchema<T>, error: unknown): unknown {
  return error instanceof NapError ? error.namedBy(schema.cliNames) : error;
}

/**
 * A command as main.ts runs it: any error it lets out names options by the command's CLI flags (a library
 * message says `minClusterSize`, the CLI `--min-cluster-size`; see src/errors.ts).
 */
export function cliCommand<T extends object>(schema: OptionSchema<T>, run: CommandRun): CommandRun {
  return async (argv, signal) => {
    try {
      return await run(argv, signal);
    } catch (error) {
      throw withFlags(schema, error);
    }
  };
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

/** The id of a stored run. */
export const RUN_ID: ValueRule<number> = wholeNumber({ example: 1, min: 1, placeholder: 'ID' });

/** `--run ID`: a stored run; left out, the command takes the newest. */
export const runOption: OptionField<number> = valueOption(RUN_ID, {
  flag: 'run',
  help: 'run (default: the newest)',
});

/**
 * One flag's text checked by a rule of the option schemas, for the commands that still read their flags
 * one by one (flow, compare): the same rules and messages as a schema's.
 */
function flagValue<T>(rule: ValueRule<T>, text: string | undefined, option: string, example: string): T | undefined {
  if (text === undefined) return undefined;
  const value = rule.parse(text);
  if (!rule.valid(value)) {
    throw new InputError(`${option} '${text}' is not ${rule.what.one}`, { hint: `write it like ${option} ${example}` });
  }
  return value;
}

interface Range {
  example: string;
  min?: number;
  max?: number;
}

const bounds = ({ min, max }: Range) => ({
  ...(min !== undefined ? { min } : {}),
  ...(max !== undefined ? { max } : {}),
});

/** A finite number, within [min, max] where given. */
export function numberOption(text: string | undefined, option: string, range: Range): number | undefined {
  return flagValue(realNumber({ example: Number(range.example), ...bounds(range) }), text, option, range.example);
}

/** A whole number, at least `min` (default 0) and at most `max`. */
export function wholeNumberOption(text: string | undefined, option: string, range: Range): number | undefined {
  return flagValue(wholeNumber({ example: Number(range.example), ...bounds(range) }), text, option, range.example);
}

/** The id of a stored run (`--run`); undefined lets the command take the newest. */
export function runIdOption(text: string | undefined, option = '--run'): number | undefined {
  return flagValue(RUN_ID, text, option, '1');
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
