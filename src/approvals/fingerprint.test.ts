import { describe, expect, it } from 'vitest';
import { fingerprintOf } from './fingerprint.js';

describe('fingerprintOf', () => {
  const base = { grant: 'g', server: 'mlflow', tool: 'copy_model_version', args: { name: 'm', version: '3' } };

  it('is the same for the same call whatever the key order', () => {
    expect(fingerprintOf(base)).toBe(fingerprintOf({ ...base, args: { version: '3', name: 'm' } }));
    expect(fingerprintOf(base)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('differs when any of grant, server, tool or arguments differs', () => {
    const others = [
      { ...base, grant: 'h' },
      { ...base, server: 'other' },
      { ...base, tool: 'delete_model_version' },
      { ...base, args: { name: 'm', version: 3 } },
      { ...base, args: { name: 'm', version: '3', extra: true } },
    ];
    for (const other of others) expect(fingerprintOf(other)).not.toBe(fingerprintOf(base));
  });

  it('treats missing arguments as an empty object', () => {
    expect(fingerprintOf({ ...base, args: undefined })).toBe(fingerprintOf({ ...base, args: {} }));
  });
});
