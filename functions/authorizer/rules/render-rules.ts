import { Denied } from '../deny.ts';
import { MAX_TOPIC_BYTES } from './parse-rules.ts';
import { escapeRegex, fillPlaceholders, type PlaceholderValues } from './placeholders.ts';
import type { Applies, Rule, RuleTemplate, TopicPattern, TopicTemplate } from './rule.ts';
import { regexToGlob } from './tbmq-regex.ts';
import { MAX_WHO_INPUT_LENGTH } from './who-pattern.ts';

/**
 * The rules for one connecting client: one rule per topic, placeholders filled (except after `eq `, as
 * in EMQX), who-conditions evaluated.
 * @throws Denied PLACEHOLDER_VALUE_INVALID or RULES_UNSUPPORTED
 */
export function renderRules(templates: readonly RuleTemplate[], who: PlaceholderValues): Rule[] {
  return templates.flatMap((template) => {
    const applies = appliesTo(template, who);
    return template.topics.map((topic) => ({
      permission: template.permission,
      actions: template.actions,
      topic: renderTopic(topic, who, template.label),
      qos: template.qos,
      retain: template.retain,
      applies,
      label: template.label,
    }));
  });
}

function renderTopic(topic: TopicTemplate, who: PlaceholderValues, label: string): TopicPattern {
  if (topic.kind === 'eq') return topic;
  if (topic.kind === 'regex') return { kind: 'glob', glob: regexToGlob(fillPlaceholders(topic.regex, who, label, escapeRegex), label) };
  const filter = fillPlaceholders(topic.filter, who, label);
  if (Buffer.byteLength(filter) > MAX_TOPIC_BYTES) {
    throw new Denied('PLACEHOLDER_VALUE_INVALID', { rule: label, why: `the filled topic is longer than ${MAX_TOPIC_BYTES} bytes` });
  }
  return { kind: 'mqtt', filter };
}

function appliesTo(template: RuleTemplate, who: PlaceholderValues): Applies {
  const { clientIdPattern, usernamePattern, unknowable } = template.who;
  const byClientId = matchWho(clientIdPattern, who.clientId ?? '');
  const byUsername = who.username === undefined && usernamePattern !== undefined ? 'no' : matchWho(usernamePattern, who.username ?? '');
  if (byClientId === 'no' || byUsername === 'no') return 'no';
  return unknowable.length > 0 || byClientId === 'unknown' || byUsername === 'unknown' ? 'unknown' : 'yes';
}

// Matching is linear in the value's length (who-pattern.ts); values beyond the bound are not matched at all.
function matchWho(pattern: RegExp | undefined, value: string): Applies {
  if (pattern === undefined) return 'yes';
  if (value.length > MAX_WHO_INPUT_LENGTH) return 'unknown';
  return pattern.test(value) ? 'yes' : 'no';
}
