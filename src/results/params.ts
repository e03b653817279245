/**
 * Strict parsing of request parameters. Every failure is an InputError (HTTP 400) that quotes the value
 * and says what is accepted; whether a well-formed id exists is for the route to decide (HTTP 404).
 */
import { InputError } from '../errors.js';

const INT32_MAX = 0x7fffffff;
const NON_NEGATIVE = /^(0|[1-9][0-9]*)$/;
const SIGNED = /^(0|-?[1-9][0-9]*)$/;

/** The query parameter that only selects caching (see api-types.ts); every route accepts it. */
export const VERSION_PARAM = 'v';

function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text);
}

/** A non-negative id (run, clustering, input index): decimal digits without sign or leading zeros. */
export function parseId(what: string, text: string): number {
  const value = NON_NEGATIVE.test(text) ? Number(text) : NaN;
  if (!(value <= INT32_MAX)) {
    throw new InputError(`${what} ${quote(text)} is not a valid id`, {
      hint: `pass ${what} as a whole number from 0 to ${INT32_MAX}, e.g. 1`,
    });
  }
  return value;
}

/** A signed 32-bit integer in decimal. */
export function parseInteger(what: string, text: string): number {
  const value = SIGNED.test(text) ? Number(text) : NaN;
  if (!(Math.abs(value) <= INT32_MAX)) {
    throw new InputError(`${what} ${quote(text)} is not a whole number`, {
      hint: `pass ${what} as a decimal integer, e.g. 0`,
    });
  }
  return value;
}

/** An integer parameter with a fixed allowed range (sizes, page limits): out of range is malformed too. */
export function parseIntegerIn(what: string, text: string, min: number, max: number): number {
  const value = parseInteger(what, text);
  if (value < min || value > max) {
    throw new InputError(`${what} ${value} is outside ${min}..${max}`, { hint: `pass ${what} from ${min} to ${max}` });
  }
  return value;
}

const DECIMAL = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/** A plain decimal number (no exponent, sign only for negatives) within min..max: shares, thresholds. */
export function parseNumberIn(what: string, text: string, min: number, max: number): number {
  const value = DECIMAL.test(text) ? Number(text) : NaN;
  if (!(value >= min && value <= max)) {
    throw new InputError(`${what} ${quote(text)} is not a number from ${min} to ${max}`, {
      hint: `pass ${what} as a decimal number, e.g. ${what}=${(min + max) / 2}`,
    });
  }
  return value;
}

/** Comma-separated non-negative integers, 1..maxCount of them. */
export function parseIndexList(what: string, text: string, maxCount: number): Int32Array {
  const parts = text.split(',');
  if (text === '' || parts.length > maxCount) {
    throw new InputError(`${what} lists ${text === '' ? 'no' : parts.length} values`, {
      hint: `pass 1 to ${maxCount} comma-separated input indices, e.g. ${what}=0,5,9`,
    });
  }
  return Int32Array.from(parts, (part) => {
    if (!NON_NEGATIVE.test(part) || Number(part) > INT32_MAX) {
      throw new InputError(`${what} holds ${quote(part)}, which is not an input index`, {
        hint: `pass comma-separated whole numbers >= 0 without spaces, e.g. ${what}=0,5,9`,
      });
    }
    return Number(part);
  });
}

export function parseChoice<T extends string>(what: string, text: string, choices: readonly T[]): T {
  if (!choices.includes(text as T)) {
    throw new InputError(`${what} ${quote(text)} is not one of ${choices.join(', ')}`, {
      hint: `pass ${what}=${choices[0]}`,
    });
  }
  return text as T;
}

export function parseBoolean(what: string, text: string): boolean {
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw new InputError(`${what} ${quote(text)} is not true or false`, { hint: `pass ${what}=true or ${what}=false` });
}

/**
 * The query string's parameters. Unknown names and repeated names are refused, so that a typo
 * ("ofset=10") is reported instead of silently ignored.
 */
export function parseQuery(rawQuery: string, allowed: readonly string[]): Map<string, string> {
  const params = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(rawQuery)) {
    if (name !== VERSION_PARAM && !allowed.includes(name)) {
      const accepted =
        allowed.length > 0 ? `this route accepts ${allowed.join(', ')}` : 'this route takes no query parameters';
      throw new InputError(`query parameter ${quote(name)} is not known`, { hint: accepted });
    }
    if (params.has(name))
      throw new InputError(`query parameter ${quote(name)} is given twice`, { hint: `give ${name} once` });
    params.set(name, value);
  }
  return params;
}
