import { describe, expect, it } from 'vitest';
import { silentLogger } from '../shared/index.js';
import { SlackAuditChannel } from './audit-channel.js';

describe('SlackAuditChannel', () => {
  it('batches lines into one message per flush, never above the size limit, and never throws', async () => {
    const sent: [string, string][] = [];
    let fail = true;
    const sink = new SlackAuditChannel({
      channel: 'C0AUDIT',
      log: silentLogger(),
      flushMs: 60_000,
      maxChars: 100,
      send: async (channel, text) => {
        if (fail) {
          fail = false;
          throw new Error('redis down');
        }
        sent.push([channel, text]);
      },
    });
    sink.post('lost: the first send fails, and post() does not throw');
    await sink.flush();
    sink.post('approved copy_model_version for ci-agent by @alice');
    sink.post('ok copy_model_version 1.2 s');
    sink.post('x'.repeat(80));
    sink.post('y'.repeat(500));
    await sink.close();
    expect(sent).toEqual([
      ['C0AUDIT', 'approved copy_model_version for ci-agent by @alice\nok copy_model_version 1.2 s'],
      ['C0AUDIT', 'x'.repeat(80)],
      ['C0AUDIT', 'y'.repeat(99) + '…'],
    ]);
  });
});
