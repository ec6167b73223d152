import { describe, expect, it } from 'vitest';
import { DEFAULT_REDACT_PATTERNS } from '../config/index.js';
import { canonicalJson } from '../shared/index.js';
import { cutString, MORE_KEYS, previewArgs } from './args-preview.js';
import { argsSha256 } from './digest.js';
import type { AuditEvent } from './events.js';
import { createRedactor } from './redact.js';
import { CallTrail, type TrailSink } from './trail.js';

const bytes = (text: string) => Buffer.byteLength(text);

/** The first event a trail writes for `args`, parsed (with a preview budget of `previewBytes`). */
async function firstEvent(args: unknown, previewBytes = 4096): Promise<AuditEvent> {
  const written: string[] = [];
  const sink: TrailSink = { now: () => 0, record: async (json) => void written.push(json) };
  const trail = new CallTrail(
    sink,
    { grant: 'g', server: 's', tool: 't', args },
    createRedactor(DEFAULT_REDACT_PATTERNS),
    { previewBytes },
  );
  await trail.emit('policy.decided', { rule: '/r', action: 'allow' });
  return JSON.parse(written[0]!) as AuditEvent;
}

describe('previewArgs', () => {
  it('keeps small arguments whole, with no marker', () => {
    const args = { name: 'm', version: '3', tags: { team: 'ml' }, list: [1, 2, 3], ok: true, none: null };
    expect(previewArgs(args, 4096)).toEqual({ json: JSON.stringify(args), truncated: false });
    const exact = { text: 'x'.repeat(100) };
    expect(previewArgs(exact, bytes(JSON.stringify(exact)))).toEqual({ json: JSON.stringify(exact), truncated: false });
  });

  it('cuts a 3.9 MB string to valid JSON within the budget, saying how much was left out', () => {
    const huge = 'A'.repeat(3_900_000);
    const preview = previewArgs({ name: 'm', text: huge }, 4096);
    expect(preview.truncated).toBe(true);
    expect(bytes(preview.json)).toBeLessThanOrEqual(4096);
    const value = JSON.parse(preview.json) as { name: string; text: string };
    expect(value.name).toBe('m');
    const kept = value.text.indexOf('…');
    expect(kept).toBeGreaterThan(3_000); // most of the budget goes to the one long string
    expect(value.text).toBe(`${'A'.repeat(kept)}… [${3_900_000 - kept} more characters]`);
  });

  it('prunes nested objects, long arrays and many keys, with markers, and stays within the budget', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 40; i++) deep = { level: deep };
    const args = {
      rows: Array.from({ length: 5_000 }, (_, i) => ({ id: i, note: `row ${i} `.repeat(20) })),
      wide: Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`key_${i}`, i])),
      deep,
    };
    for (const budget of [256, 1024, 4096, 16_384]) {
      const preview = previewArgs(args, budget);
      expect(preview.truncated).toBe(true);
      expect(bytes(preview.json)).toBeLessThanOrEqual(budget);
      expect(() => JSON.parse(preview.json)).not.toThrow();
    }
    const value = JSON.parse(previewArgs(args, 4096).json) as {
      rows: unknown[];
      wide: Record<string, unknown>;
      deep: unknown;
    };
    expect(value.rows.at(-1)).toMatch(/^… \[\d+ more items\]$/u);
    expect(value.wide[MORE_KEYS]).toMatch(/^\[\d+ more keys\]$/u);
    expect(value.wide.key_0).toBe(0);
    expect(JSON.stringify(value.deep)).toMatch(/\[object with 1 keys\]/u);
  });

  it('counts bytes, not characters, and never splits a surrogate pair', () => {
    const preview = previewArgs({ text: '€😀'.repeat(10_000) }, 1024);
    expect(bytes(preview.json)).toBeLessThanOrEqual(1024);
    const text = (JSON.parse(preview.json) as { text: string }).text;
    expect(text).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/u);
    expect(cutString(`ab😀${'c'.repeat(40)}`, 3)).toBe('ab… [42 more characters]');
    expect(cutString('short', 1)).toBe('short'); // the marker would be longer than what it saves
  });
});

describe('the arguments in the first event', () => {
  it('are stored whole when small: args, args_bytes and the full hash, no truncation marker', async () => {
    const event = await firstEvent({ name: 'm', version: '3' });
    expect(event).toMatchObject({
      args: { name: 'm', version: '3' },
      args_bytes: bytes(canonicalJson({ name: 'm', version: '3' })),
      args_sha256: argsSha256({ version: '3', name: 'm' }),
    });
    expect(event).not.toHaveProperty('args_truncated');
  });

  it('are a preview when large, with the size and hash of the full arguments', async () => {
    const args = { name: 'm', blob: 'x'.repeat(3_900_000) };
    const event = await firstEvent(args, 2048);
    expect(event.args_truncated).toBe(true);
    expect(event.args_bytes).toBe(bytes(canonicalJson(args)));
    expect(event.args_sha256).toBe(argsSha256(args));
    expect(bytes(JSON.stringify(event.args))).toBeLessThanOrEqual(2048);
    expect(bytes(JSON.stringify(event))).toBeLessThan(2048 + 400);
  });

  it('are redacted before they are cut: a secret is gone even where it would have been cut', async () => {
    const secret = `sk-live-${'s'.repeat(10_000)}`;
    const small = await firstEvent({ name: 'm', api_token: secret });
    expect(small.args).toEqual({ name: 'm', api_token: '[redacted]' });
    expect(small).not.toHaveProperty('args_truncated');
    const large = await firstEvent(
      { items: Array.from({ length: 200 }, (_, i) => ({ i, password: `pw-${i}-secret` })), text: 'y'.repeat(100_000) },
      1024,
    );
    expect(large.args_truncated).toBe(true);
    expect(JSON.stringify(large)).not.toMatch(/pw-\d+-secret|sk-live/u);
    expect(JSON.stringify(large.args)).toContain('[redacted]');
  });
});
