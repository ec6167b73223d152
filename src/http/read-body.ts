import type { IncomingMessage } from 'node:http';

export type BodyRead =
  | { kind: 'ok'; text: string }
  /** Over the byte limit: declared by Content-Length (nothing read) or found while reading. */
  | { kind: 'too_large' }
  /** Not all in within the deadline. */
  | { kind: 'timeout' }
  /** The client went away mid-body: nobody to answer. */
  | { kind: 'aborted' };

/**
 * A request body as text, within a byte limit and a deadline for the whole body (a client
 * trickling one byte at a time gets no more than `timeoutMs`). On any outcome but `ok` the
 * rest of the body is discarded, never buffered; the caller answers and the connection closes.
 */
export function readBody(req: IncomingMessage, limits: { maxBytes: number; timeoutMs: number }): Promise<BodyRead> {
  if (Number(req.headers['content-length'] ?? 0) > limits.maxBytes) return Promise.resolve({ kind: 'too_large' });
  if (req.readableEnded) return Promise.resolve({ kind: 'ok', text: '' });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: BodyRead) => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', onAborted).off('close', onClose);
      if (result.kind !== 'ok') req.resume();
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limits.maxBytes) return finish({ kind: 'too_large' });
      chunks.push(chunk);
    };
    const onEnd = () => finish({ kind: 'ok', text: Buffer.concat(chunks).toString('utf8') });
    const onAborted = () => finish({ kind: 'aborted' });
    const onClose = () => {
      if (!req.complete) finish({ kind: 'aborted' });
    };
    const timer = setTimeout(() => finish({ kind: 'timeout' }), limits.timeoutMs);
    req.on('data', onData).on('end', onEnd).on('error', onAborted).on('close', onClose);
  });
}
