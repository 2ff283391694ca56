/** Something that holds resources and can release them (VS Code's `Disposable`). */
export interface Disposable {
  dispose(): void | Promise<void>;
}

/** Wraps a callback as a {@link Disposable} that runs at most once. */
export function toDisposable(fn: () => void | Promise<void>): Disposable {
  let done = false;
  return {
    dispose() {
      if (done) return;
      done = true;
      return fn();
    },
  };
}

/** Disposes every item, last registered first, and collects failures into one AggregateError. */
export async function disposeAll(items: Iterable<Disposable>): Promise<void> {
  const errors: unknown[] = [];
  for (const item of [...items].reverse()) {
    try {
      await item.dispose();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length > 0) throw new AggregateError(errors, `${errors.length} disposable(s) failed to dispose`);
}

/** A listener registration function: subscribe and get back a Disposable to unsubscribe. */
export type Event<T> = (listener: (event: T) => void) => Disposable;

/**
 * A tiny typed event emitter. Listener exceptions are isolated so that one bad host listener
 * cannot break the send path.
 */
export class Emitter<T> implements Disposable {
  readonly #listeners = new Set<(event: T) => void>();

  readonly event: Event<T> = (listener) => {
    this.#listeners.add(listener);
    return toDisposable(() => {
      this.#listeners.delete(listener);
    });
  };

  fire(event: T): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch {
        // A host listener failing must not affect token refresh or sending.
      }
    }
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }

  dispose(): void {
    this.#listeners.clear();
  }
}
