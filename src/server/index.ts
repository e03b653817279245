/** The Magnifying Glass server: `startServer` and the API contract shared with the browser app. */
export {
  startServer,
  DEFAULT_PORT,
  DEFAULT_HOST,
  DEFAULT_APP_DIR,
  DEFAULT_THUMBNAIL_CACHE_DIR,
  type ServerOptions,
  type RunningServer,
} from './server.js';
export type * from './api-types.js';
export { apiPaths, IMAGE_SIZE, MEMBER_ORDERS } from './api-types.js';
