import { describe, expect, it } from 'vitest';
import { parseArgs } from '../src/args.js';
import { median, mib, ratio, slope } from '../src/stats.js';
import { requestAccessToken, startTokenEndpoint } from '../src/token-endpoint.js';

describe('stats', () => {
  it('takes the median of odd and even samples without reordering the input', () => {
    const input = [9, 1, 5];
    expect(median(input)).toBe(5);
    expect(input).toEqual([9, 1, 5]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('fits a least-squares slope (flat series → 0, linear growth → its rate)', () => {
    expect(slope([0, 1, 2, 3].map((x) => ({ x, y: 7 })))).toBe(0);
    expect(slope([0, 500, 1000].map((x) => ({ x, y: 100 + 2 * x })))).toBeCloseTo(2, 10);
    expect(slope([{ x: 1, y: 1 }])).toBeNaN();
  });

  it('rounds ratios and refuses a zero denominator', () => {
    expect(ratio(95, 100)).toBe(0.95);
    expect(ratio(2, 3)).toBe(0.667);
    expect(ratio(1, 0)).toBeNaN();
    expect(mib(3 * 1024 * 1024)).toBe(3);
  });
});

describe('parseArgs', () => {
  it('runs every figure by default and honours --only, --quick and a pnpm "--" separator', () => {
    expect(parseArgs([]).only).toEqual(['smtp', 'tokens', 'cold-start', 'rss', 'receive', 'hung-token']);
    const args = parseArgs(['--', '--only', 'rss,smtp', '--quick', '--rounds=5']);
    expect(args.only).toEqual(['smtp', 'rss']);
    expect(args.quick).toBe(true);
    expect(args.rounds).toBe(5);
  });

  it('rejects unknown figures, flags and unbounded rounds', () => {
    expect(() => parseArgs(['--only', 'graph'])).toThrow(/Unknown figure "graph"/);
    expect(() => parseArgs(['--fast'])).toThrow(/Unknown argument/);
    expect(() => parseArgs(['--rounds', '100'])).toThrow(/1 to 15/);
  });
});

describe('token endpoint', () => {
  it('counts every request, issues distinct tokens and refuses a wrong refresh token', async () => {
    const endpoint = await startTokenEndpoint();
    try {
      const a = await requestAccessToken(endpoint.url, endpoint.client);
      const b = await requestAccessToken(endpoint.url, endpoint.client);
      expect(a.accessToken).not.toBe(b.accessToken);
      expect(endpoint.isIssued(a.accessToken)).toBe(true);
      expect(endpoint.isIssued('ya29.guessed')).toBe(false);
      expect(a.expiresAt).toBeGreaterThan(Date.now());
      await expect(
        requestAccessToken(endpoint.url, { ...endpoint.client, refreshToken: 'revoked' }),
      ).rejects.toMatchObject({ status: 400, error: 'invalid_grant' });
      expect(endpoint.requestCount).toBe(3);
      endpoint.resetCount();
      expect(endpoint.requestCount).toBe(0);
    } finally {
      await endpoint.close();
    }
  });
});
