/**
 * The text form of a fault rule, for `mailplug-emulator start --fault ...`:
 * `<flavour>/<endpoint>=<shape>[,option=value...]`, e.g. `microsoft/token=429,retry-after=5`,
 * `google/messages.send=black-hole`, `oauth/token=503-text,times=2`, `microsoft/sendMail=502-html`.
 */
import type { AnyInjection, FaultFlavour, FaultStatus, InjectionEndpoint } from './injections.js';

const FLAVOURS: readonly FaultFlavour[] = ['microsoft', 'google', 'oauth'];
const ENDPOINTS: readonly InjectionEndpoint[] = [
  'token',
  'authorize',
  'devicecode',
  'revoke',
  'tokeninfo',
  'userinfo',
  'introspect',
  'sendMail',
  'messages.send',
  'any',
];
const STATUSES: readonly number[] = [429, 500, 502, 503, 504];

export const FAULT_SYNTAX =
  '<microsoft|google|oauth>/<endpoint>=<429|5xx[-text|-html]|black-hole|reset|delay-<ms>|aadsts-<n>|error-<name>|graph-<code>|gmail-<reason>>[,retry-after=<s>][,times=<n>|forever][,client=<id>][,user=<email>][,grant=<g>+<g>]';

export interface ParsedFault {
  readonly flavour: FaultFlavour;
  readonly spec: AnyInjection;
}

function shapeOf(shape: string): Record<string, unknown> {
  const status = /^(\d{3})(?:-(json|text|html))?$/.exec(shape);
  if (status) {
    const code = Number(status[1]);
    if (!STATUSES.includes(code)) throw new Error(`status ${code} is not one of ${STATUSES.join(', ')}`);
    return { status: code as FaultStatus, ...(status[2] ? { body: status[2] } : {}) };
  }
  if (shape === 'black-hole') return { blackHole: true };
  if (shape === 'reset') return { reset: true };
  const [kind, ...rest] = shape.split('-');
  const value = rest.join('-');
  if (kind === 'delay' && /^\d+$/.test(value)) return { delayMs: Number(value) };
  if (kind === 'aadsts' && /^\d+$/.test(value)) return { aadsts: Number(value) };
  if (kind === 'error' && value) return { error: value };
  if (kind === 'graph' && value) return { graphError: value };
  if (kind === 'gmail' && value) return { gmailError: value };
  throw new Error(`unknown fault shape '${shape}'`);
}

/**
 * @example
 * parseFault('microsoft/sendMail=429,retry-after=5,times=forever');
 * // { flavour: 'microsoft', spec: { endpoint: 'sendMail', status: 429, retryAfterSeconds: 5, times: Infinity } }
 */
export function parseFault(text: string, defaultTimes = 1): ParsedFault {
  const fail = (why: string): never => {
    throw new Error(`--fault "${text}": ${why}. Syntax: ${FAULT_SYNTAX}`);
  };
  const match = /^([a-z]+)\/([A-Za-z.]+)=([^,]+)((?:,[^,=]+=[^,]*)*)$/.exec(text.trim());
  if (!match) return fail('not in the form flavour/endpoint=shape');
  const [, flavour = '', endpoint = '', shape = '', options = ''] = match;
  if (!FLAVOURS.includes(flavour as FaultFlavour)) return fail(`unknown flavour '${flavour}'`);
  if (!ENDPOINTS.includes(endpoint as InjectionEndpoint)) return fail(`unknown endpoint '${endpoint}'`);
  let spec: Record<string, unknown>;
  try {
    spec = { endpoint, times: defaultTimes, ...shapeOf(shape) };
  } catch (error) {
    return fail((error as Error).message);
  }
  for (const option of options.split(',').filter(Boolean)) {
    const [key = '', value = ''] = option.split('=');
    if (key === 'retry-after' && /^\d+$/.test(value)) spec.retryAfterSeconds = Number(value);
    else if (key === 'times' && (value === 'forever' || /^[1-9]\d*$/.test(value)))
      spec.times = value === 'forever' ? Number.POSITIVE_INFINITY : Number(value);
    else if (key === 'client' && value) spec.clientId = value;
    else if (key === 'user' && value) spec.user = value;
    else if (key === 'grant' && value) spec.grant = value.split('+');
    else return fail(`bad option '${option}'`);
  }
  return { flavour: flavour as FaultFlavour, spec: spec as unknown as AnyInjection };
}
