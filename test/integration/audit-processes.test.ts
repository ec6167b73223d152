import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import type { AuditEvent } from '../../src/audit/events.js';
import { verifyAuditFiles } from '../../src/audit/verify.js';
import { auditConfig, fileLines, quietLog, slotPath } from '../helpers/audit.js';
import { spawnAuditWriter, stopAuditWriter, type AuditWriter } from '../helpers/audit-writer.js';
import { tempDir } from '../helpers/paths.js';

/**
 * Several Airlock processes on one audit directory (README "Files and processes"): real processes
 * (test/fixtures/audit-writer.ts) claiming slots with real lock files.
 */

interface Opened {
  file: string;
  instance: string;
  seq: number;
}

const writers: AuditWriter[] = [];
afterEach(() => {
  for (const writer of writers.splice(0)) if (writer.child.exitCode === null) writer.child.kill('SIGKILL');
});

async function startWriters(dir: string, names: string[]): Promise<AuditWriter[]> {
  const started = names.map((NAME) => spawnAuditWriter({ DIR: dir, NAME }));
  writers.push(...started);
  await Promise.all(started.map((w) => w.ready));
  return started;
}

const grantsIn = (file: string) => new Set(fileLines(file).map((l) => (JSON.parse(l) as AuditEvent).grant));

describe('Airlock processes sharing one audit directory', () => {
  it('get one file each, both chains verify, and a restart continues its own file', async () => {
    const dir = tempDir('airlock-audit-procs-');
    const [alpha, beta] = await startWriters(dir, ['alpha', 'beta']);
    const a = await alpha!.send<Opened>('open');
    const b = await beta!.send<Opened>('open');
    expect([a.file, b.file].sort()).toEqual([slotPath(dir, 1), slotPath(dir, 2)]);
    await Promise.all([alpha!.send('write 10'), beta!.send('write 10')]);
    expect(verifyAuditFiles([a.file])).toMatchObject({ ok: true, lines: 20 });
    expect(verifyAuditFiles([b.file])).toMatchObject({ ok: true, lines: 20 });
    expect(grantsIn(a.file)).toEqual(new Set(['alpha']));
    expect(grantsIn(b.file)).toEqual(new Set(['beta']));

    // Closed and reopened in the same process: the same slot, the chain goes on.
    expect(await alpha!.send('close')).toEqual({ seq: 20 });
    expect(await alpha!.send<Opened>('open')).toEqual({ ...a, seq: 20 });
    await alpha!.send('write 1');
    // A new process after this one ended takes its slot (the lowest free) and continues its chain.
    expect(await stopAuditWriter(alpha!)).toBe(0);
    expect(existsSync(`${a.file}.lock`)).toBe(false);
    const [gamma] = await startWriters(dir, ['gamma']);
    expect(await gamma!.send<Opened>('open')).toEqual({ ...a, seq: 22 });
    expect(await gamma!.send('write 3')).toMatchObject({ seq: 28 });
    expect(await Promise.all([stopAuditWriter(gamma!), stopAuditWriter(beta!)])).toEqual([0, 0]);
    expect(verifyAuditFiles([a.file])).toMatchObject({ ok: true, lines: 28, firstSeq: 1, lastSeq: 28 });
    expect(grantsIn(a.file)).toEqual(new Set(['alpha', 'gamma']));
    expect(verifyAuditFiles([b.file])).toMatchObject({ ok: true, lines: 20 });
  });

  it('never gives one slot to two processes that start at the same instant', async () => {
    const dir = tempDir('airlock-audit-race-');
    const names = Array.from({ length: 8 }, (_, i) => `w${i}`);
    const started = await startWriters(dir, names);
    for (let round = 1; round <= 2; round++) {
      // Every process waits on its stdin; one write each, back to back, starts them together.
      for (const w of started) w.post('open');
      const opened = await Promise.all(started.map((w) => w.answer<Opened | { error: string }>()));
      expect(opened.filter((o) => 'error' in o)).toEqual([]);
      const files = (opened as Opened[]).map((o) => o.file);
      expect([...files].sort()).toEqual(names.map((_, i) => slotPath(dir, i + 1)).sort());
      await Promise.all(started.map((w) => w.send('write 2')));
      await Promise.all(started.map((w) => w.send('close')));
    }
    expect(await Promise.all(started.map(stopAuditWriter))).toEqual(names.map(() => 0));
    // Round 2 continued round 1's chains: 8 chains of 2 rounds × 2 calls × 2 events, none forked.
    for (let n = 1; n <= names.length; n++)
      expect(verifyAuditFiles([slotPath(dir, n)])).toMatchObject({ ok: true, lines: 8, lastSeq: 8 });
  }, 60_000);

  it('reuses the slot of a process that was killed, continuing its chain', async () => {
    const dir = tempDir('airlock-audit-killed-');
    const [doomed] = await startWriters(dir, ['doomed']);
    const opened = await doomed!.send<Opened>('open');
    await doomed!.send('write 3');
    doomed!.child.kill('SIGKILL');
    await doomed!.exited;
    // The lock stays behind, naming a pid that is gone.
    expect(readFileSync(`${opened.file}.lock`, 'utf8')).toMatch(new RegExp(`^${doomed!.child.pid} `, 'u'));

    const audit = AuditLog.open({ config: auditConfig(dir), log: quietLog });
    try {
      expect(audit.file).toBe(opened.file);
      expect(audit.chainHead.seq).toBe(6);
      await audit.call({ grant: 'next', server: 's', tool: 't', args: {} }).emit('call.received');
    } finally {
      await audit.close();
    }
    expect(verifyAuditFiles([opened.file])).toMatchObject({ ok: true, lines: 7 });
  });
});
