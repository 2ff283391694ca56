export {
  GOOGLE_TESTING_MODE_REFRESH_TOKEN_LIFETIME_MS,
  REFRESH_TOKEN_INACTIVITY_WINDOWS_MS,
} from './inactivity-windows.js';
export {
  createKeepAlive,
  type KeepAlive,
  type KeepAliveAccountReport,
  type KeepAliveOptions,
  type KeepAliveOutcome,
  type KeepAliveReport,
} from './keep-alive.js';
