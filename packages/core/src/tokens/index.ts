/** The token layer: token stores, the TokenManager (silent credentials), sign-in state and PKCE. */

export { classifyFailure } from './classify-failure.js';
export {
  createEncryptedCodec,
  type EncryptedCodecOptions,
  type StoredValueCodec,
} from './encrypted-codec.js';
export {
  createEncryptedFileTokenStore,
  type EncryptedFileTokenStoreOptions,
} from './encrypted-file-store.js';
export { createMemoryTokenStore } from './memory-store.js';
export {
  createPendingSignIns,
  createPkcePair,
  type PendingSignIns,
  type PendingSignInsOptions,
} from './pending-sign-ins.js';
export {
  type AccountAuthState,
  createTokenManager,
  DEFAULT_REFRESH_CEILING_MS,
  DEFAULT_TOKEN_REQUEST_TIMEOUT_MS,
  type TokenManager,
  type TokenManagerOptions,
  type TokenRefreshContext,
  type TokenRefreshResult,
  type TokenSet,
} from './token-manager.js';
