import type { JWTPayload } from 'jose';
import type { RoleRules, RuleSettings } from '../config/config.ts';
import { Denied } from '../deny.ts';
import { isPlainObject } from '../config/env-reader.ts';
import { sameJson } from '../config/strict-json.ts';
import { planPolicy, type PolicyPlan, type PolicyValues } from '../policy/policy.ts';
import { compileRules } from './compile-rules.ts';
import { compileTemplate, instantiate, type CompiledTemplate } from './compiled-templates.ts';
import { rulesFromClaims } from './parse-rules.ts';
import type { PlaceholderValues } from './placeholders.ts';
import { renderRules } from './render-rules.ts';
import type { RuleTemplate } from './rule.ts';

export interface ClientRules {
  /** Where the client's own rules came from. */
  readonly source: 'token' | 'default' | 'none';
  readonly ruleCount: number;
  /** True when the policy allows exactly what the rules allow; false when it took the stricter side. */
  readonly exact: boolean;
  /** Where and why it is stricter, for the log. */
  readonly notes: readonly string[];
  /** The policy's statements, and this client's values for their holes. */
  readonly plan: PolicyPlan;
  readonly values?: PolicyValues;
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
export function createRulesFor(config: RuleSettings): RulesFor {
  const names = [config.ruleClaims.acl, config.ruleClaims.pubRules, config.ruleClaims.subRules];
  type Entry = { source: ClientRules['source']; template: CompiledTemplate | undefined; templates: readonly RuleTemplate[] };
  const compiled = new Map<string, Entry>();
  let last: { mask: string; present: unknown[]; roles: string; entry?: Entry } = { mask: '', present: [], roles: '' };

  function load(payload: JWTPayload): Entry {
    const roles = config.roles === undefined ? [] : rolesOf(payload, config.roles);
    // The rule claims as the token carries them: the same claims always compile to the same template. Which
    // claims are present is spelled outside the JSON (the mask), so no claim value can pass for an absent
    // claim; the roles follow as a JSON array of their own (self-delimiting), or nothing.
    let mask = '';
    const present: unknown[] = [];
    for (const name of names) {
      const has = Object.hasOwn(payload, name);
      mask += has ? '1' : '0';
      if (has) present.push(payload[name]);
    }
    const roleList = roles.length === 0 ? '' : JSON.stringify(roles);
    // A fleet mostly shares one rule set: the claims are compared with the last token's, value by value,
    // before anything is serialized.
    if (last.entry !== undefined && mask === last.mask && roleList === last.roles && sameJson(present, last.present)) return last.entry;
    const key = `${mask}${JSON.stringify(present)}${roleList}`;
    let entry = compiled.get(key);
    if (entry === undefined) {
      const fromToken = rulesFromClaims(payload, config.ruleClaims);
      const source = fromToken !== undefined ? 'token' : config.defaultAcl !== undefined ? 'default' : 'none';
      // A role's rules come after the base rules and before the token's own: allows add up, and every deny
      // holds (in IoT a Deny wins whatever its place).
      const byRole = roles.flatMap((role) => config.roles!.rules.get(role) ?? []);
      const templates = [...config.baseAcl, ...byRole, ...(fromToken ?? config.defaultAcl ?? [])];
      entry = { source, templates, template: compileTemplate(templates) };
      if (compiled.size >= MAX_TEMPLATES) compiled.delete(compiled.keys().next().value!);
      compiled.set(key, entry);
    }
    last = { mask, present, roles: roleList, entry };
    return entry;
  }

  return (payload, who) => {
    const { source, template, templates } = load(payload);
    if (template !== undefined) {
      const { exact, notes, plan, values } = instantiate(template, who);
      return { exact, notes, plan, values, source, ruleCount: template.ruleCount };
    }
    const rules = renderRules(templates, who);
    const { grants, exact, notes } = compileRules(rules);
    return { exact, notes, plan: planPolicy(grants), source, ruleCount: rules.length };
  };
}

/**
 * The roles a token claims that have rules (a string or an array of strings, at a claim path such as
 * `realm_access.roles`), sorted; none when it claims none.
 * @throws Denied CLAIM_INVALID for a role claim of another type; ROLE_UNKNOWN for a role without rules (unless ignored)
 */
export function rolesOf(payload: JWTPayload, roles: RoleRules): string[] {
  let value: unknown = payload;
  for (const step of roles.claim) {
    if (!isPlainObject(value) || !Object.hasOwn(value, step)) return [];
    value = value[step];
  }
  const claim = roles.claim.join('.');
  const claimed = typeof value === 'string' ? [value] : Array.isArray(value) && value.every((v) => typeof v === 'string') ? value as string[] : undefined;
  if (claimed === undefined) throw new Denied('CLAIM_INVALID', { claim, why: 'a role claim is a string or an array of strings' });
  const known = [...new Set(claimed)].filter((role) => roles.rules.has(role)).sort();
  const unknown = claimed.find((role) => !roles.rules.has(role));
  if (unknown !== undefined && roles.unknown === 'deny') throw new Denied('ROLE_UNKNOWN', { claim, role: unknown });
  return known;
}
