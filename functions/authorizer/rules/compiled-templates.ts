import { Denied } from '../deny.ts';
import { planPolicy, type PolicyPlan, type PolicyValues } from '../policy/policy.ts';
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
// Splits a pattern around its stand-ins: literal text at even indices, placeholder names at odd ones.
const SPLIT = /\uE000(clientid|username)\uE001/;
type Name = 'clientid' | 'username';
const splitParts = (text: string): readonly string[] => text.split(SPLIT);

/** A rule set compiled once for every client: grants with stand-ins where the client's values go. */
export interface CompiledTemplate extends CompiledRules {
  readonly ruleCount: number;
  /** The rule that first uses each placeholder (for the deny detail), if any does. */
  readonly uses: Readonly<Partial<Record<'clientid' | 'username', string>>>;
  /** MQTT filters that hold a value: their own UTF-8 bytes and how many times each value goes in, to check the filled length. */
  readonly filters: readonly { readonly label: string; readonly bytes: number; readonly clientid: number; readonly username: number }[];
  /** The policy's statements with stand-ins, planned once for every client; its holes are where the values go. */
  readonly plan: PolicyPlan;
  /** Placeholders that some pattern has right after a `$`: a value starting with `{` or `(` would make a policy variable there. */
  readonly afterDollar: readonly Name[];
}

/** A template filled in for one client: its policy plan and values, the grants themselves on demand. */
export interface InstantiatedRules {
  readonly exact: boolean;
  readonly notes: readonly string[];
  readonly plan: PolicyPlan;
  /** The client's values, for the plan's holes. */
  readonly values: PolicyValues;
  /** The filled grants (for tests and comparisons; the policy is rendered from the plan). */
  readonly grants: readonly Grant[];
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
  templates.forEach((template) => template.topics.forEach((topic) => {
    if (topic.kind === 'eq') return; // placeholders after `eq ` stay literal
    const text = topic.kind === 'regex' ? topic.regex : topic.filter;
    for (const name of ['clientid', 'username'] as const) if (usesPlaceholder(text, name)) uses[name] ??= template.label;
  }));
  const filters = rules.filter((rule) => rule.topic.kind === 'mqtt' && HAS_STAND_IN.test(rule.topic.filter)).map((rule) => {
    const parts = splitParts((rule.topic as { filter: string }).filter);
    const count = (name: Name) => parts.filter((part, i) => i % 2 === 1 && part === name).length;
    const bytes = parts.reduce((n, part, i) => (i % 2 === 0 ? n + Buffer.byteLength(part) : n), 0);
    return { label: rule.label, bytes, clientid: count('clientid'), username: count('username') };
  });
  const compiled = compileRules(rules, { analysisView: widen });
  const holes = new Map<string, readonly string[]>();
  const afterDollar = new Set<Name>();
  const planned = planPolicy(compiled.grants);
  for (const resource of planned.statements.flatMap((statement) => statement.resources)) {
    if (!HAS_STAND_IN.test(resource)) continue;
    const split = splitParts(resource);
    holes.set(resource, split);
    for (let i = 1; i < split.length; i += 2) if (split[i - 1]!.endsWith('$')) afterDollar.add(split[i] as Name);
  }
  // A note names the rule as written, `${clientid}` and all: the same text for every client, made once.
  const notes = compiled.notes.map((note) => note.replace(STAND_INS, (_m, name: Name) => `\${${name}}`));
  return { ...compiled, notes, ruleCount: rules.length, uses, filters, plan: { ...planned, holes }, afterDollar: [...afterDollar] };
}

// One pass over each text: what a value brings in is never read as a stand-in.
const fillText = (text: string, values: PolicyValues) => text.replace(STAND_INS, (_m, name: Name) => values[name] ?? '');

/**
 * The compiled template for one client: its values checked, and filled in as the policy is rendered.
 * @throws Denied PLACEHOLDER_VALUE_INVALID
 */
export function instantiate(template: CompiledTemplate, who: PlaceholderValues): InstantiatedRules {
  const values: Partial<Record<Name, string>> = {};
  for (const name of ['clientid', 'username'] as const) {
    const label = template.uses[name];
    if (label !== undefined) values[name] = placeholderValue(name, who, label);
  }
  // A `$` the rule wrote before a placeholder, and a `{` in the value, would make a policy variable.
  for (const name of template.afterDollar) valueAfter('$', values[name]!, name, template.uses[name]!);
  const clientidBytes = values.clientid === undefined ? 0 : Buffer.byteLength(values.clientid);
  const usernameBytes = values.username === undefined ? 0 : Buffer.byteLength(values.username);
  for (const { label, bytes, clientid, username } of template.filters) {
    if (bytes + clientid * clientidBytes + username * usernameBytes > MAX_TOPIC_BYTES) {
      throw new Denied('PLACEHOLDER_VALUE_INVALID', { rule: label, why: `the filled topic is longer than ${MAX_TOPIC_BYTES} bytes` });
    }
  }
  return {
    exact: template.exact,
    notes: template.notes,
    plan: template.plan,
    values,
    get grants() {
      return template.grants.map((g): Grant => ({ ...g, pattern: fillText(g.pattern, values) }));
    },
  };
}
