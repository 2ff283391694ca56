import { isIP } from 'node:net';

/** True for `localhost`, 127.0.0.0/8 and ::1 — the only hosts the emulator's helpers talk to. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '::ffff:127.0.0.1';
  return false;
}
