import type { ConnectionOptions } from 'bullmq';
import { Cluster, Redis } from 'ioredis';
import type { Logger } from '../shared/index.js';
import {
  clusterOptions,
  describeTarget,
  isClusterTarget,
  redisOptions,
  type ClusterTarget,
  type RedisRole,
  type RedisTarget,
} from './target.js';

/** A client of the deployment's Redis: one server's (or Sentinel's master's), or a Redis Cluster's. */
export type RedisClient = Redis | Cluster;

/** One client; its owner closes it. RedisConnections is how the gateway and the CLI get theirs. */
export function connectRedis(target: RedisTarget, role: RedisRole): RedisClient {
  if (!isClusterTarget(target)) return new Redis(redisOptions(target, role));
  const { nodes, options } = clusterOptions(target.cluster, role);
  return new Cluster(nodes, options);
}

/**
 * The master connections to run a per-node command on (SCAN covers only the node it reaches):
 * every master of a cluster, or the one server.
 */
export function eachMaster(client: RedisClient): Redis[] {
  if (!(client instanceof Cluster)) return [client];
  const masters = client.nodes('master');
  // Before it has connected a cluster knows no node: scanning nothing would find nothing, wrongly.
  if (masters.length === 0) throw new Error('the Redis Cluster client knows no master yet');
  return masters;
}

/** Pub/sub whose publish answers how many processes listen (see RedisClients.countedPubSub). */
export interface CountedPubSub {
  publish(channel: string, message: string): Promise<number>;
  subscribe(channels: string[], onMessage: (channel: string, message: string) => void): Promise<void>;
  unsubscribe(): Promise<void>;
}

/**
 * What a module that needs Redis is given, rather than a URL to dial: the shared request client,
 * and factories for the dedicated connections some work needs. Whoever made it closes it.
 */
export interface RedisClients {
  /** This Redis in words, for messages (credentials left out). */
  readonly where: string;
  /** Fail-fast (1 retry, no offline queue, 2 s timeouts), shared by every call-path module. */
  readonly request: RedisClient;
  /** A dedicated client for SUBSCRIBE, retrying forever; closed with the others. */
  subscriber(): RedisClient;
  /**
   * For request/reply channels that must count their listeners: on a Redis Cluster PUBLISH counts
   * only the subscribers of the node it ran on, so these use sharded pub/sub (SPUBLISH, SSUBSCRIBE:
   * the channel's slot, under the hash tag like every key, holds all of them); on one server, plain
   * pub/sub. Closed with the others.
   */
  countedPubSub(): CountedPubSub;
  /** A BullMQ Worker's connection, from which it dials (and closes) its own blocking connections. */
  workerConnection(): ConnectionOptions;
}

/**
 * The connections of one Redis (the configured one, or the embedded one joined), made in one
 * place: the gateway and `withConfiguredRedis` create it, hand it to the modules, close it last.
 * Connection errors are logged here, once per outage for the request client.
 */
export class RedisConnections implements RedisClients {
  readonly where: string;
  readonly request: RedisClient;
  private readonly others: RedisClient[] = [];

  constructor(
    private readonly target: RedisTarget,
    private readonly log?: Logger,
    /** Told of every connection error, by client (metrics). */
    private readonly onError: (client: 'request' | 'subscriber') => void = () => {},
  ) {
    this.where = describeTarget(target);
    this.request = connectRedis(target, 'request');
    let warned = false;
    this.request.on('error', (error: Error) => {
      onError('request');
      if (!warned)
        log?.warn(
          { err: error.message },
          'redis unreachable; rate-limited and approval calls fail closed until it returns',
        );
      warned = true;
    });
    this.request.on('ready', () => {
      if (warned) log?.info('redis reachable again');
      warned = false;
    });
    // A cluster reports one node's trouble apart from "no node answers" (its 'error').
    this.request.on('node error', (error: Error) => log?.debug({ err: error.message }, 'redis cluster node error'));
  }

  subscriber(): RedisClient {
    const client = connectRedis(this.target, 'blocking');
    client.on('error', (error: Error) => {
      this.onError('subscriber');
      this.log?.debug({ err: error.message }, 'redis subscriber connection error');
    });
    this.others.push(client);
    return client;
  }

  countedPubSub(): CountedPubSub {
    const publisher = this.request;
    if (!(publisher instanceof Cluster)) {
      const subscriber = this.subscriber();
      return {
        publish: (channel, message) => publisher.publish(channel, message),
        subscribe: async (channels, onMessage) => {
          subscriber.on('message', onMessage);
          await subscriber.subscribe(...channels);
        },
        unsubscribe: async () => void (await subscriber.unsubscribe()),
      };
    }
    const { nodes, options } = clusterOptions((this.target as { cluster: ClusterTarget }).cluster, 'blocking');
    const subscriber = new Cluster(nodes, { ...options, shardedSubscribers: true });
    subscriber.on('error', (error: Error) =>
      this.log?.debug({ err: error.message }, 'redis subscriber connection error'),
    );
    this.others.push(subscriber);
    return {
      publish: async (channel, message) => Number(await publisher.spublish(channel, message)),
      subscribe: async (channels, onMessage) => {
        subscriber.on('smessage', onMessage);
        await subscriber.ssubscribe(...channels);
      },
      unsubscribe: async () => void (await subscriber.sunsubscribe()),
    };
  }

  workerConnection(): ConnectionOptions {
    if (isClusterTarget(this.target)) {
      // Options cannot ask BullMQ for a cluster; given a client, it dials duplicates of it. This one
      // never connects itself (lazyConnect) and is closed with the others.
      const { nodes, options } = clusterOptions(this.target.cluster, 'blocking');
      const template = new Cluster(nodes, { ...options, lazyConnect: true });
      this.others.push(template);
      return template;
    }
    // ioredis' own RedisOptions type (retryStrategy may be null) is wider than BullMQ's copy of it.
    return redisOptions(this.target, 'blocking') as ConnectionOptions;
  }

  /** Closes every client made here: QUIT (replies in flight still arrive), then the socket, at most QUIT_WAIT_MS later. */
  async close(): Promise<void> {
    await Promise.all([...this.others.splice(0), this.request].map(quitSoon));
  }
}

/** Long enough for a healthy Redis to answer QUIT, short enough for a stdio gateway's 1 s exit. */
const QUIT_WAIT_MS = 250;

async function quitSoon(client: RedisClient): Promise<void> {
  if (client.status === 'end') return;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, QUIT_WAIT_MS)));
  await Promise.race([client.quit().catch(() => {}), late]);
  clearTimeout(timer);
  client.disconnect();
}
