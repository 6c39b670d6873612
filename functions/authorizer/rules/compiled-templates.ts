import { Denied } from '../deny.ts';
import { compileRules, type CompiledRules, type Grant } from './compile-rules.ts';
import { MAX_TOPIC_BYTES } from './parse-rules.ts';
import { placeholderValue, usesPlaceholder, valueAfter, type PlaceholderValues } from './placeholders.ts';
import { renderRules } from './render-rules.ts';
import type { RuleTemplate } from './rule.ts';

// Stand-ins for the placeholders while a template is compiled: private-use characters, which no pattern
// treats specially, so they travel through translation as a plain value would, and are replaced after.
const STAND_IN = { clientid: '\uE000clientid\uE001', username: '\uE000username\uE001' } as const;
const STAND_INS = /\uE000(clientid|username)\uE001/g;
const HAS_STAND_IN = /\uE000(?:clientid|username)\uE001/;
const widen = (pattern: string) => pattern.replace(STAND_INS, '*');

/** A rule set compiled once for every client: grants with stand-ins where the client's values go. */
export interface CompiledTemplate extends CompiledRules {
  readonly ruleCount: number;
  /** The rule that first uses each placeholder (for the deny detail), if any does. */
  readonly uses: Readonly<Partial<Record<'clientid' | 'username', string>>>;
  /** Filled MQTT filters with stand-ins, to check their length once the values are known. */
  readonly filters: readonly { readonly label: string; readonly filter: string }[];
}

/**
 * Compiles templates with stand-ins for `${clientid}` and `${username}`, or answers undefined when the
 * result could depend on the values otherwise (who-conditions, or stand-in characters in the rules).
 * Placeholder values are plain text (no wildcard, no `/`), so filling them in after compiling gives the
 * same grants as filling them in before; the exactness analysis widens them to `*`, so it never claims
 * more than it would for a real value.
 */
export function compileTemplate(templates: readonly RuleTemplate[]): CompiledTemplate | undefined {
  const dependsOnClient = templates.some((t) => t.who.clientIdPattern || t.who.usernamePattern || t.who.unknowable.length > 0
    || t.topics.some((topic) => (topic.kind === 'regex' ? topic.regex : topic.filter).includes('\uE000')));
  if (dependsOnClient) return undefined;
  let rules;
  try {
    rules = renderRules(templates, { clientId: STAND_IN.clientid, username: STAND_IN.username });
  } catch (err) {
    if (err instanceof Denied) return undefined; // e.g. a topic too long with the stand-in: decide per client
    throw err;
  }
  const uses: Partial<Record<'clientid' | 'username', string>> = {};
  const filters: { label: string; filter: string }[] = [];
  templates.forEach((template) => template.topics.forEach((topic) => {
    if (topic.kind === 'eq') return; // placeholders after `eq ` stay literal
    const text = topic.kind === 'regex' ? topic.regex : topic.filter;
    for (const name of ['clientid', 'username'] as const) if (usesPlaceholder(text, name)) uses[name] ??= template.label;
  }));
  for (const rule of rules) if (rule.topic.kind === 'mqtt' && HAS_STAND_IN.test(rule.topic.filter)) filters.push({ label: rule.label, filter: rule.topic.filter });
  return { ...compileRules(rules, { analysisView: widen }), ruleCount: rules.length, uses, filters };
}

/**
 * The compiled template for one client: its values checked and filled in.
 * @throws Denied PLACEHOLDER_VALUE_INVALID
 */
export function instantiate(template: CompiledTemplate, who: PlaceholderValues): CompiledRules {
  const values: Partial<Record<'clientid' | 'username', string>> = {};
  for (const name of ['clientid', 'username'] as const) {
    const label = template.uses[name];
    if (label !== undefined) values[name] = placeholderValue(name, who, label);
  }
  // One pass: text a value brings in is never read as a stand-in. Each value is checked against the text
  // before it too: a `$` there and a `{` in the value would make a policy variable.
  const fill = (text: string) => text.replace(STAND_INS, (_m, name: 'clientid' | 'username', offset: number) =>
    valueAfter(text[offset - 1] ?? '', values[name] ?? '', name, template.uses[name] ?? ''));
  for (const { label, filter } of template.filters) {
    if (Buffer.byteLength(fill(filter)) > MAX_TOPIC_BYTES) {
      throw new Denied('PLACEHOLDER_VALUE_INVALID', { rule: label, why: `the filled topic is longer than ${MAX_TOPIC_BYTES} bytes` });
    }
  }
  return {
    grants: template.grants.map((g): Grant => ({ ...g, pattern: fill(g.pattern) })),
    exact: template.exact,
    notes: template.notes.map(fill),
  };
}
