/** A failed data request: the server's ApiError, or a missing file of a static export. */
export class ApiRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly hint?: string,
  ) {
    super(message);
  }
}
