import type { Client as ModernClient } from '@modelcontextprotocol/client';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';

export interface Measurement {
  p50Ms: number;
  p99Ms: number;
  throughput: number;
}

export type CallOnce = () => Promise<void>;

/** A tools/call that must succeed: a bench that measures errors measures nothing. */
export function toolCall(client: Client, name: string, args: Record<string, unknown> = {}): CallOnce {
  return async () => {
    const result = await client.request(
      { method: 'tools/call', params: { name, arguments: args } },
      CallToolResultSchema,
    );
    if (result.isError) throw new Error(`bench call ${name} failed: ${JSON.stringify(result.content)}`);
  };
}

/** The same for a 2026-era SDK v2 client. */
export function modernToolCall(client: ModernClient, name: string, args: Record<string, unknown> = {}): CallOnce {
  return async () => {
    const result = await client.request({ method: 'tools/call', params: { name, arguments: args } });
    // A 2026 result may be input_required rather than the tool's answer.
    if (!('content' in result)) throw new Error(`bench call ${name} did not complete: ${JSON.stringify(result)}`);
    if (result.isError) throw new Error(`bench call ${name} failed: ${JSON.stringify(result.content)}`);
  };
}

/** Sequential latency percentiles, then throughput with `concurrency` callers for `seconds`. */
export async function measure(
  call: CallOnce,
  options: { sequential: number; concurrency: number; seconds: number; warmup: number },
): Promise<Measurement> {
  for (let i = 0; i < options.warmup; i += 1) await call();
  const samples: number[] = [];
  for (let i = 0; i < options.sequential; i += 1) {
    const start = process.hrtime.bigint();
    await call();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  samples.sort((a, b) => a - b);
  const percentile = (p: number) => samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))]!;

  let done = 0;
  const deadline = Date.now() + options.seconds * 1_000;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (Date.now() < deadline) {
        await call();
        done += 1;
      }
    }),
  );
  const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
  return { p50Ms: percentile(50), p99Ms: percentile(99), throughput: done / elapsedS };
}

/** Per metric, the middle of an odd number of runs. */
export function median(runs: Measurement[]): Measurement {
  const mid = (pick: (m: Measurement) => number) => runs.map(pick).sort((a, b) => a - b)[Math.floor(runs.length / 2)]!;
  return { p50Ms: mid((m) => m.p50Ms), p99Ms: mid((m) => m.p99Ms), throughput: mid((m) => m.throughput) };
}

export interface Row {
  scenario: string;
  direct: Measurement;
  airlock: Measurement;
}

export function renderRows(rows: Row[]): string {
  const header = [
    'scenario',
    'direct p50',
    'airlock p50',
    'added p50',
    'direct p99',
    'airlock p99',
    'direct calls/s',
    'airlock calls/s',
    'throughput ratio',
  ];
  const lines = rows.map((r) => [
    r.scenario,
    ms(r.direct.p50Ms),
    ms(r.airlock.p50Ms),
    ms(r.airlock.p50Ms - r.direct.p50Ms),
    ms(r.direct.p99Ms),
    ms(r.airlock.p99Ms),
    r.direct.throughput.toFixed(0),
    r.airlock.throughput.toFixed(0),
    `${((100 * r.airlock.throughput) / r.direct.throughput).toFixed(0)} %`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  return [header, ...lines].map((cells) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n');
}

const ms = (value: number) => `${value.toFixed(2)} ms`;
