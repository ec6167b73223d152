/**
 * HTTP listeners with Airlock's socket policy (deadlines, per-address caps, refusals that close)
 * and the body reader with its own deadline.
 * @module
 */
export { startListener, sendJson, type Route } from './listener.js';
export { createGuardedServer, closeServer, listenOn, type GuardedServerOptions } from './guarded-server.js';
export { readBody, type BodyRead } from './read-body.js';
export { addressKey } from './socket-limits.js';
