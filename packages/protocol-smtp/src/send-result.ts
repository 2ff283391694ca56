/** nodemailer's send info as Mailplug's SendResult, with per-recipient rejections classified. */
import type { RecipientRejection, SendResult } from '@mailplug/core';
import { recipientRejection } from './classify.js';

interface NodemailerInfo {
  messageId?: string;
  accepted?: (string | { address: string })[];
  rejectedErrors?: unknown[];
  rejected?: (string | { address: string })[];
  response?: string;
}

export function toSendResult(info: NodemailerInfo): SendResult {
  const plain = (a: string | { address: string }) => (typeof a === 'string' ? a : a.address);
  const rejected: RecipientRejection[] = (info.rejectedErrors ?? []).map(recipientRejection);
  for (const r of info.rejected ?? []) {
    if (!rejected.some((x) => x.address === plain(r)))
      rejected.push({ address: plain(r), message: 'Rejected by the server' });
  }
  return {
    messageId: info.messageId ?? '',
    accepted: (info.accepted ?? []).map(plain),
    rejected,
    ...(info.response ? { response: info.response } : {}),
  };
}
