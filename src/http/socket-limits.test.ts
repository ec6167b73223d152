import { describe, expect, it } from 'vitest';
import { AddressCounter, addressKey, serverTimeouts } from './socket-limits.js';

describe('serverTimeouts', () => {
  it('bounds headers by header_timeout and the whole request by header_timeout + body_timeout, checked often enough', () => {
    expect(serverTimeouts({ header_timeout: 10_000, body_timeout: 10_000 })).toEqual({
      headersTimeout: 10_000,
      requestTimeout: 20_000,
      connectionsCheckingInterval: 1_000,
      keepAliveTimeout: 5_000,
    });
  });

  it('checks a quarter of the shortest deadline apart when deadlines are short, never more often than every 50 ms', () => {
    expect(serverTimeouts({ header_timeout: 400, body_timeout: 2_000 }).connectionsCheckingInterval).toBe(100);
    expect(serverTimeouts({ header_timeout: 100, body_timeout: 100 }).connectionsCheckingInterval).toBe(50);
  });
});

describe('addressKey', () => {
  it('counts an IPv4 client seen on a dual-stack socket as its IPv4 address', () => {
    expect(addressKey('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(addressKey('127.0.0.1')).toBe('127.0.0.1');
    expect(addressKey('::1')).toBe('::1');
    expect(addressKey(undefined)).toBe('unknown');
  });
});

describe('AddressCounter', () => {
  it('admits up to the cap per address, refuses beyond it, and admits again once one closes', () => {
    const counter = new AddressCounter(2);
    expect(counter.tryOpen('10.0.0.1')).toEqual({ admitted: true });
    expect(counter.tryOpen('10.0.0.1')).toEqual({ admitted: true });
    expect(counter.tryOpen('10.0.0.2')).toEqual({ admitted: true });
    expect(counter.tryOpen('10.0.0.1')).toEqual({ admitted: false, open: 2, firstRefusal: true });
    expect(counter.tryOpen('10.0.0.1')).toEqual({ admitted: false, open: 2, firstRefusal: false });
    counter.closed('10.0.0.1');
    expect(counter.tryOpen('10.0.0.1')).toEqual({ admitted: true });
    expect(counter.count('10.0.0.1')).toBe(2);
  });

  it('forgets an address whose sockets all closed, so its next crowded spell is logged again', () => {
    const counter = new AddressCounter(1);
    counter.tryOpen('10.0.0.1');
    expect(counter.tryOpen('10.0.0.1')).toMatchObject({ firstRefusal: true });
    counter.closed('10.0.0.1');
    expect(counter.count('10.0.0.1')).toBe(0);
    counter.tryOpen('10.0.0.1');
    expect(counter.tryOpen('10.0.0.1')).toMatchObject({ firstRefusal: true });
  });
});
