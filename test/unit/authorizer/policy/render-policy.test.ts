import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_DOCUMENT_CHARS, renderPolicy, type PolicyPlan } from '../../../../functions/authorizer/policy/policy.ts';
import { toDenied } from '../../../../functions/authorizer/deny.ts';

// A prepared plan fills its holes by concatenation, sizes the one document by addition, and checks the
// values once instead of each filled resource. Each shortcut is held here against the plain way: the same
// plan with its resources filled in beforehand (no holes), which measures and checks every resource whole.
const ARN = 'arn:aws:iot:eu-west-1:123456789012';
const NAMES = ['clientid', 'username'] as const;

// Every character that means something to JSON, IoT's policy grammar or MQTT, lone and paired surrogates,
// and `__proto__`; the long ones push the single document past 2,048 characters.
const piece = fc.constantFrom('a', 'b/', '$', '{', '}', '(', ')', '${', '$(', '*', '?', '+', '#', '/', '\\', '"', '\u0001',
  '\ud800', '\udc00', '😀', 'é', '__proto__', 'x'.repeat(120), '"'.repeat(40));
const text = fc.array(piece, { maxLength: 4 }).map((pieces) => pieces.join(''));
// Padding of any length, so that many plans land within a few characters of a document's limit.
const padding = fc.integer({ min: 0, max: 700 }).map((n) => 'p'.repeat(n));
const value = fc.oneof(text, padding.map((p) => `v${p}`), fc.constantFrom('', 'device-1', '{iot:ClientId}', '(x)', 'a$', 'q"u\\o'));

const holed = fc.tuple(text, padding, fc.array(fc.tuple(fc.constantFrom(...NAMES), text), { minLength: 1, maxLength: 3 }))
  .map(([head, pad, rest]) => [`topic/${head}${pad}`, ...rest.flatMap(([name, after]) => [name, after])]);
const plan = fc.array(fc.record({
  effect: fc.constantFrom('Allow' as const, 'Deny' as const),
  actions: fc.constantFrom(['iot:Publish'], ['iot:Publish', 'iot:Receive'], ['iot:Subscribe']),
  resources: fc.array(fc.oneof(holed, fc.tuple(text, padding).map(([t, pad]) => [`topicfilter/${t}${pad}`])), { minLength: 1, maxLength: 4 }),
}), { minLength: 1, maxLength: 4 });

const outcome = (fn: () => unknown) => {
  try {
    return fn();
  } catch (err) {
    return toDenied(err).code;
  }
};

describe('renderPolicy with a prepared plan', () => {
  it('renders what the plan filled in beforehand renders, or refuses a value that would make a policy variable', () => {
    fc.assert(fc.property(plan, fc.record({ clientid: value, username: value }), fc.option(fc.constantFrom('dev-1', 'q"1'), { nil: undefined }),
      (statements, values, clientId) => {
        const key = (parts: readonly string[]) => parts.join('\u0000');
        const holes = new Map(statements.flatMap((s) => s.resources).filter((r) => r.length > 1).map((r) => [key(r), r]));
        const withHoles: PolicyPlan = { statements: statements.map((s) => ({ ...s, resources: s.resources.map(key) })), holes };
        const fill = (parts: readonly string[]) => parts.map((part, i) => (i % 2 === 1 ? values[part as 'clientid'] : part)).join('');
        const filledIn: PolicyPlan = { statements: statements.map((s) => ({ ...s, resources: s.resources.map(fill) })) };

        const rendered = outcome(() => renderPolicy(ARN, clientId, withHoles, values));
        const plain = outcome(() => renderPolicy(ARN, clientId, filledIn));
        const usedValues = [...holes.values()].flatMap((parts) => parts.filter((_, i) => i % 2 === 1)).map((name) => values[name as 'clientid']);
        if (rendered === 'PLACEHOLDER_VALUE_INVALID') {
          // Refused: the plain way would hold a policy variable, or a value could have made one (a `$`, or nothing at all).
          expect(plain === 'PLACEHOLDER_VALUE_INVALID' || usedValues.some((v) => v === '' || v.includes('$'))).toBe(true);
          return;
        }
        expect(rendered).toEqual(plain);
        if (rendered === 'POLICY_TOO_LARGE') return;
        const documents = rendered as ReturnType<typeof renderPolicy>;
        for (const document of documents) {
          expect(JSON.stringify(document).length).toBeLessThanOrEqual(MAX_DOCUMENT_CHARS);
          for (const statement of document.Statement) for (const resource of [statement.Resource].flat()) expect(resource).not.toMatch(/\$[{(]/);
        }
      }), { numRuns: 3000 });
  });

  it('splits at exactly the length the plain way splits at, for every value length across the limit', () => {
    let splits = 0;
    for (const parts of [['topic/fleet/', 'clientid', '/#'], ['topic/fleet/', 'clientid', '/telemetry/', 'clientid', '/#']]) {
      for (const fixed of [`topic/${'f'.repeat(1700)}`, `topic/${'f'.repeat(1701)}`]) {
        const withHoles: PolicyPlan = { statements: [{ effect: 'Allow', actions: ['iot:Publish'], resources: ['p', fixed] }], holes: new Map([['p', parts]]) };
        for (const unit of ['v', '"', '😀']) {
          for (let n = 1; n <= 300; n += 1) {
            const clientid = unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
            const filled = parts.map((part, i) => (i % 2 === 1 ? clientid : part)).join('');
            const rendered = renderPolicy(ARN, 'dev-1', withHoles, { clientid });
            expect(rendered).toEqual(renderPolicy(ARN, 'dev-1', { statements: [{ ...withHoles.statements[0]!, resources: [filled, fixed] }] }));
            splits += rendered.length > 1 ? 1 : 0;
          }
        }
      }
    }
    expect(splits).toBeGreaterThan(0); // the limit was crossed
  });

  it('puts the ARN and the values in, one document when it fits', () => {
    const parts = ['topic/fleet/', 'clientid', '/telemetry'];
    const documents = renderPolicy(ARN, 'dev-1', { statements: [{ effect: 'Allow', actions: ['iot:Publish'], resources: ['p', 'topic/fixed'] }], holes: new Map([['p', parts]]) }, { clientid: 'dev-1' });
    expect(documents).toEqual([{ Version: '2012-10-17', Statement: [
      { Effect: 'Allow', Action: 'iot:Connect', Resource: `${ARN}:client/dev-1` },
      { Effect: 'Allow', Action: 'iot:Publish', Resource: [`${ARN}:topic/fleet/dev-1/telemetry`, `${ARN}:topic/fixed`] },
    ] }]);
  });

  it('refuses a value that would open a policy variable after a `$` the rule wrote', () => {
    const plan: PolicyPlan = { statements: [{ effect: 'Allow', actions: ['iot:Publish'], resources: ['p'] }], holes: new Map([['p', ['topic/d/$', 'username', '']]]) };
    expect(outcome(() => renderPolicy(ARN, 'dev-1', plan, { username: '{iot:ClientId}' }))).toBe('PLACEHOLDER_VALUE_INVALID');
    expect(outcome(() => renderPolicy(ARN, 'dev-1', plan, { username: 'ok' }))).toEqual(expect.any(Array));
  });
});
