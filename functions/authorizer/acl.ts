import type { JWTPayload } from 'jose';
import type { Config } from './config.ts';
import { compileRules, type CompiledRules } from './rules/compile-rules.ts';
import { rulesFromClaims } from './rules/parse-rules.ts';
import type { PlaceholderValues } from './rules/placeholders.ts';
import { renderRules } from './rules/render-rules.ts';
import type { RuleTemplate } from './rules/rule.ts';

export interface ClientRules extends CompiledRules {
  /** Where the client's own rules came from. */
  readonly source: 'token' | 'default' | 'none';
  readonly ruleCount: number;
}

/**
 * The grants for one client: JWT_BASE_ACL first, then the token's rules (EMQX `acl`, TBMQ `pub_rules` /
 * `sub_rules`), or JWT_DEFAULT_ACL when the token carries none; with neither, no grants (Connect only).
 * @throws Denied RULES_INVALID, RULES_UNSUPPORTED or PLACEHOLDER_VALUE_INVALID
 */
export function rulesFor(payload: JWTPayload, who: PlaceholderValues, config: Config): ClientRules {
  const fromToken = rulesFromClaims(payload, config.ruleClaims);
  const own: readonly RuleTemplate[] = fromToken ?? config.defaultAcl ?? [];
  const source = fromToken !== undefined ? 'token' : config.defaultAcl !== undefined ? 'default' : 'none';
  const rules = renderRules([...config.baseAcl, ...own], who);
  return { ...compileRules(rules), source, ruleCount: rules.length };
}
