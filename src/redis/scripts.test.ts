import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as scripts from './scripts.js';
import { releaseLimits, reserveLimits, type RedisScript } from './scripts.js';

const all = Object.values(scripts).filter(
  (value): value is RedisScript => typeof value === 'object' && value !== null && 'lua' in value,
);

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

  it('every .lua file is loaded, named <verb><Noun>-<numKeys>.lua, headed by its own name, includes resolved', () => {
    const files = readdirSync(new URL('./scripts/', import.meta.url)).filter((f) => f.endsWith('.lua'));
    expect(all.map((s) => (s.numKeys === undefined ? `${s.name}.lua` : `${s.name}-${s.numKeys}.lua`)).sort()).toEqual(
      files.sort(),
    );
    for (const script of all) {
      const file = script.numKeys === undefined ? `${script.name}.lua` : `${script.name}-${script.numKeys}.lua`;
      expect(script.lua.startsWith(`--[[ ${file}:`)).toBe(true);
      for (const word of ['KEYS[', 'Output']) expect(script.lua).toContain(word);
      expect(script.lua).not.toContain('@include');
      if (script.numKeys !== undefined)
        expect(script.lua).not.toMatch(new RegExp(`KEYS\\[${script.numKeys + 1}\\]`, 'u'));
    }
  });
});
