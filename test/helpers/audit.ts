import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { AuditEventSchema, type AuditEvent, type AuditEventOf, type AuditEventType } from '../../src/audit/events.js';
import type { Redis } from 'ioredis';
import { AuditConfigSchema, type AuditConfig, type AuditConfigInput } from '../../src/config/index.js';
import { silentLogger } from '../../src/shared/logger.js';

/** A valid event of `type` with plausible fields; `over` replaces any of them. */
export function makeEvent<T extends AuditEventType>(type: T, over: Partial<AuditEventOf<T>> = {}): AuditEventOf<T> {
  const base = {
    v: 1 as const,
    id: '01J0000000AAAAAAAAAAAAAAAA',
    time: '2026-08-01T12:00:00.000Z',
    call_id: 'call_01J0000000AAAAAAAAAAAAAAAA',
    grant: 'ci-agent',
    session: 's1',
    server: 'mlflow',
    tool: 'copy_model_version',
    args: { name: 'm', version: '3' },
    args_sha256: 'a'.repeat(64),
  };
  const own: Record<AuditEventType, object> = {
    'call.received': {},
    'policy.decided': { rule: '/tools/copy_model_version', action: 'allow' },
    'policy.shadowed': { would: 'deny', rule: '/tools/copy_model_version', reason: 'tightened' },
    'call.rate_limited': {
      rule: '/tools/copy_model_version',
      counter: 'copy_rate',
      max: 30,
      window: 'minute',
      retry_after_ms: 12_000,
    },
    'call.refused': { reason: 'limits_unavailable', error: 'Redis is unreachable' },
    'approval.requested': {
      approval_id: 'apr_aaaaaaaaaaaaaaaaaaaa',
      rule: '/tools/copy_model_version',
      expires_at: '2026-08-01T12:15:00.000Z',
    },
    'approval.decided': {
      approval_id: 'apr_aaaaaaaaaaaaaaaaaaaa',
      decision: 'approved',
      approver: 'U123',
      decided_at: '2026-08-01T12:01:00.000Z',
    },
    'approval.expired': { approval_id: 'apr_aaaaaaaaaaaaaaaaaaaa' },
    'approval.withdrawn': { approval_id: 'apr_aaaaaaaaaaaaaaaaaaaa', approver: 'U999' },
    'call.forwarded': {},
    'call.outcome': { outcome: 'ok', duration_ms: 120 },
    'call.denied_repeatedly': {
      session: undefined,
      args: undefined,
      rule: '/tools/copy_model_version',
      reason: 'Destructive',
      count: 57,
      first_call_id: 'call_01J0000000AAAAAAAAAAAAAAAA',
      since: '2026-08-01T12:00:01.000Z',
      until: '2026-08-01T12:00:59.000Z',
    },
  };
  return { ...base, type, ...own[type], ...over } as AuditEventOf<T>;
}

/** A parsed audit config for tests: the audit directory `dir` (one file per writer), fail closed. */
export function auditConfig(dir: string, over: AuditConfigInput = {}): AuditConfig {
  return AuditConfigSchema.parse({ dir, ...over });
}

/** A parsed audit config with one fixed file (`audit.file`: a single writer). */
export function auditFileConfig(file: string, over: AuditConfigInput = {}): AuditConfig {
  return AuditConfigSchema.parse({ file, ...over });
}

/** This machine's host name as slot file names spell it (written out here, not taken from slots.ts). */
export const SLOT_HOST = hostname().replace(/[^A-Za-z0-9_-]/gu, '-');

/** The path of slot `n` of an audit directory: `<dir>/<host>-<n>.jsonl`. */
export function slotPath(dir: string, n: number): string {
  return join(dir, `${SLOT_HOST}-${n}.jsonl`);
}

/** The file an AuditLog writes (fails the test when it has none). */
export function fileOf(audit: { file: string | undefined }): string {
  if (audit.file === undefined) throw new Error('this AuditLog has no audit file');
  return audit.file;
}

export const quietLog = silentLogger();

/** The lines of a file (without the final empty string). */
export function fileLines(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  return text.split('\n').slice(0, -1);
}

export function writeLines(path: string, lines: readonly string[]): void {
  writeFileSync(path, lines.map((l) => `${l}\n`).join(''));
}

export function appendRaw(path: string, text: string): void {
  appendFileSync(path, text);
}

/** Audit events from JSON lines (a chain file's text, or `audit query --json` output). */
export function parseAuditLines(text: string): AuditEvent[] {
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as AuditEvent);
}

/** The events of one audit chain file, in order. */
export function readAuditEvents(path: string): AuditEvent[] {
  return parseAuditLines(readFileSync(path, 'utf8'));
}

/** The events of an audit Redis stream (`<prefix>:audit`), oldest first. */
export async function readAuditStream(redis: Redis, key: string): Promise<AuditEvent[]> {
  const entries = await redis.xrange(key, '-', '+');
  return entries.map(([, fields]) => AuditEventSchema.parse(JSON.parse(fields[1]!)));
}

export type { AuditEvent };
