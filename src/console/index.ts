/**
 * The web console at /console on the main listener: pending approvals (live), history, login,
 * a call's story, recent events, the policy (effective decisions, counters, the editor), the JSON
 * API under /console/api/, and one-time login links. Pages are pure renderers (pages.ts,
 * story.ts, events.ts, policy-page.ts); server.ts is the one route (access, approvals) and
 * operator-routes.ts the operator pages.
 * @module
 */
export { createConsoleRoute, type ConsoleOptions } from './server.js';
export type { OperatorData } from './operator-routes.js';
export { createLoginLink, consumeLoginLink } from './login-link.js';
export { hashPassword, verifyPassword } from './auth.js';
export { html, raw, layout, escapeHtml, Html, type PageChrome } from './html.js';
