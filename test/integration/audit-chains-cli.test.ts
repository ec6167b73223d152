import { cpSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { joinEmbeddedRedis } from '../../src/redis/index.js';
import {
  auditConfig,
  fileLines,
  fileOf,
  quietLog,
  slotPath,
  writeLines,
  SLOT_HOST,
  parseAuditLines,
  readAuditEvents,
} from '../helpers/audit.js';
import { killAuditClis, runAuditCli, spawnAuditCli } from '../helpers/audit-cli.js';
import { spawnAuditWriter, stopAuditWriter } from '../helpers/audit-writer.js';
import { waitFor } from '../helpers/gateway.js';
import { requestClient } from '../helpers/limits.js';
import { tempDir, writeJson } from '../helpers/paths.js';

/**
 * `airlock audit verify | tail | query` (real CLI processes) over an audit directory holding one
 * chain per writer (README "Files and processes"): every chain is verified, events of all of them
 * are merged in time order.
 */

let dir: string;
let auditDir: string;
let configFile: string;
/** Never the user's: the CLI looks for a running embedded Redis there. */
let dataDir: string;
let alpha: AuditLog;
let beta: AuditLog;
/** Every event written, in the order written (ids increase across both logs of this process). */
const written: { grant: string; type: string }[] = [];

async function call(audit: AuditLog, grant: string, n: number): Promise<void> {
  const trail = audit.call({ grant, server: 'mlflow', tool: 'get_model', args: { n } });
  await trail.emit('call.received');
  await trail.emit('call.outcome', { outcome: 'ok', duration_ms: n });
  written.push({ grant, type: 'call.received' }, { grant, type: 'call.outcome' });
}

beforeAll(async () => {
  dir = tempDir('airlock-audit-chains-');
  dataDir = tempDir('airlock-audit-chains-data-');
  auditDir = join(dir, 'audit');
  configFile = writeJson(join(dir, 'airlock.config.json'), {
    upstreams: { mlflow: { command: 'true' } },
    policy: 'policy.json',
    grants: [{ name: 'alice', token: 'alice-token-0123456789' }],
    audit: { dir: 'audit' },
  });
  // Two writers on one directory: two slots, two chains, calls alternating between them.
  alpha = AuditLog.open({ config: auditConfig(auditDir), log: quietLog });
  beta = AuditLog.open({ config: auditConfig(auditDir), log: quietLog });
  for (let n = 1; n <= 3; n++) {
    await call(alpha, 'alpha', n);
    await call(beta, 'beta', n);
  }
});

afterAll(async () => {
  await Promise.all([alpha.close(), beta.close()]);
});

afterEach(killAuditClis);

const cli = (...args: string[]) => runAuditCli(...args, '--data-dir', dataDir);
const instance = (n: number) => `${SLOT_HOST}-${n}`;

describe('airlock audit verify over an audit directory', () => {
  it('verifies every chain of the configured directory, one OK line each', async () => {
    expect(alpha.file).toBe(slotPath(auditDir, 1));
    expect(beta.file).toBe(slotPath(auditDir, 2));
    const ok = (n: number) => `${instance(n)}: OK: 1 file\\(s\\), 6 line\\(s\\), seq 1–6; head [0-9a-f]{64}`;
    const expected = new RegExp(`^${ok(1)}\n${ok(2)}\n$`, 'u');
    expect(await cli('verify', '-c', configFile)).toEqual({ code: 0, out: expect.stringMatching(expected), err: '' });
    // A directory given as the argument: the same.
    expect(await cli('verify', auditDir)).toEqual({ code: 0, out: expect.stringMatching(expected), err: '' });
  });

  it('exits 1 naming the broken chain file and line; the other chain is still OK', async () => {
    const copy = join(tempDir('airlock-audit-chains-copy-'), 'audit');
    cpSync(auditDir, copy, { recursive: true });
    const edited = slotPath(copy, 2);
    const lines = fileLines(edited);
    lines[2] = lines[2]!.replace('"n":2', '"n":20');
    writeLines(edited, lines);
    const { code, out } = await cli('verify', copy);
    expect(code).toBe(1);
    expect(out.split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^${instance(1)}: OK: 1 file\\(s\\), 6 line\\(s\\)`, 'u')),
      `${instance(2)}: audit chain broken: ${edited} line 3: edited: its hash no longer matches the "prev" recorded by the line after it (seq 4)`,
      '',
    ]);
  });

  it('says so when there is nothing to verify', async () => {
    const empty = tempDir('airlock-audit-chains-empty-');
    mkdirSync(join(empty, 'audit'));
    writeJson(join(empty, 'airlock.config.json'), {
      upstreams: { x: { command: 'true' } },
      policy: 'p.json',
      grants: [{ name: 'g', token: 'g-token-0123456789abcdef' }],
      audit: { dir: 'audit' },
    });
    const { code, err } = await cli('verify', '-c', join(empty, 'airlock.config.json'));
    expect(code).toBe(1);
    expect(err).toBe(`airlock: nothing to verify: no audit files in the audit directory ${join(empty, 'audit')}\n`);
  });
});

describe('airlock audit tail and query over an audit directory', () => {
  it('tail -n counts across all chains and prints their events merged in time order', async () => {
    const last = parseAuditLines((await cli('tail', '-n', '5', '--json', '-c', configFile)).out);
    expect(last.map((e) => ({ grant: e.grant, type: e.type }))).toEqual(written.slice(-5));
    const all = parseAuditLines((await cli('tail', '-n', '100', '--json', '--source', 'file', '-c', configFile)).out);
    expect(all.map((e) => ({ grant: e.grant, type: e.type }))).toEqual(written);
    expect(all.map((e) => e.id)).toEqual(all.map((e) => e.id).sort());
  });

  it('query reads every chain, merged in time order, filters and limits across them', async () => {
    const all = parseAuditLines((await cli('query', '--json', '-c', configFile)).out);
    expect(all.map((e) => ({ grant: e.grant, type: e.type }))).toEqual(written);
    const outcomes = parseAuditLines(
      (await cli('query', '--json', '--type', 'call.outcome', '-n', '3', '-c', configFile)).out,
    );
    expect(outcomes.map((e) => e.grant)).toEqual(['alpha', 'beta', 'alpha']);
    const betas = parseAuditLines((await cli('query', '--json', '--grant', 'beta', '-c', configFile)).out);
    expect(betas).toHaveLength(6);
    expect(new Set(betas.map((e) => e.grant))).toEqual(new Set(['beta']));
  });

  it('tail -f follows every chain, and a chain that appears after it started', async () => {
    const follow = spawnAuditCli('tail', '-f', '-n', '2', '--json', '-c', configFile, '--data-dir', dataDir);
    const printed = () => (follow.out().trim() === '' ? [] : parseAuditLines(follow.out()));
    await waitFor(() => printed().length === 2, 20_000, 'the last two events');
    expect(printed().map((e) => ({ grant: e.grant, type: e.type }))).toEqual(written.slice(-2));
    // New lines in an existing chain…
    await call(alpha, 'alpha', 4);
    // …and a new process, which claims a new slot (1 and 2 are held) and so starts a new chain.
    const gamma = spawnAuditWriter({ DIR: auditDir, NAME: 'gamma' });
    try {
      await gamma.ready;
      expect(await gamma.send('open')).toMatchObject({ file: slotPath(auditDir, 3), seq: 0 });
      await gamma.send('write 3');
      expect(await stopAuditWriter(gamma)).toBe(0);
    } finally {
      if (gamma.child.exitCode === null) gamma.child.kill('SIGKILL');
    }
    await waitFor(
      () => printed().filter((e) => e.grant === 'gamma').length === 6,
      10_000,
      "the new chain's events",
    ).catch((error: Error) => {
      throw new Error(`${error.message}; printed:\n${follow.out()}\nstderr:\n${follow.err()}`);
    });
    follow.child.kill('SIGINT');
    expect(await follow.exited).toBe(0);
    const events = printed();
    expect(
      events
        .filter((e) => e.grant === 'alpha')
        .slice(-2)
        .map((e) => e.type),
    ).toEqual(['call.received', 'call.outcome']);
    expect(events).toHaveLength(2 + 2 + 6);
    // gamma's chain is read from its first line: every one of its events, in its order.
    const gammaIds = readAuditEvents(slotPath(auditDir, 3)).map((e) => e.id);
    expect(events.filter((e) => e.grant === 'gamma').map((e) => e.id)).toEqual(gammaIds);
  });
});

describe('the default source', () => {
  it("is the stream when the data directory's embedded Redis is running, without config", async () => {
    const home = tempDir('airlock-audit-embedded-');
    const embedded = await joinEmbeddedRedis(home, quietLog);
    const redis = await requestClient(embedded.url.replace(/^unix:\/\//u, ''));
    // Events go to the stream and to a directory the config does not name: only the stream has them.
    const elsewhere = AuditLog.open({
      config: auditConfig(join(home, 'elsewhere')),
      redis,
      prefix: '{airlock}',
      log: quietLog,
    });
    try {
      await call(elsewhere, 'streamed', 1);
      await elsewhere.flush();
      const fromStream = await runAuditCli('tail', '-n', '2', '--json', '-c', configFile, '--data-dir', home);
      expect(fromStream).toMatchObject({ code: 0, err: '' });
      expect(parseAuditLines(fromStream.out).map((e) => e.grant)).toEqual(['streamed', 'streamed']);
      // Asked for the files: the configured directory's chains.
      const fromFiles = await runAuditCli(
        'tail',
        '-n',
        '1',
        '--json',
        '--source',
        'file',
        '-c',
        configFile,
        '--data-dir',
        home,
      );
      expect(fromFiles).toMatchObject({ code: 0, err: '' });
      expect(parseAuditLines(fromFiles.out).map((e) => e.grant)).not.toContain('streamed');
      expect(basename(fileOf(elsewhere))).toBe(`${instance(1)}.jsonl`);
    } finally {
      await elsewhere.close();
      redis.disconnect();
      await embedded.release();
    }
  });
});
