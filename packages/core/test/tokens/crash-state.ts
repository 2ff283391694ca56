import type { StoredValue } from '../../src/spec/v1/stores.js';

/** The value the crash writer stores for sequence number `seq`; big enough to span several pages. */
export function crashState(seq: number): StoredValue {
  return {
    seq,
    accessToken: `crash-access-${seq}-`.repeat(40),
    refreshToken: `crash-refresh-${seq}-`.repeat(40),
    scopes: ['https://mail.google.com/', `seq-${seq}`],
  };
}
