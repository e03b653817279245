import { CancelledError, InputError, NotFoundError } from '../errors.js';

/** The exit code of `nap` for an error a command threw: 130 cancelled, 2 bad input or a missing thing, 1 otherwise. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof CancelledError) return 130;
  if (error instanceof InputError || error instanceof NotFoundError) return 2;
  return 1;
}
