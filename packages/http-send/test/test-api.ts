// Test fixture: an HttpSendApi with recognizable words and codes.
import type { HttpSendApi } from '../src/http-send-api.js';

export const TEST_API: HttpSendApi = Object.freeze({
  protocol: 'test-api',
  name: 'The Test API',
  shortName: 'Test API',
  receiver: 'Tester',
  sentFolder: 'the Outbox folder',
  networkPath: 'Testland',
  proxyTarget: 'api.example.test',
  expectedServer: 'api.example.test, 443',
  passwordHint: 'Choose an OAuth sign-in for this account.',
  codes: Object.freeze({
    timeout: 'TEST_TIMEOUT',
    tlsFailed: 'TEST_TLS_FAILED',
    proxyFailed: 'TEST_PROXY_FAILED',
    connectionFailed: 'TEST_CONNECTION_FAILED',
    connectionClosed: 'TEST_CONNECTION_CLOSED',
    credentialUnsupported: 'TEST_CREDENTIAL_UNSUPPORTED',
    recipientsRejected: 'TEST_RECIPIENTS_REJECTED',
    failed: 'TEST_FAILED',
  }),
});
