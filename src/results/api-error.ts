/** Errors as the API answers them: the HTTP status of an error and its ApiError body (server and static site alike). */
import { InputError, NapError, NotFoundError } from '../errors.js';
import type { ApiError } from './api-types.js';

/** The HTTP status of an error: bad input 400, missing 404, anything else 500. */
export function statusOf(error: unknown): number {
  if (error instanceof InputError) return 400;
  if (error instanceof NotFoundError) return 404;
  return 500;
}

/** The ApiError body of an error; unexpected errors do not leak their details. */
export function errorBody(error: unknown, status: number = statusOf(error)): ApiError {
  if (status === 500 || !(error instanceof NapError)) {
    return {
      error: 'internal server error',
      hint: 'this is a bug in nap serve; the server log has the details',
      status,
    };
  }
  const message =
    error.hint !== undefined ? error.message.slice(0, error.message.length - error.hint.length - 3) : error.message;
  return { error: message, ...(error.hint !== undefined ? { hint: error.hint } : {}), status };
}
