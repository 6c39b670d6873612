// The rules' meaning, straight from MQTT 3.1.1 §4.7 and EMQX's rule semantics, written independently of
// the compiler: the oracle the property tests compare the compiled policy with.

/** Whether an MQTT filter matches a topic name (`+` one level, `#` the rest and the parent, no `$` at the first level). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i += 1) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** Whether every topic the filter `sub` can match is matched by the filter `rule` (a subscription within a rule). */
export function filterWithin(rule: string, sub: string): boolean {
  const f = rule.split('/');
  const s = sub.split('/');
  const dollar = (level: string | undefined) => level !== undefined && level.startsWith('$');
  if (dollar(s[0]) && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i += 1) {
    if (f[i] === '#') return true;
    if (i >= s.length) return false;
    if (s[i] === '#') {
      // `sub` matches everything from level i on, and the parent topic of i levels (at least one level):
      // `rule` must end in `#` after at most the `+` levels such a shortest topic can fill.
      const rest = f.slice(i);
      const pluses = rest.length - 1;
      return rest.at(-1) === '#' && rest.slice(0, -1).every((l) => l === '+') && pluses <= (i === 0 ? 1 : 0);
    }
    if (f[i] === '+') continue;
    if (s[i] === '+' || f[i] !== s[i]) return false;
  }
  return f.length === s.length;
}

export interface ReferenceRule {
  readonly permission: 'allow' | 'deny';
  readonly action: 'publish' | 'subscribe' | 'all';
  /** An MQTT filter, or `eq <text>`. */
  readonly topic: string;
  readonly qos?: readonly number[];
  readonly retain?: boolean;
}

export interface Request {
  readonly action: 'publish' | 'subscribe';
  /** The topic published to, or the filter subscribed with. */
  readonly subject: string;
  readonly qos: number;
  readonly retain?: boolean;
}

/** EMQX's list form: the first rule matching the request decides; no match denies. */
export function referenceAllows(rules: readonly ReferenceRule[], request: Request): boolean {
  for (const rule of rules) {
    if (rule.action !== 'all' && rule.action !== request.action) continue;
    if (rule.qos !== undefined && !rule.qos.includes(request.qos)) continue;
    if (rule.retain !== undefined && request.action === 'publish' && rule.retain !== (request.retain ?? false)) continue;
    const matches = rule.topic.startsWith('eq ')
      ? rule.topic.slice(3) === request.subject
      : request.action === 'publish' ? topicMatches(rule.topic, request.subject) : filterWithin(rule.topic, request.subject);
    if (matches) return rule.permission === 'allow';
  }
  return false;
}

/**
 * Deliveries: a topic is received when some subscribe-allow rule's filter matches it and no subscribe-deny
 * rule's filter does (a deny stops deliveries of its topics whatever the subscription, as IoT's Receive
 * check does). An `eq` deny refuses one subscription filter, not deliveries.
 */
export function referenceReceives(rules: readonly ReferenceRule[], topic: string): boolean {
  const subscribeRules = rules.filter((rule) => rule.action !== 'publish' && (rule.qos === undefined || rule.qos.some((q) => q <= 1)));
  const text = (rule: ReferenceRule) => (rule.topic.startsWith('eq ') ? rule.topic.slice(3) : rule.topic);
  const allowed = subscribeRules.some((rule) => rule.permission === 'allow' && topicMatches(text(rule), topic));
  const denied = subscribeRules.some((rule) => rule.permission === 'deny' && !rule.topic.startsWith('eq ') && topicMatches(rule.topic, topic));
  return allowed && !denied;
}
