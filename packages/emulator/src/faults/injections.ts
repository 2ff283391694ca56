/**
 * Injected faults: rules a test (or the CLI) adds so that the next request — or every request until
 * the rule is removed — of one endpoint misbehaves. Two layers, because real failures come from two
 * places: the provider itself answers in its own JSON shape (an AADSTS error, Graph's 429), while a
 * proxy or overloaded front end answers with text or HTML, holds the request forever, or drops the
 * connection. Transport faults are applied before any routing; provider faults where the endpoint
 * would answer.
 */
import type { GmailErrorReason, GraphErrorCode } from '../api/api-errors.js';
import type { GoogleErrorName, HttpReply } from '../identity/errors.js';
import { faultLabel, faultReply } from './replies.js';

export type FaultFlavour = 'microsoft' | 'google' | 'oauth';

/** HTTP statuses a fault may answer with. */
export type FaultStatus = 429 | 500 | 502 | 503 | 504;

/** Endpoints a rule can be narrowed to (`any` matches all). */
export type InjectionEndpoint =
  | 'token'
  | 'authorize'
  | 'devicecode'
  | 'revoke'
  | 'tokeninfo'
  | 'userinfo'
  | 'introspect'
  | 'sendMail'
  | 'messages.send'
  | 'any';

/** Where an injected fault applies. Omitted fields match anything. */
export interface InjectionMatch {
  readonly clientId?: string;
  /** The signed-in user or target mailbox (email); app-only grants have none, so such a rule never matches them. */
  readonly user?: string;
  /** Default `'token'`. `sendMail` = Graph, `messages.send` = Gmail API; `'any'` matches every endpoint. */
  readonly endpoint?: InjectionEndpoint;
  /**
   * Token endpoint only: the grant(s) the rule applies to, e.g. `'client_credentials'`,
   * `['authorization_code', 'refresh_token', 'device_code']` (Microsoft delegated) or `'jwt-bearer'`
   * (Google service accounts). URN spellings are accepted too.
   */
  readonly grant?: string | readonly string[];
  /** How many matching requests fail; default 1 ("the next request"); `Infinity` until removed. */
  readonly times?: number;
}

/**
 * Faults that look the same at every endpoint:
 * - `{ status, retryAfterSeconds?, body? }` — `body: 'json'` (default) is the provider's own error
 *   shape; `'text'` a `text/plain` body, `'html'` an HTML page as a proxy sends. `Retry-After` is sent
 *   only when `retryAfterSeconds` is given.
 * - `{ blackHole: true }` — the request is read and never answered, until the emulator stops.
 * - `{ reset: true }` — the connection is reset without any response.
 * - `{ delayMs }` — the answer (normal or another fault) comes that much later.
 */
export type HttpFault =
  | {
      readonly status: FaultStatus;
      readonly retryAfterSeconds?: number;
      readonly body?: 'json' | 'text' | 'html';
    }
  | { readonly blackHole: true }
  | { readonly reset: true }
  | { readonly delayMs: number };

export type MicrosoftInjection = InjectionMatch &
  (
    | HttpFault
    | { readonly aadsts: number; readonly detail?: string }
    | { readonly graphError: GraphErrorCode; readonly message?: string; readonly retryAfterSeconds?: number }
  );

export type GoogleInjection = InjectionMatch &
  (
    | HttpFault
    | { readonly error: GoogleErrorName; readonly description?: string; readonly status?: number }
    | {
        readonly gmailError: GmailErrorReason;
        readonly message?: string;
        readonly retryAfterSeconds?: number;
      }
  );

/** For the generic OAuth server: an OAuth `error` (RFC 6749 §5.2) or a transport fault. */
export type OAuthInjection = InjectionMatch &
  (HttpFault | { readonly error: string; readonly description?: string; readonly status?: number });

export type AnyInjection = MicrosoftInjection | GoogleInjection | OAuthInjection;

export interface InjectionHandle {
  /** Requests that this rule has affected so far. */
  readonly hits: number;
  remove(): void;
}

export interface InjectionContext {
  readonly endpoint: string;
  /** Every name the client goes by (a service account: its email and numeric id). */
  readonly clientIds?: readonly (string | undefined)[] | undefined;
  readonly user?: string | undefined;
  readonly grant?: string | undefined;
}

export interface TakenFault {
  readonly reply?: HttpReply;
  /** Short description for events (`AADSTS50076`, `HTTP 503 text`, `black hole`). */
  readonly label?: string;
}

export interface Injections {
  add(flavour: FaultFlavour, spec: AnyInjection): InjectionHandle;
  /**
   * Transport layer, consulted before routing: consumes a matching delay rule (the request then
   * goes on) and a matching black-hole / reset / text / HTML rule (whose reply ends it).
   */
  takeTransport(flavour: FaultFlavour, ctx: InjectionContext): TakenFault & { readonly delayMs: number };
  /** Provider layer: consumes the first matching rule answered in the provider's JSON shape. */
  take(flavour: FaultFlavour, ctx: InjectionContext): TakenFault;
  clear(): void;
}

interface Rule {
  readonly flavour: FaultFlavour;
  readonly spec: AnyInjection;
  remaining: number;
  hits: number;
}

const GRANT_URN = 'urn:ietf:params:oauth:grant-type:';

/** `urn:ietf:params:oauth:grant-type:jwt-bearer` → `jwt-bearer`; other grant names unchanged. */
export function normalizeGrant(grant: string | null | undefined): string | undefined {
  if (!grant) return undefined;
  return grant.startsWith(GRANT_URN) ? grant.slice(GRANT_URN.length) : grant;
}

export function isDelay(spec: AnyInjection): spec is InjectionMatch & { delayMs: number } {
  return 'delayMs' in spec;
}

/** Faults a proxy or the network would cause, independent of the provider's error vocabulary. */
export function isTransportFault(spec: AnyInjection): boolean {
  if ('blackHole' in spec || 'reset' in spec) return true;
  if ('error' in spec || 'aadsts' in spec || 'graphError' in spec || 'gmailError' in spec) return false;
  return 'status' in spec && (spec.body === 'text' || spec.body === 'html');
}

function matches(rule: Rule, flavour: FaultFlavour, ctx: InjectionContext): boolean {
  const { spec } = rule;
  const endpoint = spec.endpoint ?? 'token';
  if (rule.flavour !== flavour || rule.remaining <= 0) return false;
  if (endpoint !== 'any' && endpoint !== ctx.endpoint) return false;
  if (spec.clientId !== undefined && !ctx.clientIds?.includes(spec.clientId)) return false;
  if (spec.user !== undefined && spec.user.toLowerCase() !== ctx.user?.toLowerCase()) return false;
  if (spec.grant !== undefined) {
    const wanted = (typeof spec.grant === 'string' ? [spec.grant] : spec.grant).map(normalizeGrant);
    if (!wanted.includes(normalizeGrant(ctx.grant))) return false;
  }
  return true;
}

/**
 * @example
 * const injections = createInjections();
 * injections.add('microsoft', { endpoint: 'sendMail', status: 429, retryAfterSeconds: 5 });
 */
export function createInjections(): Injections {
  let rules: Rule[] = [];
  const consume = (kind: (spec: AnyInjection) => boolean, flavour: FaultFlavour, ctx: InjectionContext) => {
    const rule = rules.find((r) => kind(r.spec) && matches(r, flavour, ctx));
    if (!rule) return undefined;
    rule.remaining -= 1;
    rule.hits += 1;
    rules = rules.filter((r) => r.remaining > 0);
    return rule;
  };
  const providerLevel = (spec: AnyInjection) => !isDelay(spec) && !isTransportFault(spec);
  return {
    add(flavour, spec) {
      const times = spec.times ?? 1;
      if (!(times > 0)) throw new RangeError(`Injection times must be a positive number, got ${times}.`);
      const rule: Rule = { flavour, spec, remaining: times, hits: 0 };
      rules.push(rule);
      return {
        get hits() {
          return rule.hits;
        },
        remove() {
          rules = rules.filter((r) => r !== rule);
        },
      };
    },
    takeTransport(flavour, ctx) {
      const delay = consume(isDelay, flavour, ctx);
      const fault = consume(isTransportFault, flavour, ctx);
      const delayMs = delay && isDelay(delay.spec) ? delay.spec.delayMs : 0;
      if (!fault) return { delayMs };
      return {
        delayMs,
        reply: faultReply(flavour, ctx.endpoint, fault.spec),
        label: faultLabel(fault.spec),
      };
    },
    take(flavour, ctx) {
      const rule = consume(providerLevel, flavour, ctx);
      if (!rule) return {};
      return { reply: faultReply(flavour, ctx.endpoint, rule.spec), label: faultLabel(rule.spec) };
    },
    clear() {
      rules = [];
    },
  };
}
