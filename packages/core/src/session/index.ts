export { authorizationStateFor } from './authorization-state.js';
export { accountKeyPrefix, forgetAccount } from './forget-account.js';
