/**
 * The web console at /console on the main listener: pending approvals (live), history, login,
 * the JSON API under /console/api/, and one-time login links. Pages are pure renderers
 * (pages.ts, html.ts); server.ts is the one route.
 * @module
 */
export { createConsoleRoute, type ConsoleOptions } from './server.js';
export { createLoginLink, consumeLoginLink } from './login-link.js';
export { hashPassword, verifyPassword } from './auth.js';
export { html, raw, layout, escapeHtml, Html, type PageChrome } from './html.js';
