import { connect, type Socket } from 'node:net';

/**
 * A bare TCP client for what fetch cannot do: send headers and a body piece by piece, stall,
 * trickle, and see exactly when the server answers and closes.
 */
export class RawClient {
  /** Everything the server sent, as text. */
  received = '';
  closedAt: number | undefined;
  private readonly closed: Promise<void>;
  private trickler: NodeJS.Timeout | undefined;

  private constructor(
    private readonly socket: Socket,
    readonly openedAt: number,
  ) {
    socket.on('data', (chunk: Buffer) => (this.received += chunk.toString('latin1')));
    socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.closedAt = Date.now();
        clearInterval(this.trickler);
        resolve();
      }),
    );
  }

  /** Connected (the TCP handshake done; the server may not have accepted it yet). */
  static connect(url: string): Promise<RawClient> {
    const { hostname, port } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), hostname);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawClient(socket, Date.now()));
      });
    });
  }

  get isClosed(): boolean {
    return this.closedAt !== undefined;
  }

  send(text: string): void {
    if (!this.isClosed) this.socket.write(text);
  }

  /** Sends one byte every `everyMs` until the connection closes. */
  trickle(everyMs: number): void {
    this.trickler = setInterval(() => this.send('x'), everyMs);
  }

  /** Resolves with when the connection closed; rejects when it is still open after `withinMs`. */
  async waitForClose(withinMs: number): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `the server kept the connection open for more than ${withinMs} ms; it sent: ${JSON.stringify(this.received.slice(0, 300))}`,
            ),
          ),
        withinMs,
      );
    });
    try {
      await Promise.race([this.closed, deadline]);
      return this.closedAt!;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The status code of the first response, once its status line is in. */
  status(): number | undefined {
    const match = /^HTTP\/1\.1 (\d{3})/.exec(this.received);
    return match ? Number(match[1]) : undefined;
  }

  /** The body after the first response's headers (chunked framing left in). */
  body(): string {
    const at = this.received.indexOf('\r\n\r\n');
    return at < 0 ? '' : this.received.slice(at + 4);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A request head: request line, Host, the given headers, blank line. */
export function requestHead(method: string, url: string, headers: Record<string, string | number> = {}): string {
  const { host, pathname } = new URL(url);
  return [
    `${method} ${pathname} HTTP/1.1`,
    `Host: ${host}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    '',
    '',
  ].join('\r\n');
}
