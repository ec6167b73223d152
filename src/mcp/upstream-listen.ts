import type { Client, ServerCapabilities } from '@modelcontextprotocol/client';
import { describeError, type Logger } from '../shared/index.js';

type Subscription = Awaited<ReturnType<Client['listen']>>;

/** How long to wait before re-opening a listen stream the upstream dropped. */
const RELISTEN_MS = 1_000;

/**
 * The `subscriptions/listen` stream of a 2026-era upstream connection (2026-07-28 has no
 * unsolicited notifications and no resources/subscribe): list changes the upstream offers, and
 * every resource URI an agent subscribed to. Its notifications reach the client's ordinary
 * handlers (the SDK dispatches them there), so the connection handles them as in the 2025 era.
 * A changed URI set re-opens the stream with the new filter before the old one closes.
 */
export class UpstreamListen {
  private subscription: Subscription | undefined;
  private readonly uris = new Set<string>();
  private client: Client | undefined;
  private capabilities: ServerCapabilities | undefined;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly upstream: string,
    private readonly log: Logger,
  ) {}

  /** Opens the stream on a new 2026-era connection (the URIs subscribed before carry over). */
  async open(client: Client, capabilities: ServerCapabilities | undefined): Promise<void> {
    this.client = client;
    this.capabilities = capabilities;
    await this.relisten();
  }

  /** Adds a resource to the stream's filter (re-opening it). */
  async subscribe(uri: string): Promise<void> {
    if (this.uris.has(uri)) return;
    this.uris.add(uri);
    await this.relisten();
  }

  async close(): Promise<void> {
    clearTimeout(this.retry);
    this.client = undefined;
    const subscription = this.subscription;
    this.subscription = undefined;
    await subscription?.close().catch(() => {});
  }

  private async relisten(): Promise<void> {
    const client = this.client;
    if (client === undefined) return;
    const offered = this.capabilities ?? {};
    const filter = {
      ...(offered.tools?.listChanged ? { toolsListChanged: true } : {}),
      ...(offered.prompts?.listChanged ? { promptsListChanged: true } : {}),
      ...(offered.resources?.listChanged ? { resourcesListChanged: true } : {}),
      ...(offered.resources?.subscribe && this.uris.size > 0 ? { resourceSubscriptions: [...this.uris] } : {}),
    };
    if (Object.keys(filter).length === 0) return;
    const next = await client.listen(filter);
    const previous = this.subscription;
    this.subscription = next;
    void next.closed.then((reason) => {
      if (reason === 'local' || this.subscription !== next || this.client !== client) return;
      this.subscription = undefined;
      this.log.debug({ upstream: this.upstream, reason }, 'upstream listen stream ended; re-opening');
      this.retry = setTimeout(
        () =>
          void this.relisten().catch((error) =>
            this.log.warn(
              { upstream: this.upstream, err: describeError(error) },
              'could not re-open the listen stream',
            ),
          ),
        RELISTEN_MS,
      );
      this.retry.unref();
    });
    await previous?.close().catch(() => {});
  }
}
