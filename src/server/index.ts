/** The Magnifying Glass server: `startServer` (the API it answers is src/results). */
export {
  startServer,
  DEFAULT_PORT,
  DEFAULT_HOST,
  DEFAULT_APP_DIR,
  DEFAULT_THUMBNAIL_CACHE_DIR,
  type ServerOptions,
  type RunningServer,
} from './server.js';
