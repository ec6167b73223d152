import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { evaluate } from './evaluate.js';
import { loadPolicyFile, parsePolicy, PolicyError } from './load.js';

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/policies');
const base = { version: '1', default: 'deny' };

/** The PolicyError thrown for `json`; fails the test when nothing is thrown. */
function errorOf(json: string | object, source = 'policies/x.json'): PolicyError {
  try {
    parsePolicy(typeof json === 'string' ? json : { ...base, ...json }, source);
  } catch (error) {
    if (error instanceof PolicyError) return error;
    throw error;
  }
  throw new Error('expected a PolicyError');
}

describe('parsePolicy', () => {
  it('accepts the JSON text or an already parsed value', () => {
    expect(parsePolicy('{"version":"1","default":"allow"}', 'a.json').default).toBe('allow');
    expect(parsePolicy({ version: '1', default: 'deny', $schema: './policy.schema.json' }, 'b.json').source).toBe(
      'b.json',
    );
  });

  it('names the file, the pointer and the expectation for a bad action', () => {
    const error = errorOf({ tools: { foo: { action: 'maybe' } } });
    expect(error.code).toBe('policy_invalid');
    expect(error.file).toBe('policies/x.json');
    expect(error.issues).toEqual([
      { path: '/tools/foo/action', message: 'expected one of allow, deny, require_approval, got "maybe"' },
    ]);
    expect(error.message).toBe(
      'policies/x.json: /tools/foo/action: expected one of allow, deny, require_approval, got "maybe"',
    );
  });

  it('reports an unknown key at the key, with the keys allowed there', () => {
    const error = errorOf({ tools: { foo: { actoin: 'deny' } } });
    expect(error.message).toBe(
      'policies/x.json: /tools/foo/actoin: unknown key (allowed here: action, reason, limits, rate_limit, require, deny_if, approval, mode)',
    );
  });

  it('reports unknown top-level keys and PolicyLayer-foreign fields', () => {
    expect(errorOf({ rules: [] }).issues).toEqual([
      { path: '/rules', message: expect.stringMatching(/^unknown key \(allowed here: \$schema, version, default/) },
    ]);
  });

  it('reports a bad window with the forms it accepts', () => {
    const error = errorOf({
      tools: { copy_model_version: { limits: [{ counter: 'c', window: 'fortnight', max: 1 }] } },
    });
    expect(error.message).toBe(
      'policies/x.json: /tools/copy_model_version/limits/0/window: expected "second", "minute", "hour", "day", a duration like "90s", "15m", "2h", "1d", or a number of seconds, got "fortnight"',
    );
    expect(errorOf({ tools: { t: { rate_limit: { max: 1, window: 0 } } } }).issues[0]?.path).toBe(
      '/tools/t/rate_limit/window',
    );
    expect(errorOf({ tools: { t: { rate_limit: { max: 1, window: '0s' } } } }).issues[0]?.path).toBe(
      '/tools/t/rate_limit/window',
    );
  });

  it('reports a regex that does not compile, at load time', () => {
    const error = errorOf({ tools: { t: { deny_if: [{ path: 'args.x', op: 'regex', value: '([a-z' }] } } });
    expect(error.issues).toHaveLength(1);
    expect(error.message).toMatch(
      /^policies\/x\.json: \/tools\/t\/deny_if\/0\/value: expected a valid regular expression, got "\(\[a-z" \(Invalid regular expression/,
    );
  });

  it('rejects regex constructs RE2 does not support, naming the file, the condition and the construct', () => {
    const copy = (value: string) => ({
      tools: { copy_model_version: { deny_if: [{ path: 'args.dst_model_name', op: 'regex', value }] } },
    });
    expect(errorOf(copy('^prod-(?=.*-legacy)')).message).toBe(
      'policies/x.json: /tools/copy_model_version/deny_if/0/value: lookahead `(?=…)` is not supported: policy regexes use RE2 syntax (linear time), and RE2 has no lookaround; match the text itself, or split the check into several conditions',
    );
    expect(errorOf(copy('(a)\\1')).message).toMatch(
      /^policies\/x\.json: \/tools\/copy_model_version\/deny_if\/0\/value: backreference `\\1` is not supported: policy regexes use RE2 syntax/,
    );
    expect(errorOf(copy('(?<!dev-)prod')).issues).toEqual([
      {
        path: '/tools/copy_model_version/deny_if/0/value',
        message: expect.stringMatching(/^negative lookbehind `\(\?<!…\)` is not supported/),
      },
    ]);
    expect(errorOf(copy('a++')).issues[0]?.message).toMatch(/^possessive quantifier `\+\+` is not supported/);
    expect(errorOf(copy('(?>a)')).issues[0]?.message).toMatch(/^atomic group `\(\?>…\)` is not supported/);
    expect(
      errorOf({ servers: { mlflow: { tools: { t: { require: [{ path: 'args.x', op: 'regex', value: '(?!x)' }] } } } } })
        .issues[0]?.path,
    ).toBe('/servers/mlflow/tools/t/require/0/value');
  });

  it('accepts RE2 patterns that backtracking engines choke on, and [*] paths', () => {
    expect(() =>
      parsePolicy(
        { ...base, tools: { t: { deny_if: [{ path: 'args.tags[*].env', op: 'regex', value: '^(a+)+$' }] } } },
        'x.json',
      ),
    ).not.toThrow();
  });

  it('rejects a malformed path, saying which forms exist', () => {
    expect(errorOf({ tools: { t: { deny_if: [{ path: 'args.tags[*.env', op: 'exists' }] } } }).issues).toEqual([
      {
        path: '/tools/t/deny_if/0/path',
        message:
          'expected a dotted path below the arguments, like "args.name", "args.items.0" or "args.tags[*].env", got "args.tags[*.env"',
      },
    ]);
  });

  it('requires an array for in and not_in', () => {
    expect(errorOf({ tools: { t: { require: [{ path: 'args.x', op: 'in', value: 'prod' }] } } }).message).toBe(
      'policies/x.json: /tools/t/require/0/value: expected an array of values, got "prod"',
    );
  });

  it('validates the value of each operator', () => {
    const issue = (condition: object) => errorOf({ tools: { t: { require: [condition] } } }).issues[0];
    expect(issue({ path: 'args.x', op: 'lt', value: '5' })).toEqual({
      path: '/tools/t/require/0/value',
      message: 'expected a number, got "5"',
    });
    expect(issue({ path: 'args.x', op: 'exists', value: 'yes' })).toEqual({
      path: '/tools/t/require/0/value',
      message: 'expected true or false, got "yes"',
    });
    expect(issue({ path: 'args.x', op: 'eq' })).toEqual({
      path: '/tools/t/require/0/value',
      message: 'missing: expected a value to compare with',
    });
    expect(issue({ path: 'args.x', op: 'like', value: 1 })).toEqual({
      path: '/tools/t/require/0/op',
      message: expect.stringMatching(
        /^expected "op" to be one of eq, neq, in, not_in, lt, lte, gt, gte, regex, contains, exists, got "like"$/,
      ),
    });
    expect(issue({ path: 'x', op: 'exists' })?.path).toBe('/tools/t/require/0/path');
  });

  it('rejects approval on a rule whose action is not require_approval', () => {
    expect(errorOf({ tools: { t: { approval: { approvers: ['U0A'] } } } }).message).toBe(
      'policies/x.json: /tools/t/approval: only valid with "action": "require_approval" (this rule\'s action is "allow")',
    );
  });

  it('requires approvers for require_approval, in Slack id form', () => {
    expect(errorOf({ tools: { t: { action: 'require_approval' } } }).issues[0]?.path).toBe('/tools/t/approval');
    expect(errorOf({ tools: { t: { action: 'require_approval', approval: { approvers: [] } } } }).issues[0]).toEqual({
      path: '/tools/t/approval/approvers',
      message: 'expected at least one approver',
    });
    expect(
      errorOf({ tools: { t: { action: 'require_approval', approval: { approvers: ['alice'] } } } }).issues[0],
    ).toEqual({
      path: '/tools/t/approval/approvers/0',
      message: 'expected a Slack user id (U…, W…) or user-group id (S…), got "alice"',
    });
  });

  it('rejects min_approvals above the number of listed users, but not with a user group', () => {
    const rule = (approvers: string[]) => ({
      tools: { t: { action: 'require_approval', approval: { approvers, min_approvals: 2 } } },
    });
    expect(errorOf(rule(['U0A'])).issues[0]).toEqual({
      path: '/tools/t/approval/min_approvals',
      message: 'expected at most 1 (the number of listed approvers), got 2',
    });
    expect(() => parsePolicy({ ...base, ...rule(['S0TEAM']) }, 'x.json')).not.toThrow();
  });

  it('lists every problem, one line each', () => {
    const error = errorOf({ version: '2', default: 'maybe', hide: 'delete_*' });
    expect(error.message.split('\n')).toEqual([
      'policies/x.json: /version: expected "1", got "2"',
      'policies/x.json: /default: expected one of allow, deny, got "maybe"',
      'policies/x.json: /hide: expected an array, got "delete_*"',
    ]);
  });

  it('reports missing required keys and a non-object file', () => {
    expect(errorOf('{}').message.split('\n')).toEqual([
      'policies/x.json: /version: missing: expected "1"',
      'policies/x.json: /default: missing: expected one of allow, deny',
    ]);
    expect(errorOf('[]').message).toBe('policies/x.json: expected an object, got []');
  });

  it('escapes "/" and "~" in pointers', () => {
    expect(errorOf({ tools: { 'a/b~c': { action: 'no' } } }).issues[0]?.path).toBe('/tools/a~1b~0c/action');
  });

  it('reports invalid JSON with its line and column', () => {
    const error = errorOf('{\n  "version": "1",\n  "default": "deny",\n}\n');
    expect(error.code).toBe('policy_invalid');
    expect(error.message).toBe(
      'policies/x.json: invalid JSON at line 4, column 1: expected another item after \',\' (JSON has no trailing commas), got "}"',
    );
    expect(errorOf('{ "version": "1" ').message).toBe(
      "policies/x.json: invalid JSON at line 1, column 18: expected ',' or '}', got the end of the file",
    );
  });

  it('ignores a byte-order mark', () => {
    expect(parsePolicy('\uFEFF{"version":"1","default":"deny"}', 'bom.json').default).toBe('deny');
  });
});

describe('loadPolicyFile', () => {
  it.each(['policylayer-seed.json', 'policylayer-payments.json', 'policylayer-hide-all.json'])(
    'loads the PolicyLayer file %s unchanged',
    (name) => {
      expect(() => loadPolicyFile(join(FIXTURES, name))).not.toThrow();
    },
  );

  it('gives PolicyLayer files their documented meaning', () => {
    const p = loadPolicyFile(join(FIXTURES, 'policylayer-payments.json'));
    const at = (tool: string, args: unknown = {}) => evaluate(p, { server: 'stripe', tool, args });
    expect(at('list_charges').action).toBe('allow');
    expect(at('delete_account')).toMatchObject({ action: 'deny', rule: '/hide' });
    expect(at('create_refund')).toMatchObject({ action: 'deny', rule: '/tools/create_refund/require/0' });
    expect(at('create_charge', { amount: 20_000 })).toMatchObject({
      action: 'deny',
      rule: '/tools/create_charge/deny_if/0',
    });
    expect(at('send_invoice').limits).toEqual([
      {
        counter: 'all_calls',
        window: 'minute',
        windowMs: 60_000,
        max: 300,
        scope: 'grant',
        rule: '/all_tools/limits/0',
      },
      {
        counter: 'send_invoice',
        window: '60s',
        windowMs: 60_000,
        max: 10,
        scope: 'grant',
        rule: '/tools/send_invoice/rate_limit',
      },
    ]);
    expect(
      evaluate(loadPolicyFile(join(FIXTURES, 'policylayer-hide-all.json')), { server: 's', tool: 'x', args: {} }).rule,
    ).toBe('/hide');
  });

  it('reports a missing file as policy_not_found, naming it', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'airlock-policy-')), 'nope.json');
    expect(() => loadPolicyFile(file)).toThrow(
      expect.objectContaining({ code: 'policy_not_found', file, message: `${file}: file not found` }),
    );
  });

  it('names the file it read in every issue', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'airlock-policy-')), 'bad.json');
    writeFileSync(file, JSON.stringify({ ...base, tools: { t: { action: 'maybe' } } }));
    expect(() => loadPolicyFile(file)).toThrow(
      `${file}: /tools/t/action: expected one of allow, deny, require_approval, got "maybe"`,
    );
  });
});
