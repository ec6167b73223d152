/**
 * The `airlock` subcommands, one file each.
 * @module
 */
export { approvalsCommand } from './approvals-command.js';
export { auditCommand } from './audit-command.js';
export { checkCommand } from './check-command.js';
export { consoleCommand } from './console-command.js';
export { demoCommand } from './demo-command.js';
export { explainCommand } from './explain-command.js';
export { initCommand } from './init-command.js';
export { limitsCommand } from './limits-command.js';
export { replayCommand } from './replay-command.js';
export { serveCommand } from './serve-command.js';
export { standinCommand } from './standin-command.js';
