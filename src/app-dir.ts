/** Where the built web app is: build/app of this package (shared by `nap serve` and the static export). */
import { fileURLToPath } from 'node:url';

export const DEFAULT_APP_DIR = fileURLToPath(new URL('../app', import.meta.url));
