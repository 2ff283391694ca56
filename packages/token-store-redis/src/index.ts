/**
 * @mailplug/token-store-redis — a TokenStore on Redis for hosts that run several instances: every
 * instance sees the same tokens, and `withLock` is a Redis lock so that exactly one instance
 * refreshes an account's token at a time.
 */
export {
  createRedisTokenStore,
  type RedisTokenStore,
  type RedisTokenStoreOptions,
} from './redis-token-store.js';
