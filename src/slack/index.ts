/**
 * Slack approvals: a Bolt app whose Approve / Deny buttons call the approval engine's decide(),
 * messages kept true from any process through a BullMQ outbox, an audit-channel sink.
 * Wiring: `SlackBot.start({config, engine, redis, prefix, log, redact})` (`redis`: the gateway's
 * RedisConnections); see README.md.
 * @module
 */
export { SlackBot, createSlackGroups, type SlackBotOptions } from './bot.js';
export { type AuditLineSink } from './audit-channel.js';
export { APPROVE_ACTION, DENY_ACTION, DENY_MODAL, type Redactor, type SlackMessage } from './messages.js';
