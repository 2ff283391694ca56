export { type DeprecationWarningOptions, emitDeprecationOnce, SILENCE_DEPRECATION_ENV } from './deprecation.js';
export {
  type ProcessNewMessagesOptions,
  type ProcessNewMessagesResult,
  type ReceiveCursor,
  type ReceivedMessageContext,
  processNewMessages,
  receiveCursorKey,
} from './process-new-messages.js';
