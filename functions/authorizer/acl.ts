import type { JWTPayload } from 'jose';
import type { Profile } from './config.ts';
import { planPolicy, type PolicyPlan } from './policy.ts';
import { compileRules } from './rules/compile-rules.ts';
import { compileTemplate, instantiate, type CompiledTemplate } from './rules/compiled-templates.ts';
import { rulesFromClaims } from './rules/parse-rules.ts';
import type { PlaceholderValues } from './rules/placeholders.ts';
import { renderRules } from './rules/render-rules.ts';
import type { RuleTemplate } from './rules/rule.ts';

export interface ClientRules {
  /** Where the client's own rules came from. */
  readonly source: 'token' | 'default' | 'none';
  readonly ruleCount: number;
  /** True when the policy allows exactly what the rules allow; false when it took the stricter side. */
  readonly exact: boolean;
  /** Where and why it is stricter, for the log. */
  readonly notes: readonly string[];
  /** The policy's statements, and how to fill this client's values into their resources. */
  readonly plan: PolicyPlan;
  readonly fill?: (resource: string) => string;
}

export type RulesFor = (payload: JWTPayload, who: PlaceholderValues) => ClientRules;

/** Distinct rule sets compiled and kept per container: a fleet usually shares a handful of ACL templates. */
const MAX_TEMPLATES = 256;

/**
 * The grants for one client: JWT_BASE_ACL first, then the token's rules (EMQX `acl`, TBMQ `pub_rules` /
 * `sub_rules`), or JWT_DEFAULT_ACL when the token carries none; with neither, no grants (Connect only).
 * A rule set is compiled once and filled in per client.
 * @throws Denied RULES_INVALID, RULES_UNSUPPORTED or PLACEHOLDER_VALUE_INVALID
 */
export function createRulesFor(config: Profile): RulesFor {
  const names = [config.ruleClaims.acl, config.ruleClaims.pubRules, config.ruleClaims.subRules];
  const compiled = new Map<string, { source: ClientRules['source']; template: CompiledTemplate | undefined; templates: readonly RuleTemplate[] }>();

  function load(payload: JWTPayload) {
    // The rule claims as the token carries them: the same claims always compile to the same template. Which
    // claims are present is spelled outside the JSON, so no claim value can pass for an absent claim.
    const present = names.filter((name) => Object.hasOwn(payload, name));
    const key = `${names.map((name) => (present.includes(name) ? '1' : '0')).join('')}${JSON.stringify(present.map((name) => payload[name]))}`;
    let entry = compiled.get(key);
    if (entry === undefined) {
      const fromToken = rulesFromClaims(payload, config.ruleClaims);
      const source = fromToken !== undefined ? 'token' : config.defaultAcl !== undefined ? 'default' : 'none';
      const templates = [...config.baseAcl, ...(fromToken ?? config.defaultAcl ?? [])];
      entry = { source, templates, template: compileTemplate(templates) };
      if (compiled.size >= MAX_TEMPLATES) compiled.delete(compiled.keys().next().value!);
      compiled.set(key, entry);
    }
    return entry;
  }

  return (payload, who) => {
    const { source, template, templates } = load(payload);
    if (template !== undefined) {
      const { exact, notes, plan, fill } = instantiate(template, who);
      return { exact, notes, plan, fill, source, ruleCount: template.ruleCount };
    }
    const rules = renderRules(templates, who);
    const { grants, exact, notes } = compileRules(rules);
    return { exact, notes, plan: planPolicy(grants), source, ruleCount: rules.length };
  };
}
