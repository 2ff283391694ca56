export { appendFooter, checkFooter, FOOTER_LIMITS, type MailFooter } from './footer.js';
export {
  type AccountAccess,
  createMailer,
  DEFAULT_SEND_TIMEOUT_MS,
  type FallbackUsed,
  type Mailer,
  type MailerOptions,
  type MailerPermissions,
  type SendRequest,
} from './mailer.js';
export { isRouteClosed } from './routes.js';
