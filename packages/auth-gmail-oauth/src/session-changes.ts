/**
 * The session-change plumbing both Google providers share: the TokenManager's changes forwarded
 * to `onDidChangeSession`, forgetting the tokens (sign-out), and disposal in the right order.
 */
import { Emitter, type SessionChange, type TokenManager } from '@mailplug/core';

export interface SessionChanges {
  readonly event: Emitter<SessionChange>['event'];
  fire(change: SessionChange): void;
  /** Clears the stored tokens and reports the account as removed. */
  forget(): Promise<void>;
  dispose(): Promise<void>;
}

export function forwardSessionChanges(tokens: TokenManager, accountId: string): SessionChanges {
  const changes = new Emitter<SessionChange>();
  const forward = tokens.onDidChange((change) => changes.fire(change));
  return {
    event: changes.event,
    fire: (change) => changes.fire(change),
    async forget() {
      await tokens.clear();
      changes.fire({ type: 'removed', accountId });
    },
    async dispose() {
      forward.dispose();
      await tokens.dispose();
      changes.dispose();
    },
  };
}
