/** The version of this nap-lens package, from its package.json (read once, when first asked). */
import { readFileSync } from 'node:fs';

let version: string | undefined;

export function napVersion(): string {
  if (version === undefined) {
    // build/src/version.js and src/version.ts both sit two folders below the package root.
    const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
    const declared = (JSON.parse(text) as { version?: unknown }).version;
    version = typeof declared === 'string' ? declared : 'unknown';
  }
  return version;
}
