import { Denied } from '../deny.ts';
import { isPlainObject } from '../config/env-reader.ts';
import type { RuleAction, RuleTemplate, TopicTemplate, WhoConditions } from './rule.ts';
import { regexToGlob } from './tbmq-regex.ts';
import { compileWhoPattern } from './who-pattern.ts';

/** More topics than this in one rule set is not a device's ACL: deny rather than compile it. */
export const MAX_RULE_TOPICS = 256;
/** IoT's topic limit is 256 bytes; a longer filter can match nothing there. */
export const MAX_TOPIC_BYTES = 256;

export interface RuleClaimNames {
  readonly acl: string;
  readonly pubRules: string;
  readonly subRules: string;
}

function invalid(label: string, why: string): never {
  throw new Denied('RULES_INVALID', { rule: label, why });
}

const NO_ONE: WhoConditions = { unknowable: [] };

/**
 * The rules a token carries: EMQX's `acl` claim (map or list form) and TBMQ's `pub_rules` / `sub_rules`.
 * Undefined when it carries none (then the operator's default applies).
 * @throws Denied RULES_INVALID or RULES_UNSUPPORTED
 */
export function rulesFromClaims(payload: Readonly<Record<string, unknown>>, names: RuleClaimNames): RuleTemplate[] | undefined {
  const has = (claim: string) => Object.hasOwn(payload, claim);
  if (!has(names.acl) && !has(names.pubRules) && !has(names.subRules)) return undefined;
  const rules = [
    ...(has(names.acl) ? parseEmqxAcl(payload[names.acl], names.acl) : []),
    ...(has(names.pubRules) ? parseTbmqRules(payload[names.pubRules], 'publish', names.pubRules) : []),
    ...(has(names.subRules) ? parseTbmqRules(payload[names.subRules], 'subscribe', names.subRules) : []),
  ];
  return checkSize(rules, 'the token');
}

/**
 * An operator's rule set (JWT_DEFAULT_ACL, JWT_BASE_ACL): an EMQX map or list, or
 * `{"pub_rules": [...], "sub_rules": [...]}`.
 * @throws Denied RULES_INVALID or RULES_UNSUPPORTED
 */
export function rulesFromJson(value: unknown, label: string): RuleTemplate[] {
  if (isPlainObject(value) && ('pub_rules' in value || 'sub_rules' in value)) {
    const extra = Object.keys(value).filter((key) => key !== 'pub_rules' && key !== 'sub_rules');
    if (extra.length > 0) invalid(label, `unknown key "${extra[0]}"`);
    return checkSize([
      ...(value.pub_rules === undefined ? [] : parseTbmqRules(value.pub_rules, 'publish', `${label}.pub_rules`)),
      ...(value.sub_rules === undefined ? [] : parseTbmqRules(value.sub_rules, 'subscribe', `${label}.sub_rules`)),
    ], label);
  }
  return checkSize(parseEmqxAcl(value, label), label);
}

function checkSize(rules: RuleTemplate[], where: string): RuleTemplate[] {
  const topics = rules.reduce((n, rule) => n + rule.topics.length, 0);
  if (topics > MAX_RULE_TOPICS) invalid(where, `${topics} topics, more than ${MAX_RULE_TOPICS}`);
  return rules;
}

function parseEmqxAcl(value: unknown, label: string): RuleTemplate[] {
  if (Array.isArray(value)) return value.map((rule, i) => parseListRule(rule, `${label}[${i}]`));
  if (isPlainObject(value)) return parseMapRules(value, label);
  return invalid(label, 'expected an object ({"pub": [...], "sub": [...], "all": [...]}) or a list of rules');
}

// Maps, not objects: a key from input such as `constructor` or `__proto__` must find nothing.
const MAP_ACTIONS: ReadonlyMap<string, readonly RuleAction[]> = new Map([
  ['pub', ['publish']], ['sub', ['subscribe']], ['all', ['publish', 'subscribe']],
]);

// EMQX v1 map: allow-lists, checked pub, sub, all; anything else is denied.
function parseMapRules(value: Record<string, unknown>, label: string): RuleTemplate[] {
  return Object.entries(value).flatMap(([key, topics]) => {
    const actions = MAP_ACTIONS.get(key);
    if (actions === undefined) invalid(label, `unknown key "${key}" (expected pub, sub, all)`);
    if (!Array.isArray(topics)) invalid(`${label}.${key}`, 'expected a list of topic filters');
    return topics.map((topic, i) => ({
      permission: 'allow' as const, actions, topics: [mqttTopic(topic, `${label}.${key}[${i}]`)],
      qos: undefined, retain: undefined, who: NO_ONE, label: `${label}.${key}[${i}]`,
    }));
  });
}

const LIST_ACTIONS: ReadonlyMap<string, readonly RuleAction[]> = new Map([
  ['publish', ['publish']], ['pub', ['publish']], ['subscribe', ['subscribe']], ['sub', ['subscribe']], ['all', ['publish', 'subscribe']],
]);
const LIST_FIELDS = new Set(['permission', 'action', 'topic', 'topics', 'qos', 'retain', 'clientid_re', 'username_re',
  'ipaddr', 'ipaddrs', 'zone', 'zone_re', 'listener', 'listener_re']);
const UNKNOWABLE = ['ipaddr', 'ipaddrs', 'zone', 'zone_re', 'listener', 'listener_re'];

// EMQX v2 list: first match wins; unknown fields are a mistake here, not something to ignore.
function parseListRule(rule: unknown, label: string): RuleTemplate {
  if (!isPlainObject(rule)) invalid(label, 'expected an object');
  const unknown = Object.keys(rule).find((key) => !LIST_FIELDS.has(key));
  if (unknown !== undefined) invalid(label, `unknown field "${unknown}"`);
  const { permission, action } = rule;
  if (permission !== 'allow' && permission !== 'deny') invalid(label, 'permission must be "allow" or "deny"');
  const actions = typeof action === 'string' ? LIST_ACTIONS.get(action) : undefined;
  if (actions === undefined) invalid(label, 'action must be publish, subscribe or all');
  if ((rule.topic === undefined) === (rule.topics === undefined)) invalid(label, 'give either "topic" or "topics"');
  const rawTopics = rule.topic !== undefined ? [rule.topic] : rule.topics;
  if (!Array.isArray(rawTopics) || rawTopics.length === 0) invalid(label, '"topics" must be a non-empty list');
  const retain = parseRetain(rule.retain, label);
  if (retain !== undefined && !actions.includes('publish')) invalid(label, '"retain" applies to publish only');
  return {
    permission, actions, topics: rawTopics.map((topic, i) => mqttTopic(topic, `${label}.topic${rawTopics.length > 1 ? `s[${i}]` : ''}`)),
    qos: parseQos(rule.qos, label), retain, who: parseWho(rule, label), label,
  };
}

function parseQos(value: unknown, label: string): readonly number[] | undefined {
  if (value === undefined) return undefined;
  const list = typeof value === 'string' ? value.split(',').map((q) => (q.trim() === '' ? NaN : Number(q))) : Array.isArray(value) ? value : [value];
  if (list.length === 0 || !list.every((q) => q === 0 || q === 1 || q === 2)) invalid(label, 'qos must be 0, 1 or 2, or a list of them');
  return [...new Set(list as number[])].sort();
}

function parseRetain(value: unknown, label: string): boolean | undefined {
  if (value === undefined || value === 'all') return undefined;
  if (value === true || value === 1) return true;
  if (value === false || value === 0) return false;
  return invalid(label, 'retain must be true, false, 0, 1 or "all"');
}

function parseWho(rule: Record<string, unknown>, label: string): WhoConditions {
  const pattern = (key: string): RegExp | undefined => {
    const source = rule[key];
    if (source === undefined) return undefined;
    if (typeof source !== 'string') invalid(label, `${key} must be a string`);
    const compiled = compileWhoPattern(source);
    return typeof compiled === 'string' ? invalid(label, `${key}: ${compiled}`) : compiled;
  };
  return {
    clientIdPattern: pattern('clientid_re'),
    usernamePattern: pattern('username_re'),
    unknowable: UNKNOWABLE.filter((key) => rule[key] !== undefined),
  };
}

const EQ_PREFIX = 'eq ';

function mqttTopic(topic: unknown, label: string): TopicTemplate {
  if (typeof topic !== 'string') invalid(label, 'a topic must be a string');
  if (Buffer.byteLength(topic) > MAX_TOPIC_BYTES) invalid(label, `longer than ${MAX_TOPIC_BYTES} bytes`);
  if (topic.includes('\u0000')) invalid(label, 'holds a NUL character');
  // JSON writes a lone surrogate as six characters: the policy's size could not be known from the topic.
  if (!topic.isWellFormed()) invalid(label, 'holds a lone surrogate');
  if (topic.startsWith(EQ_PREFIX)) {
    const filter = topic.slice(EQ_PREFIX.length);
    if (filter === '') invalid(label, 'empty topic');
    return { kind: 'eq', filter };
  }
  if (topic === '') invalid(label, 'empty topic');
  const levels = topic.split('/');
  levels.forEach((level, i) => {
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) invalid(label, '"#" must be a whole last level');
    if (level.includes('+') && level !== '+') invalid(label, '"+" must be a whole level');
  });
  return { kind: 'mqtt', filter: topic };
}

function parseTbmqRules(value: unknown, action: RuleAction, label: string): RuleTemplate[] {
  if (!Array.isArray(value)) invalid(label, 'expected a list of regular expressions');
  return value.map((regex, i) => {
    const at = `${label}[${i}]`;
    if (typeof regex !== 'string' || regex === '') invalid(at, 'expected a non-empty string');
    if (regex.length > MAX_TOPIC_BYTES * 2) invalid(at, 'too long');
    if (!regex.isWellFormed()) invalid(at, 'holds a lone surrogate');
    // Checked now with a stand-in value, so that a bad expression is refused before any client connects.
    regexToGlob(regex.replaceAll('${clientid}', 'x').replaceAll('${username}', 'x'), at);
    return { permission: 'allow' as const, actions: [action], topics: [{ kind: 'regex' as const, regex }], qos: undefined, retain: undefined, who: NO_ONE, label: at };
  });
}
