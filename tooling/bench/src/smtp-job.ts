/** What the parent sends a send-side child process, and what the child answers. */

export type SendSide = 'mailplug' | 'nodemailer';

export interface SmtpTarget {
  readonly host: string;
  readonly port: number;
  readonly ca: string;
}

export interface OAuthSetup {
  readonly user: string;
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly refreshToken: string;
  /**
   * A valid access token to start with (both sides get the same one). Absent: the side starts
   * without a usable token and must ask the token endpoint itself.
   */
  readonly accessToken?: string;
}

export interface PoolSettings {
  readonly maxConnections: number;
  readonly maxMessages: number;
}

export type SmtpJob =
  /** Warm up, then send `count` messages all at once; report the elapsed time of the timed part. */
  | { readonly kind: 'throughput'; readonly warmup: number; readonly count: number }
  /** Send `count` messages concurrently from a cold start (token endpoint requests are counted by the parent). */
  | { readonly kind: 'burst'; readonly count: number }
  /** Send `count` messages keeping `window` in flight; sample RSS every `sampleEvery` completions. */
  | { readonly kind: 'rss'; readonly count: number; readonly window: number; readonly sampleEvery: number };

export interface SmtpChildRequest {
  readonly side: SendSide;
  readonly target: SmtpTarget;
  readonly oauth: OAuthSetup;
  readonly pool: PoolSettings;
  readonly job: SmtpJob;
}

export interface RssSample {
  readonly sent: number;
  readonly rss: number;
  readonly heapUsed: number;
  /** heapUsed right after a full GC (when the child runs with --expose-gc): the live heap, the leak indicator. */
  readonly liveHeap?: number;
}

export interface SmtpChildResult {
  readonly side: SendSide;
  readonly sent: number;
  readonly failed: number;
  readonly firstError?: string;
  readonly elapsedMs: number;
  /**
   * CPU time (user + system) the sending process spent on the timed part. Per message, it is what
   * the client side costs, and it moves far less than msg/s when other work shares the machine.
   */
  readonly cpuMicros?: number;
  readonly samples?: readonly RssSample[];
  readonly peakRss?: number;
}
