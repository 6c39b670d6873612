// Property tests: for random rule sets, client ids and topics, the compiled policy (evaluated as IoT Core
// would) never allows what the rules deny, and allows exactly what they allow when the compiler says exact.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compileRules } from '../../../../functions/authorizer/rules/compile-rules.ts';
import { rulesFromJson } from '../../../../functions/authorizer/rules/parse-rules.ts';
import { renderRules } from '../../../../functions/authorizer/rules/render-rules.ts';
import { buildPolicy } from '../../../../functions/authorizer/policy/policy.ts';
import { policyAllows } from '../../../../local/iot-policy.ts';
import { referenceAllows, referenceReceives, type ReferenceRule } from '../../../helpers/mqtt-reference.ts';

const ARN = 'arn:aws:iot:eu-west-1:123456789012';
const RUNS = Number(process.env.FUZZ_RUNS ?? 1500);

const level = fc.constantFrom('a', 'b', 'c', '$s', '');
const topicGen = fc.array(level, { minLength: 1, maxLength: 4 }).map((levels) => levels.join('/'));
const filterGen = fc.tuple(fc.array(fc.oneof(level, fc.constant('+')), { minLength: 0, maxLength: 3 }), fc.boolean())
  .filter(([levels, hash]) => levels.length > 0 || hash)
  .map(([levels, hash]) => [...levels, ...(hash ? ['#'] : [])].join('/'))
  .filter((filter) => filter !== '');
const ruleGen = (withConditions: boolean): fc.Arbitrary<ReferenceRule> => fc.record({
  permission: fc.constantFrom('allow' as const, 'deny' as const),
  action: fc.constantFrom('publish' as const, 'subscribe' as const, 'all' as const),
  topic: fc.oneof({ weight: 5, arbitrary: filterGen }, { weight: 1, arbitrary: filterGen.map((f) => `eq ${f}`) }),
  ...(withConditions && {
    qos: fc.option(fc.subarray([0, 1, 2], { minLength: 1 }), { nil: undefined }),
    retain: fc.option(fc.boolean(), { nil: undefined }),
  }),
}).map((rule) => Object.fromEntries(Object.entries(rule).filter(([key, v]) => v !== undefined && !(key === 'retain' && rule.action === 'subscribe'))) as unknown as ReferenceRule);

function compile(rules: readonly ReferenceRule[]) {
  const templates = rulesFromJson(rules, 'acl');
  const compiled = compileRules(renderRules(templates, { clientId: 'dev-1', username: 'u' }));
  return { compiled, allows: policyAllows(buildPolicy(ARN, 'dev-1', compiled.grants), ARN, 'dev-1') };
}

describe('compiled policies against the rules', () => {
  it('never allow a publish, subscribe or delivery the rules deny; allow exactly what they allow when exact', () => {
    let exactRuns = 0;
    let runs = 0;
    fc.assert(fc.property(fc.array(ruleGen(false), { maxLength: 6 }), fc.array(topicGen, { minLength: 1, maxLength: 6 }), fc.array(filterGen, { minLength: 1, maxLength: 6 }), (rules, topics, filters) => {
      const { compiled, allows } = compile(rules);
      runs += 1;
      if (compiled.exact && rules.length > 1) exactRuns += 1;
      for (const topic of topics) {
        const expected = referenceAllows(rules, { action: 'publish', subject: topic, qos: 0 });
        if (allows.publish(topic)) expect(expected, `publish ${topic}`).toBe(true);
        if (compiled.exact) expect(allows.publish(topic), `publish ${topic} (exact)`).toBe(expected);
        const receivable = referenceReceives(rules, topic);
        if (allows.receive(topic)) expect(receivable, `receive ${topic}`).toBe(true);
        if (compiled.exact) expect(allows.receive(topic), `receive ${topic} (exact)`).toBe(receivable);
      }
      for (const filter of filters) {
        const expected = referenceAllows(rules, { action: 'subscribe', subject: filter, qos: 0 });
        if (allows.subscribe(filter)) expect(expected, `subscribe ${filter}`).toBe(true);
        if (compiled.exact) expect(allows.subscribe(filter), `subscribe ${filter} (exact)`).toBe(expected);
      }
    }), { numRuns: RUNS });
    // The exactness half must not be vacuous: a fair share of multi-rule sets compile exactly.
    expect(exactRuns / runs).toBeGreaterThan(0.08);
  });

  it('never allow what qos or retain conditions deny, at the QoS levels IoT carries', () => {
    fc.assert(fc.property(fc.array(ruleGen(true), { maxLength: 5 }), fc.array(topicGen, { minLength: 1, maxLength: 5 }), (rules, topics) => {
      const { allows } = compile(rules);
      for (const topic of topics) {
        for (const qos of [0, 1]) {
          for (const retain of [false, true]) {
            if (allows.publish(topic, retain)) expect(referenceAllows(rules, { action: 'publish', subject: topic, qos, retain }), `publish ${topic} qos ${qos} retain ${retain}`).toBe(true);
          }
          if (allows.subscribe(topic)) expect(referenceAllows(rules, { action: 'subscribe', subject: topic, qos }), `subscribe ${topic} qos ${qos}`).toBe(true);
        }
      }
    }), { numRuns: RUNS });
  });

  it('maps TBMQ regular expressions exactly: the policy allows a topic iff the expression matches it all', () => {
    const piece = fc.constantFrom('a', 'b', '/', '\\$', '\\.', '.', '.*', '.+');
    const regexGen = fc.array(piece, { minLength: 1, maxLength: 5 }).map((pieces) => pieces.join(''));
    const topic = fc.array(fc.constantFrom('a', 'b', '/', '$', '.'), { minLength: 1, maxLength: 7 }).map((cs) => cs.join(''));
    fc.assert(fc.property(regexGen, fc.array(topic, { minLength: 1, maxLength: 8 }), (regex, topics) => {
      const templates = rulesFromJson({ pub_rules: [regex], sub_rules: [regex] }, 'tbmq');
      const compiled = compileRules(renderRules(templates, { clientId: 'dev-1', username: 'u' }));
      expect(compiled.exact).toBe(true);
      const allows = policyAllows(buildPolicy(ARN, 'dev-1', compiled.grants), ARN, 'dev-1');
      const full = new RegExp(`^(?:${regex})$`);
      for (const t of topics) {
        expect(allows.publish(t), `${regex} publish ${t}`).toBe(full.test(t));
        expect(allows.subscribe(t), `${regex} subscribe ${t}`).toBe(full.test(t));
      }
    }), { numRuns: RUNS });
  });

  it('is exact for the common shapes: literal topics, P/#, single-level wildcards, and allow-only sets', () => {
    for (const rules of [
      [{ permission: 'allow', action: 'all', topic: 'devices/a/#' }],
      [{ permission: 'allow', action: 'publish', topic: 'devices/+/telemetry' }],
      [{ permission: 'allow', action: 'subscribe', topic: '#' }],
      [{ permission: 'deny', action: 'all', topic: 'a/secret' }, { permission: 'allow', action: 'all', topic: 'a/#' }],
      [{ permission: 'allow', action: 'subscribe', topic: 'eq a/+/c' }],
    ] as ReferenceRule[][]) {
      expect(compile(rules).compiled, JSON.stringify(rules)).toMatchObject({ exact: true, notes: [] });
    }
  });
});
