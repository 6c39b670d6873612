import { globsIntersect, literalPrefix } from './glob.ts';
import type { Rule } from './rule.ts';
import { coverFilter, literalPattern, translateFilter, type Domain, type Translation } from './topic-globs.ts';

export type IotAction = 'iot:Publish' | 'iot:RetainPublish' | 'iot:Subscribe' | 'iot:Receive';

/** One action on one resource pattern (after `topic/` or `topicfilter/`). */
export interface Grant {
  readonly effect: 'Allow' | 'Deny';
  readonly action: IotAction;
  readonly pattern: string;
}

export interface CompiledRules {
  readonly grants: readonly Grant[];
  /** True when the grants allow exactly what the rules allow; false when they took the stricter side. */
  readonly exact: boolean;
  /** Where and why they are stricter than the rules, for the log. */
  readonly notes: readonly string[];
}

/**
 * Exactness is analysed within a budget of pattern-character pairs (the intersection test is quadratic in
 * the patterns' lengths); beyond it the policy is reported stricter-or-equal without proof. The policy
 * is the same either way, and no rule set can make an invocation spend more than a few ms here.
 */
const ANALYSIS_BUDGET = 2_000_000;

interface Tagged extends Grant {
  readonly rule: number;
  /** A Deny that denies nothing the rule allows (an exact deny rule, or a carve). */
  readonly tight: boolean;
  readonly carve: boolean;
}

const IOT_QOS = [0, 1]; // IoT Core carries QoS 0 and 1 only

/**
 * Compiles rules into Allow and Deny grants. Deny wins in IoT whatever the order, where EMQX's list form
 * takes the first matching rule: the grants never allow what a rule denies, and say when they deny more.
 */
export interface CompileOptions {
  /**
   * How a pattern reads for the exactness analysis. Compiling a template with stand-ins for the
   * placeholders, widen them to `*`: an overlap that some value could create is then counted.
   */
  readonly analysisView?: (pattern: string) => string;
}

export function compileRules(rules: readonly Rule[], options: CompileOptions = {}): CompiledRules {
  const grants: Tagged[] = [];
  const notes: string[] = [];
  rules.forEach((rule, index) => {
    const add = (effect: Grant['effect'], action: IotAction, pattern: string, tight: boolean, carve = false) =>
      grants.push({ effect, action, pattern, rule: index, tight, carve });
    const note = (why: string) => notes.push(`${rule.label}: ${why}`);
    if (rule.applies === 'no') return;
    if (rule.permission === 'allow') {
      if (rule.applies === 'unknown') return note('a condition unknown at connect: not applied');
      if (rule.qos !== undefined && !IOT_QOS.every((q) => rule.qos!.includes(q))) return note(`qos ${rule.qos.join(',')} cannot be enforced: not applied`);
      const uses: Array<{ use: Use; actions: IotAction[] }> = [];
      if (rule.actions.includes('publish')) {
        if (rule.retain === true) note('retained-only publishing cannot be enforced: publish not applied');
        else uses.push({ use: 'publish', actions: rule.retain === false ? ['iot:Publish'] : ['iot:Publish', 'iot:RetainPublish'] });
      }
      if (rule.actions.includes('subscribe')) uses.push({ use: 'subscribe', actions: ['iot:Subscribe'] }, { use: 'receive', actions: ['iot:Receive'] });
      for (const { use, actions } of uses) {
        const translation = allowTranslation(rule, use);
        if (translation === undefined) { note(`${use} on ${describe(rule)} cannot be written in a policy: not applied`); continue; }
        if (!translation.exact) note(`${use} on ${describe(rule)} narrowed (no exact policy form)`);
        for (const action of actions) {
          for (const pattern of translation.allow) add('Allow', action, pattern, true);
          for (const pattern of translation.carve) add('Deny', action, pattern, true, true);
        }
      }
      return;
    }
    if (rule.applies === 'unknown') note('a condition unknown at connect: denied regardless');
    if (rule.qos !== undefined && !rule.qos.some((q) => IOT_QOS.includes(q))) return; // QoS 2 never reaches IoT
    const partialQos = rule.qos !== undefined && !IOT_QOS.every((q) => rule.qos!.includes(q));
    if (partialQos) note(`qos ${rule.qos!.join(',')} cannot be told apart: denied at every QoS`);
    const cover = denyCover(rule);
    const tight = cover.exact && !partialQos && rule.applies === 'yes';
    if (rule.actions.includes('publish')) {
      // Denying Publish also stops retained publishing (RetainPublish needs Publish).
      const action: IotAction = rule.retain === true ? 'iot:RetainPublish' : 'iot:Publish';
      if (rule.retain === false) note('a deny of non-retained publishing also denies retained publishing');
      for (const pattern of cover.topics) add('Deny', action, pattern, tight && rule.retain !== false);
    }
    if (rule.actions.includes('subscribe')) {
      for (const pattern of cover.filters) add('Deny', 'iot:Subscribe', pattern, tight);
      // A topicfilter Deny cannot carve a branch out of an allowed `a/#`: stop the deliveries (IoT docs' advice).
      for (const pattern of cover.receive) add('Deny', 'iot:Receive', pattern, tight);
    }
  });
  const exact = notes.length === 0 && analyseOverlaps(grants, notes, options.analysisView ?? ((p) => p));
  return { grants: grants.map(({ effect, action, pattern }) => ({ effect, action, pattern })), exact, notes };
}

function describe(rule: Rule): string {
  const { topic } = rule;
  return topic.kind === 'glob' ? `"${topic.glob}"` : topic.kind === 'eq' ? `"eq ${topic.filter}"` : `"${topic.filter}"`;
}

type Use = 'publish' | 'subscribe' | 'receive';

const DOMAIN: Readonly<Record<Use, Domain>> = { publish: 'topics', subscribe: 'filters', receive: 'topics' };

function allowTranslation(rule: Rule, use: Use): Translation | undefined {
  const { topic } = rule;
  if (topic.kind === 'glob') return { allow: [topic.glob], carve: [], exact: true };
  if (topic.kind === 'mqtt' || use === 'receive') return translateFilter(topic.filter, DOMAIN[use]);
  // `eq`: the subscription filter, or the published topic, equals the text (no topic holds `+` or `#`).
  if (use === 'publish' && /[+#]/.test(topic.filter)) return { allow: [], carve: [], exact: true };
  const literal = literalPattern(topic.filter);
  return literal === undefined ? undefined : { allow: [literal], carve: [], exact: true };
}

/** Patterns at least as wide as a deny rule, per action, and whether they are exactly as wide. */
function denyCover(rule: Rule): { topics: string[]; filters: string[]; receive: string[]; exact: boolean } {
  const { topic } = rule;
  if (topic.kind === 'glob') return { topics: [topic.glob], filters: [topic.glob], receive: [topic.glob], exact: true };
  if (topic.kind === 'mqtt') {
    const { patterns, exact } = coverFilter(topic.filter);
    return { topics: [...patterns], filters: [...patterns], receive: [...patterns], exact };
  }
  // `eq` denies that exact filter (or topic); deliveries through other filters are not its business.
  const literal = literalPattern(topic.filter);
  const cover = literal ?? topic.filter.replace(/[*?]|\$[{(]/g, '*');
  return { topics: /[+#]/.test(topic.filter) ? [] : [cover], filters: [cover], receive: [], exact: literal !== undefined };
}

// A Deny that may catch what another rule allows, or that meets an earlier allow (which wins in EMQX's
// first-match order), makes the policy stricter than the rules.
function analyseOverlaps(grants: readonly Tagged[], notes: string[], view: (pattern: string) => string): boolean {
  const allows = grants.filter((g) => g.effect === 'Allow');
  const denies = grants.filter((g) => g.effect === 'Deny');
  const length = (list: readonly Tagged[]) => list.reduce((n, g) => n + g.pattern.length + 1, 0);
  if (length(allows) * length(denies) > ANALYSIS_BUDGET) {
    notes.push('too many rules to analyse exactness');
    return false;
  }
  for (const deny of denies) {
    for (const allow of allows) {
      if (allow.action !== deny.action && !(deny.action === 'iot:Publish' && allow.action === 'iot:RetainPublish')) continue;
      if (deny.rule === allow.rule && deny.carve) continue;
      const harmless = deny.tight && !deny.carve && allow.rule > deny.rule;
      if (harmless) continue;
      const [d, a] = [view(deny.pattern), view(allow.pattern)];
      if (!prefixesMeet(d, a) || !globsIntersect(d, a)) continue;
      notes.push(`a Deny on "${deny.pattern}" (rule ${deny.rule + 1}) also catches "${allow.pattern}" allowed by rule ${allow.rule + 1}`);
      return false;
    }
  }
  return true;
}

// Two patterns whose literal beginnings differ match nothing in common: a cheap test before the full one.
function prefixesMeet(a: string, b: string): boolean {
  const pa = literalPrefix(a);
  const pb = literalPrefix(b);
  return pa.length <= pb.length ? pb.startsWith(pa) : pa.startsWith(pb);
}
