import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { releaseLimits, reserveLimits } from './scripts.js';

describe('scripts', () => {
  it('open with a KEYS/ARGV/Output header and carry their own SHA1', () => {
    for (const script of [reserveLimits, releaseLimits]) {
      expect(script.lua.startsWith(`--[[ ${script.name}.lua:`)).toBe(true);
      for (const word of ['KEYS[', 'ARGV[', 'Output']) expect(script.lua).toContain(word);
      expect(script.sha1).toBe(createHash('sha1').update(script.lua).digest('hex'));
    }
  });

  it('reserveLimits reads the clock from Redis only', () => {
    expect(reserveLimits.lua).toContain("redis.call('TIME')");
    expect(reserveLimits.lua).not.toMatch(/os\.time|os\.clock/u);
  });
});
