/**
 * At most N requests in flight per mailbox, across every connection of one protocol instance:
 * Graph allows 4 concurrent requests per app and mailbox and answers a fifth with 429
 * (`ApplicationThrottled`, "MailboxConcurrency"). Waiting requests are served first come, first
 * served; a waiting request whose signal aborts leaves the line.
 */
export interface MailboxSlots {
  /** Resolves with a release function once a slot for `mailbox` is free. */
  acquire(mailbox: string, signal: AbortSignal | undefined, onAbort: () => unknown): Promise<() => void>;
  /** Requests in flight for `mailbox` (for diagnostics and tests). */
  inFlight(mailbox: string): number;
}

interface Line {
  busy: number;
  readonly waiting: (() => void)[];
}

export function createMailboxSlots(limit: number): MailboxSlots {
  const lines = new Map<string, Line>();
  const keyOf = (mailbox: string) => mailbox.trim().toLowerCase();

  function releaser(key: string, line: Line): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = line.waiting.shift();
      if (next) {
        next();
        return;
      }
      line.busy--;
      if (line.busy === 0) lines.delete(key);
    };
  }

  return {
    acquire(mailbox, signal, onAbort) {
      if (signal?.aborted) return Promise.reject(onAbort());
      const key = keyOf(mailbox);
      let line = lines.get(key);
      if (!line) {
        line = { busy: 0, waiting: [] };
        lines.set(key, line);
      }
      const current = line;
      if (current.busy < limit) {
        current.busy++;
        return Promise.resolve(releaser(key, current));
      }
      return new Promise((resolve, reject) => {
        // The slot passes straight from the releasing request to this one (busy stays the same).
        const grant = () => {
          signal?.removeEventListener('abort', abort);
          resolve(releaser(key, current));
        };
        const abort = () => {
          const index = current.waiting.indexOf(grant);
          if (index !== -1) current.waiting.splice(index, 1);
          reject(onAbort());
        };
        signal?.addEventListener('abort', abort, { once: true });
        current.waiting.push(grant);
      });
    },
    inFlight(mailbox) {
      return lines.get(keyOf(mailbox))?.busy ?? 0;
    },
  };
}
