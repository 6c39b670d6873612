import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compileTemplate, instantiate } from '../../../../functions/authorizer/rules/compiled-templates.ts';
import { compileRules } from '../../../../functions/authorizer/rules/compile-rules.ts';
import { rulesFromJson } from '../../../../functions/authorizer/rules/parse-rules.ts';
import { renderRules } from '../../../../functions/authorizer/rules/render-rules.ts';
import { toDenied } from '../../../../functions/authorizer/deny.ts';
import { buildPolicy, renderPolicy, type PolicyDocument } from '../../../../functions/authorizer/policy/policy.ts';

const outcome = (fn: () => { grants: readonly object[]; exact: boolean; notes: readonly string[] }) => {
  try {
    const { grants, exact, notes } = fn();
    // Long values can push the direct analysis past its work budget: then it proves nothing either way.
    return { grants: grants.map((g) => JSON.stringify(g)).sort(), exact, unproven: notes.includes('too many rules to analyse exactness') };
  } catch (err) {
    return { denied: toDenied(err).code };
  }
};

describe('compiling a rule set once and filling in each client', () => {
  const level = fc.constantFrom('a', 'b', '${clientid}', '${username}', 'x-${clientid}', '+');
  const filter = fc.tuple(fc.array(level, { minLength: 1, maxLength: 3 }), fc.boolean()).map(([levels, hash]) => [...levels, ...(hash ? ['#'] : [])].join('/'));
  const rule = fc.record({
    permission: fc.constantFrom('allow', 'deny'),
    action: fc.constantFrom('publish', 'subscribe', 'all'),
    topic: fc.oneof({ weight: 5, arbitrary: filter }, { weight: 1, arbitrary: filter.map((f) => `eq ${f}`) }),
  });
  // Values that collide with the rules' literals, are empty, too long, or unsafe.
  const value = fc.oneof(fc.constantFrom('a', 'b', 'x-a', '', 'a+b', 'a/b', '$x', 'é', 'y'.repeat(250)), fc.stringMatching(/^[a-z0-9-]{1,8}$/));

  it('gives the same grants as filling in first, and never claims exactness the direct path would not', () => {
    fc.assert(fc.property(fc.array(rule, { maxLength: 5 }), value, fc.option(value, { nil: undefined }), (rules, clientId, username) => {
      const templates = rulesFromJson(rules, 'acl');
      const who = { clientId, username };
      const compiled = compileTemplate(templates);
      if (compiled === undefined) return; // decided per client instead
      const viaTemplate = outcome(() => instantiate(compiled, who));
      const direct = outcome(() => compileRules(renderRules(templates, who)));
      if ('denied' in direct || 'denied' in viaTemplate) {
        expect(viaTemplate).toEqual(direct);
        return;
      }
      expect(viaTemplate.grants).toEqual(direct.grants);
      if (viaTemplate.exact && !direct.unproven) expect(direct.exact).toBe(true);
    }), { numRuns: 1500 });
  });

  it('renders the same policy from the plan, filled in per client, as from the filled grants', () => {
    const ARN = 'arn:aws:iot:eu-west-1:123456789012';
    // Every (effect, action, resource) a policy states: the packing may differ, the grants may not.
    const triples = (documents: readonly PolicyDocument[]) => [...new Set(documents.flatMap((d) => d.Statement.flatMap((st) =>
      [st.Action].flat().flatMap((action) => [st.Resource].flat().map((resource) => `${st.Effect} ${action} ${resource}`)))))].sort();
    fc.assert(fc.property(fc.array(rule, { maxLength: 5 }), value, fc.option(value, { nil: undefined }), (rules, clientId, username) => {
      const templates = rulesFromJson(rules, 'acl');
      const compiled = compileTemplate(templates);
      if (compiled === undefined) return;
      const who = { clientId, username };
      const viaPlan = (() => { try { const r = instantiate(compiled, who); return triples(renderPolicy(ARN, 'dev', r.plan, r.values)); } catch (err) { return toDenied(err).code; } })();
      const direct = (() => { try { return triples(buildPolicy(ARN, 'dev', compileRules(renderRules(templates, who)).grants)); } catch (err) { return toDenied(err).code; } })();
      expect(viaPlan).toEqual(direct);
    }), { numRuns: 1500 });
  });

  it('also for TBMQ expressions', () => {
    const regex = fc.array(fc.constantFrom('a', '/', '.*', '.', '${clientid}', '\\.'), { minLength: 1, maxLength: 5 }).map((p) => p.join(''));
    fc.assert(fc.property(regex, value, (re, clientId) => {
      const templates = rulesFromJson({ pub_rules: [re], sub_rules: [re] }, 'tbmq');
      const compiled = compileTemplate(templates)!;
      const viaTemplate = outcome(() => instantiate(compiled, { clientId, username: undefined }));
      const direct = outcome(() => compileRules(renderRules(templates, { clientId, username: undefined })));
      expect('denied' in viaTemplate ? viaTemplate : viaTemplate.grants).toEqual('denied' in direct ? direct : direct.grants);
    }), { numRuns: 500 });
  });

  it('leaves rules with who-conditions to be compiled per client', () => {
    expect(compileTemplate(rulesFromJson([{ permission: 'allow', action: 'all', topic: 'a', clientid_re: '^d' }], 'acl'))).toBeUndefined();
  });
});
