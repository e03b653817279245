/** Loading and error states, the same everywhere. */
import type { ApiRequestError } from '../api.js';

export function Loading({ what }: { what: string }) {
  return (
    <div class="loading" role="status">
      Loading {what}…
    </div>
  );
}

export function ErrorMessage({ error }: { error: ApiRequestError | Error }) {
  const hint = 'hint' in error ? error.hint : undefined;
  return (
    <div class="error" role="alert">
      <strong>{error.message}</strong>
      {hint && <div>{hint}</div>}
    </div>
  );
}
