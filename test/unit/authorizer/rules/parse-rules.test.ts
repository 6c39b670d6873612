import { describe, expect, it } from 'vitest';
import { rulesFromClaims, rulesFromJson } from '../../../../functions/authorizer/rules/parse-rules.ts';
import { regexToGlob } from '../../../../functions/authorizer/rules/tbmq-regex.ts';
import { fillPlaceholders, escapeRegex } from '../../../../functions/authorizer/rules/placeholders.ts';
import { renderRules } from '../../../../functions/authorizer/rules/render-rules.ts';
import { Denied } from '../../../../functions/authorizer/deny.ts';

const NAMES = { acl: 'acl', pubRules: 'pub_rules', subRules: 'sub_rules' };
const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return 'OK';
  } catch (err) {
    if (!(err instanceof Denied)) throw err;
    return `${err.code}: ${String(err.detail.why)}`;
  }
};

describe('rulesFromClaims', () => {
  it('reads EMQX map form as allow rules', () => {
    const rules = rulesFromClaims({ acl: { pub: ['t/${clientid}'], sub: ['s/#', 'eq s/${username}'], all: ['x'] } }, NAMES)!;
    expect(rules.map((r) => [r.permission, r.actions, r.topics, r.label])).toEqual([
      ['allow', ['publish'], [{ kind: 'mqtt', filter: 't/${clientid}' }], 'acl.pub[0]'],
      ['allow', ['subscribe'], [{ kind: 'mqtt', filter: 's/#' }], 'acl.sub[0]'],
      ['allow', ['subscribe'], [{ kind: 'eq', filter: 's/${username}' }], 'acl.sub[1]'],
      ['allow', ['publish', 'subscribe'], [{ kind: 'mqtt', filter: 'x' }], 'acl.all[0]'],
    ]);
  });

  it('reads EMQX list form with every field', () => {
    const [rule] = rulesFromClaims({ acl: [{
      permission: 'deny', action: 'all', topics: ['a', 'b/#'], qos: '0,1', retain: 1, clientid_re: '^dev-', username_re: 'x', ipaddr: '10.0.0.0/8',
    }] }, NAMES)!;
    expect(rule).toMatchObject({ permission: 'deny', actions: ['publish', 'subscribe'], qos: [0, 1], retain: true, label: 'acl[0]' });
    expect(rule!.topics).toHaveLength(2);
    expect(rule!.who.unknowable).toEqual(['ipaddr']);
  });

  it.each([
    [{ qos: 1 }, [1]], [{ qos: [2, 0, 0] }, [0, 2]], [{ retain: 'all' }, undefined], [{ retain: false }, false], [{ retain: 0 }, false],
  ])('reads %j', (extra, expected) => {
    const [rule] = rulesFromClaims({ acl: [{ permission: 'allow', action: 'publish', topic: 't', ...extra }] }, NAMES)!;
    expect('qos' in extra ? rule!.qos : rule!.retain).toEqual(expected);
  });

  it('reads TBMQ regex claims', () => {
    const rules = rulesFromClaims({ pub_rules: ['dev/${clientid}/.*'], sub_rules: [] }, NAMES)!;
    expect(rules).toMatchObject([{ permission: 'allow', actions: ['publish'], topics: [{ kind: 'regex', regex: 'dev/${clientid}/.*' }], label: 'pub_rules[0]' }]);
  });

  it('is undefined when the token carries no rules claim', () => {
    expect(rulesFromClaims({ sub: 'x' }, NAMES)).toBeUndefined();
  });

  it.each([
    ['a string', { acl: 'pub' }, 'RULES_INVALID: expected an object'],
    ['a number', { acl: 1 }, 'RULES_INVALID'],
    ['an unknown map key', { acl: { publish: ['a'] } }, 'RULES_INVALID: unknown key "publish"'],
    ['a map value that is not a list', { acl: { pub: 'a' } }, 'RULES_INVALID: expected a list'],
    ['a rule that is not an object', { acl: ['a'] }, 'RULES_INVALID: expected an object'],
    ['an unknown field', { acl: [{ permission: 'allow', action: 'publish', topic: 'a', clientid: 'x' }] }, 'RULES_INVALID: unknown field "clientid"'],
    ['an unknown permission', { acl: [{ permission: 'maybe', action: 'publish', topic: 'a' }] }, 'RULES_INVALID: permission'],
    ['an unknown action', { acl: [{ permission: 'allow', action: 'read', topic: 'a' }] }, 'RULES_INVALID: action'],
    ['both topic and topics', { acl: [{ permission: 'allow', action: 'publish', topic: 'a', topics: ['b'] }] }, 'RULES_INVALID: give either'],
    ['no topic', { acl: [{ permission: 'allow', action: 'publish' }] }, 'RULES_INVALID: give either'],
    ['empty topics', { acl: [{ permission: 'allow', action: 'publish', topics: [] }] }, 'RULES_INVALID: "topics" must be'],
    ['an empty topic', { acl: { pub: [''] } }, 'RULES_INVALID: empty topic'],
    ['an empty eq topic', { acl: { pub: ['eq '] } }, 'RULES_INVALID: empty topic'],
    ['a topic that is not a string', { acl: { pub: [7] } }, 'RULES_INVALID: a topic must be a string'],
    ['# mid-filter', { acl: { pub: ['a/#/b'] } }, 'RULES_INVALID: "#" must be a whole last level'],
    ['+ inside a level', { acl: { pub: ['a/b+'] } }, 'RULES_INVALID: "+" must be a whole level'],
    ['a huge topic', { acl: { pub: ['a'.repeat(257)] } }, 'RULES_INVALID: longer than 256 bytes'],
    ['qos 3', { acl: [{ permission: 'allow', action: 'publish', topic: 'a', qos: [3] }] }, 'RULES_INVALID: qos'],
    ['qos "x"', { acl: [{ permission: 'allow', action: 'publish', topic: 'a', qos: 'x' }] }, 'RULES_INVALID: qos'],
    ['retain "yes"', { acl: [{ permission: 'allow', action: 'publish', topic: 'a', retain: 'yes' }] }, 'RULES_INVALID: retain'],
    ['retain on subscribe', { acl: [{ permission: 'allow', action: 'subscribe', topic: 'a', retain: true }] }, 'RULES_INVALID: "retain" applies'],
    ['a bad clientid_re', { acl: [{ permission: 'allow', action: 'publish', topic: 'a', clientid_re: '(' }] }, 'RULES_INVALID: clientid_re'],
    ['too many rules', { acl: { pub: Array.from({ length: 257 }, (_, i) => `t/${i}`) } }, 'RULES_INVALID: 257 topics'],
    ['pub_rules not a list', { pub_rules: 'a/.*' }, 'RULES_INVALID: expected a list'],
    ['an empty regex', { sub_rules: [''] }, 'RULES_INVALID: expected a non-empty string'],
    ['a regex class', { pub_rules: ['dev/[0-9]+'] }, 'RULES_UNSUPPORTED: "["'],
    ['an alternation', { pub_rules: ['a|b'] }, 'RULES_UNSUPPORTED: "|"'],
    ['an anchor', { pub_rules: ['^a'] }, 'RULES_UNSUPPORTED: "^"'],
  ])('denies %s', (_name, claims, expected) => {
    expect(codeOf(() => rulesFromClaims(claims, NAMES))).toMatch(new RegExp(`^${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });
});

describe('rulesFromJson (operator rule sets)', () => {
  it('accepts the TBMQ object form', () => {
    expect(rulesFromJson({ pub_rules: ['a/.*'], sub_rules: ['b'] }, 'JWT_DEFAULT_ACL').map((r) => r.label))
      .toEqual(['JWT_DEFAULT_ACL.pub_rules[0]', 'JWT_DEFAULT_ACL.sub_rules[0]']);
    expect(codeOf(() => rulesFromJson({ pub_rules: [], extra: 1 }, 'X'))).toMatch(/^RULES_INVALID: unknown key "extra"/);
  });
});

describe('regexToGlob', () => {
  it.each([
    ['sensors/.*', 'sensors/*'],
    ['sensors/.', 'sensors/?'],
    ['sensors/.+', 'sensors/??*'.replace('??*', '?*')],
    ['a\\.b', 'a.b'],
    ['\\$aws/things/x/shadow/.*', '$aws/things/x/shadow/*'],
    ['a\\/b', 'a/b'],
    ['a/\\+/\\#', 'a/+/#'],
  ])('maps %s to %s', (regex, glob) => {
    expect(regexToGlob(regex, 'r')).toBe(glob);
  });

  it.each(['a*', 'a+', 'a?', '.*?', '.**', '(a)', 'a{2}', '\\d', '\\*', '\\?', 'a\\', '\\$\\{iot:ClientId\\}'])('refuses %s', (regex) => {
    expect(codeOf(() => regexToGlob(regex, 'r'))).toMatch(/^RULES_UNSUPPORTED/);
  });
});

describe('placeholders', () => {
  const who = { clientId: 'dev-42', username: 'alice' };

  it('fills both placeholders, and escapes them for a regex', () => {
    expect(fillPlaceholders('d/${clientid}/u/${username}', who, 'r')).toBe('d/dev-42/u/alice');
    expect(fillPlaceholders('d/${clientid}', { clientId: 'a.b', username: undefined }, 'r', escapeRegex)).toBe('d/a\\.b');
  });

  it.each(['*', 'a?', '$x', 'a+', '#', 'a/b', 'tab\t', ''])('refuses the value %j', (clientId) => {
    expect(codeOf(() => fillPlaceholders('d/${clientid}', { clientId, username: 'u' }, 'r'))).toMatch(/^PLACEHOLDER_VALUE_INVALID/);
  });

  it('refuses a missing value but ignores placeholders a rule does not use', () => {
    expect(codeOf(() => fillPlaceholders('d/${username}', { clientId: 'c', username: undefined }, 'r'))).toMatch(/^PLACEHOLDER_VALUE_INVALID: no value/);
    expect(fillPlaceholders('d/${clientid}', { clientId: 'c', username: 'a/b' }, 'r')).toBe('d/c');
  });

  it('leaves eq topics literal, and evaluates who-conditions at connect', () => {
    const templates = rulesFromJson([
      { permission: 'allow', action: 'publish', topic: 'eq t/${clientid}' },
      { permission: 'allow', action: 'publish', topic: 't/${clientid}', clientid_re: '^dev-' },
      { permission: 'allow', action: 'publish', topic: 't/x', username_re: '^bob$' },
      { permission: 'deny', action: 'publish', topic: 't/y', listener: 'tcp:default' },
    ], 'acl');
    expect(renderRules(templates, { clientId: 'dev-42', username: 'alice' }).map((r) => [r.topic, r.applies])).toEqual([
      [{ kind: 'eq', filter: 't/${clientid}' }, 'yes'],
      [{ kind: 'mqtt', filter: 't/dev-42' }, 'yes'],
      [{ kind: 'mqtt', filter: 't/x' }, 'no'],
      [{ kind: 'mqtt', filter: 't/y' }, 'unknown'],
    ]);
  });
});
