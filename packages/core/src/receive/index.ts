export {
  type DeprecationWarningOptions,
  emitDeprecationOnce,
  SILENCE_DEPRECATION_ENV,
} from './deprecation.js';
export {
  type ProcessNewMessagesOptions,
  type ProcessNewMessagesResult,
  processNewMessages,
  type ReceiveCursor,
  type ReceivedMessageContext,
  receiveCursorKey,
} from './process-new-messages.js';
