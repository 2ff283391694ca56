/**
 * @mailplug/interop — test harnesses that run real third-party servers (Dovecot) on loopback.
 * Private: used by the test suites of the protocol and provider packages.
 */
export {
  DOVECOT_BINARY,
  DOVECOT_INSTALL_HINT,
  type DovecotInstance,
  type RelayedMessage,
  type StartDovecotOptions,
  startDovecot,
} from './dovecot.js';
export type { DovecotOAuth2Options, DovecotPorts } from './dovecot-config.js';
export { renderDovecotConf, renderOAuth2Conf, renderPasswdFile } from './dovecot-config.js';
