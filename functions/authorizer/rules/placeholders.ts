import { Denied } from '../deny.ts';

export interface PlaceholderValues {
  readonly clientId: string | undefined;
  readonly username: string | undefined;
}

const PLACEHOLDER = /\$\{(clientid|username)\}/g;

// A value is substituted into a topic and then into a policy resource. Whether IoT would read `*`, `?` or
// `$` there as wildcards is not documented, `+` and `#` would change an MQTT filter, and `/` would let the
// value span levels: any of them denies, so that no client id or username can widen a grant.
const UNSAFE_VALUE = /[*?$+#/\u0000-\u001f\u007f]/;

// IoT reads `${…}` in a resource as a policy variable. A value may hold braces, but not where a `$` the
// rule wrote just before it would open one (`d/$${username}` with the username `{iot:ClientId}`).
const OPENS_VARIABLE = /^[{(]/;

/** Whether a topic template uses this placeholder. */
export function usesPlaceholder(template: string, name: 'clientid' | 'username'): boolean {
  return template.includes(`\${${name}}`);
}

/**
 * Fills `${clientid}` and `${username}`; `escape` adapts the value to the template's language (a regex).
 * @throws Denied PLACEHOLDER_VALUE_INVALID when a value is missing or could change the pattern's meaning
 */
export function fillPlaceholders(template: string, values: PlaceholderValues, label: string, escape: (v: string) => string = (v) => v): string {
  return template.replace(PLACEHOLDER, (_match, name: 'clientid' | 'username', offset: number) =>
    escape(valueAfter(template[offset - 1] ?? '', placeholderValue(name, values, label), name, label)));
}

/**
 * The value a placeholder stands for, when it is safe to put in a pattern.
 * @throws Denied PLACEHOLDER_VALUE_INVALID
 */
export function placeholderValue(name: 'clientid' | 'username', values: PlaceholderValues, label: string): string {
  const value = name === 'clientid' ? values.clientId : values.username;
  if (value === undefined || value === '') throw new Denied('PLACEHOLDER_VALUE_INVALID', { rule: label, placeholder: name, why: 'no value' });
  if (UNSAFE_VALUE.test(value)) {
    throw new Denied('PLACEHOLDER_VALUE_INVALID', { rule: label, placeholder: name, why: 'holds * ? $ + # / or a control character' });
  }
  if (!value.isWellFormed()) throw new Denied('PLACEHOLDER_VALUE_INVALID', { rule: label, placeholder: name, why: 'holds a lone surrogate' });
  return value;
}

/**
 * A checked value for a placeholder that follows `before` in a pattern: it must not complete a policy
 * variable with the text before it.
 * @throws Denied PLACEHOLDER_VALUE_INVALID
 */
export function valueAfter(before: string, value: string, name: 'clientid' | 'username', label: string): string {
  if (before.endsWith('$') && OPENS_VARIABLE.test(value)) {
    throw new Denied('PLACEHOLDER_VALUE_INVALID', { rule: label, placeholder: name, why: 'would form an IoT policy variable (${…}) with the "$" before it' });
  }
  return value;
}

/** Escapes a value so that a regular expression matches it literally. */
export function escapeRegex(value: string): string {
  return value.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}
