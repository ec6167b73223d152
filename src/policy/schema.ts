import { z } from 'zod';
import { ARGS_PATH_PATTERN } from './args-path.js';
import { MAX_CHECKED_STRING_LENGTH } from './conditions.js';
import { regexProblem } from './regex.js';
import { DURATION_PATTERN, NAMED_WINDOWS } from '../shared/index.js';

/**
 * The policy file, as people write it (design notes, "Policy file"): a strict superset of
 * PolicyLayer's policy.json. Every object is strict so a typo is an error, not a silently ignored
 * rule. The schema only validates; src/policy/compile.ts turns a parsed file into the form
 * evaluation uses. Titles and descriptions feed policies/policy.schema.json (editor help).
 */

/** Slack ids: users U…/W… (Enterprise Grid), user groups S…. */
const APPROVER_PATTERN = /^[UWS][A-Z0-9]{2,}$/;
const CHANNEL_PATTERN = /^(?:[CG][A-Z0-9]{2,}|#[a-z0-9][a-z0-9._-]*)$/;

export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** A schema-level message that says what was expected and what was found. */
const expecting = (what: string) => ({
  error: (issue: { input?: unknown }) =>
    issue.input === undefined ? `missing: expected ${what}` : `expected ${what}, got ${showValue(issue.input)}`,
});

/** A strict object whose unknown-key message lists the keys allowed there. */
function strict<T extends z.ZodRawShape>(shape: T) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown key (allowed here: ${allowed})` : undefined),
  });
}

const DURATION_HINT = 'a duration like "90s", "15m", "2h", "1d", or a number of seconds';

// The message is set on every branch: zod reports a union's failure through the branch whose type
// matched (a string failing the pattern), not through the union.
const durationMessage = expecting(DURATION_HINT);
const DurationSchema = z
  .union([z.string().regex(DURATION_PATTERN, durationMessage), z.number().positive(durationMessage)], durationMessage)
  .meta({ id: 'Duration', description: `A ${DURATION_HINT.slice(2)}.` });

const windowMessage = expecting(`"second", "minute", "hour", "day", ${DURATION_HINT}`);
const WindowSchema = z
  .union(
    [
      z.enum(NAMED_WINDOWS, windowMessage),
      z.string().regex(DURATION_PATTERN, windowMessage),
      z.number().positive(windowMessage),
    ],
    windowMessage,
  )
  .meta({
    id: 'Window',
    description:
      'Sliding window length: "second", "minute", "hour", "day", a duration like "90s" or "15m", or a number of seconds.',
  });

const positiveInt = (what: string) =>
  z
    .number()
    .int()
    .positive(expecting(what))
    .meta({ description: what[0]!.toUpperCase() + what.slice(1) + '.' });

export const ScopeSchema = z.enum(['grant', 'session', 'global']).meta({
  description: 'Whose calls share the counter: one agent credential (grant), one MCP session, or everyone (global).',
});

export const LimitSchema = strict({
  counter: z
    .string()
    .min(1, 'expected a non-empty counter name')
    .meta({ description: 'Counter name; limits that name the same counter share it.' }),
  window: WindowSchema,
  max: positiveInt('the most calls admitted in any window (a positive integer)'),
  scope: ScopeSchema.default('grant'),
}).meta({
  id: 'Limit',
  title: 'Limit',
  description: 'At most `max` calls in any rolling `window`. All limits of a call must pass, or none is consumed.',
});

const RateLimitSchema = strict({
  max: positiveInt('the most calls admitted in any window (a positive integer)'),
  window: WindowSchema,
}).meta({
  id: 'RateLimit',
  title: 'Rate limit',
  description: "Shorthand for one limit scoped per grant, on a counter named after this rule's tool key.",
});

const ArgsPathSchema = z
  .string()
  .regex(
    ARGS_PATH_PATTERN,
    expecting('a dotted path below the arguments, like "args.name", "args.items.0" or "args.tags[*].env"'),
  )
  .meta({
    description:
      'Where to look in the call\'s arguments: "args.a.b"; a number segment indexes an array ("args.items.0"); "[*]" after a key means every element of an array ("args.tags[*].env").',
  });

const JsonValueSchema = z.union(
  [z.string(), z.number(), z.boolean(), z.null(), z.array(z.unknown()), z.record(z.string(), z.unknown())],
  expecting('a value to compare with'),
);

const condition = <Op extends string, V extends z.ZodType>(op: Op, value: V, description: string) =>
  strict({ path: ArgsPathSchema, op: z.literal(op), value }).meta({ description });

// RE2 syntax (regex.ts): linear-time matching, so no backreferences or lookaround.
const RegexValueSchema = z.string(expecting('a regular expression (a string)')).superRefine((pattern, ctx) => {
  const problem = regexProblem(pattern);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

const numberValue = () => z.number(expecting('a number'));
const arrayValue = () => z.array(z.unknown(), expecting('an array of values'));

const CONDITION_OPS = ['eq', 'neq', 'in', 'not_in', 'lt', 'lte', 'gt', 'gte', 'regex', 'contains', 'exists'] as const;

export const ConditionSchema = z
  .discriminatedUnion(
    'op',
    [
      condition('eq', JsonValueSchema, 'The value equals `value` (deep equality, no type coercion).'),
      condition('neq', JsonValueSchema, 'Not eq; true when the path is missing.'),
      condition('in', arrayValue(), 'The value is one of `value` (an array).'),
      condition('not_in', arrayValue(), 'Not in; true when the path is missing.'),
      condition('lt', numberValue(), 'The value is a number less than `value`.'),
      condition('lte', numberValue(), 'The value is a number at most `value`.'),
      condition('gt', numberValue(), 'The value is a number greater than `value`.'),
      condition('gte', numberValue(), 'The value is a number at least `value`.'),
      condition(
        'regex',
        RegexValueSchema,
        `The value is a string matching the regular expression \`value\` (RE2 syntax: linear time, no backreferences or lookaround; unanchored). A string longer than ${MAX_CHECKED_STRING_LENGTH} characters is not matched: the condition denies.`,
      ),
      condition(
        'contains',
        JsonValueSchema,
        `A string value contains the substring \`value\` (strings longer than ${MAX_CHECKED_STRING_LENGTH} characters deny), or an array value contains the element \`value\`.`,
      ),
      condition(
        'exists',
        z.boolean(expecting('true or false')).default(true),
        'The path is present and not null (`value: false`: absent or null).',
      ),
    ],
    {
      error: (issue) =>
        `expected "op" to be one of ${CONDITION_OPS.join(', ')}, got ${showValue((issue.input as { op?: unknown } | undefined)?.op)}`,
    },
  )
  .meta({
    id: 'Condition',
    title: 'Condition',
    description:
      "A test on the call's arguments: {path, op, value}. A value of another type than the operator compares (or an array where the path needs a key) denies, in require and deny_if alike.",
  });

export const ApprovalSchema = strict({
  approvers: z
    .array(z.string().regex(APPROVER_PATTERN, expecting('a Slack user id (U…, W…) or user-group id (S…)')))
    .min(1, 'expected at least one approver')
    .meta({ description: 'Who may decide: Slack user ids (U…, W…) and user-group ids (S…).' }),
  channel: z
    .string()
    .regex(CHANNEL_PATTERN, expecting('a Slack channel id (C…, G…) or name ("#ml-approvals")'))
    .optional()
    .meta({ description: 'Where the approval request is posted; default: the configured approvals channel.' }),
  timeout: DurationSchema.default('15m').meta({
    description: 'How long the request may wait for a decision before it expires.',
  }),
  min_approvals: positiveInt('how many distinct approvers must approve (a positive integer)').default(1),
  allow_self_approval: z
    .boolean(expecting('true or false'))
    .default(false)
    .meta({ description: "Whether the grant's owner may approve their own agent's call." }),
})
  .superRefine((approval, ctx) => {
    // With user groups the number of people is unknown; with users only, more approvals than
    // listed approvers could never be reached.
    const usersOnly = approval.approvers.every((id) => !id.startsWith('S'));
    if (usersOnly && approval.min_approvals > approval.approvers.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['min_approvals'],
        message: `expected at most ${approval.approvers.length} (the number of listed approvers), got ${approval.min_approvals}`,
      });
    }
  })
  .meta({ id: 'Approval', title: 'Approval', description: 'Who approves a held call, where, and for how long.' });

export const ActionSchema = z.enum(['allow', 'deny', 'require_approval']).meta({
  description: 'allow (the default for a listed tool), deny, or require_approval (hold the call for a human).',
});
const DefaultActionSchema = z
  .enum(['allow', 'deny'])
  .meta({ description: 'What happens to a tool that no rule matches.' });

/** `shadow`: evaluated and audited (policy.shadowed), never deciding; see src/policy/shadow.ts. */
const ModeSchema = z.enum(['enforce', 'shadow'], expecting('"enforce" or "shadow"')).optional().meta({
  description:
    'shadow: evaluated and audited as would_deny, would_limit, would_require_approval, but not enforced (its limits count on shadow counters). Default: enforce.',
});

export const RuleSchema = strict({
  action: ActionSchema.default('allow'),
  reason: z.string().optional().meta({ description: 'Shown to the agent and to approvers.' }),
  limits: z.array(LimitSchema).optional(),
  rate_limit: RateLimitSchema.optional(),
  require: z
    .array(ConditionSchema)
    .optional()
    .meta({ description: 'Every condition must hold, or the call is denied.' }),
  deny_if: z.array(ConditionSchema).optional().meta({ description: 'Any condition that holds denies the call.' }),
  approval: ApprovalSchema.optional(),
  mode: ModeSchema,
})
  .superRefine((rule, ctx) => {
    if (rule.approval !== undefined && rule.action !== 'require_approval') {
      ctx.addIssue({
        code: 'custom',
        path: ['approval'],
        message: `only valid with "action": "require_approval" (this rule's action is "${rule.action}")`,
      });
    }
    // Stricter choice: no implicit "anyone may approve". Naming one approver is cheap.
    if (rule.action === 'require_approval' && rule.approval === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['approval'],
        message: 'missing: "action": "require_approval" needs "approval": {"approvers": [...]}',
      });
    }
  })
  .meta({
    id: 'Rule',
    title: 'Rule',
    description: 'What happens to calls of the tools this key names (an exact name or a glob).',
  });

const HideSchema = z
  .array(z.string().min(1, 'expected a tool name or glob'))
  .meta({ description: 'Tools (exact names or globs) removed from tools/list and denied.' });
const AllToolsSchema = strict({ limits: z.array(LimitSchema).optional() }).meta({
  description: 'Limits every call counts against.',
});
const ToolsSchema = z
  .record(z.string().min(1, 'expected a tool name or glob'), RuleSchema)
  .meta({ description: 'Rules by tool name or glob; an exact name beats a glob, a longer glob beats a shorter one.' });

/** A prompt or resource rule: it is listed and served (allow), refused with a reason (deny), or absent (hide). */
const AccessRuleSchema = strict({
  action: z.enum(['allow', 'deny', 'hide'], expecting('one of allow, deny, hide')).default('allow'),
  reason: z.string().optional().meta({ description: 'What a refused agent is told.' }),
}).meta({ id: 'AccessRule', title: 'Prompt or resource rule' });
const PromptsSchema = z.record(z.string().min(1, 'expected a prompt name or glob'), AccessRuleSchema).meta({
  description:
    "Rules by prompt name (the upstream's) or glob; unlisted prompts follow `default`. Listed only when allowed.",
});
const ResourcesSchema = z.record(z.string().min(1, 'expected a resource URI or glob'), AccessRuleSchema).meta({
  description:
    'Rules by resource URI (the upstream\'s; a template by its URI template) or glob, where `*` matches any characters including "/"; unlisted resources follow `default`. Listed only when allowed.',
});

export const ServerSectionSchema = strict({
  default: DefaultActionSchema.optional(),
  description: z.string().optional(),
  hide: HideSchema.optional(),
  all_tools: AllToolsSchema.optional(),
  tools: ToolsSchema.optional(),
  prompts: PromptsSchema.optional(),
  resources: ResourcesSchema.optional(),
  mode: ModeSchema,
}).meta({
  id: 'ServerSection',
  title: 'Server section',
  description: 'Rules for one upstream; they are consulted before the top-level ones.',
});

export const PolicySchema = strict({
  $schema: z.string().optional().meta({ description: 'For editors: where the JSON Schema of this file is.' }),
  version: z.literal('1', expecting('"1"')).meta({ description: 'Policy format version; only "1" exists.' }),
  default: DefaultActionSchema,
  description: z.string().optional().meta({ description: 'What this policy is for; shown by `airlock check`.' }),
  hide: HideSchema.optional(),
  all_tools: AllToolsSchema.optional(),
  tools: ToolsSchema.optional(),
  prompts: PromptsSchema.optional(),
  resources: ResourcesSchema.optional(),
  servers: z
    .record(z.string().min(1, 'expected an upstream name'), ServerSectionSchema)
    .optional()
    .meta({ description: 'Per-upstream sections, by the upstream names of airlock.config.json.' }),
  mode: ModeSchema,
}).meta({
  title: 'Airlock policy',
  description: 'Which MCP tools agents may call, under which limits, and which need a human.',
});

export type Policy = z.infer<typeof PolicySchema>;
export type ServerSection = z.infer<typeof ServerSectionSchema>;
export type Rule = z.infer<typeof RuleSchema>;
/** A policy and a rule as written in a file (defaults not yet filled in): what `airlock init` writes. */
export type PolicyInput = z.input<typeof PolicySchema>;
export type RuleInput = z.input<typeof RuleSchema>;
export type AccessRule = z.infer<typeof AccessRuleSchema>;
export type Limit = z.infer<typeof LimitSchema>;
export type RateLimit = z.infer<typeof RateLimitSchema>;
export type Condition = z.infer<typeof ConditionSchema>;
export type ConditionOp = Condition['op'];
export type Approval = z.infer<typeof ApprovalSchema>;
export type Action = z.infer<typeof ActionSchema>;
export type Scope = z.infer<typeof ScopeSchema>;
export type Window = z.infer<typeof WindowSchema>;
