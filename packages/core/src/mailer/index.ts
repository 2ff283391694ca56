export { appendFooter, checkFooter, FOOTER_LIMITS, type MailFooter } from './footer.js';
export {
  createMailer,
  type Mailer,
  type MailerOptions,
  type MailerPermissions,
  type SendRequest,
} from './mailer.js';
