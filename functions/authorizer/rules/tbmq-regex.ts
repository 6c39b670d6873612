import { Denied } from '../deny.ts';

const META = new Set([...'\\^$.|?*+()[]{}']);
const QUANTIFIERS = new Set(['*', '+', '?', '{']);

/**
 * Reduces a TBMQ rule (a regular expression matched against the whole topic) to an IoT glob when it maps
 * exactly: literals (metacharacters escaped), `.*` → `*`, `.+` → `?*`, `.` → `?`. Any other construct
 * (classes, alternation, groups, other quantifiers, anchors, `\d`…) would have to be widened or narrowed:
 * the token is denied instead. A literal `*` or `?` cannot be written in an IoT resource either.
 * @throws Denied RULES_UNSUPPORTED
 */
export function regexToGlob(regex: string, label: string): string {
  let glob = '';
  for (let i = 0; i < regex.length; i += 1) {
    const c = regex[i]!;
    if (c === '\\') {
      const next = regex[i + 1];
      // As in Java's regex (TBMQ's), a backslash before a non-alphanumeric character makes it literal.
      if (next === undefined || /[A-Za-z0-9]/.test(next)) unsupported(label, `escape \\${next ?? ''}`);
      if (next === '*' || next === '?') unsupported(label, `literal ${next} (an IoT wildcard)`);
      glob += next;
      i += 1;
    } else if (c === '.') {
      const quantifier = regex[i + 1];
      if (quantifier === '*') { glob += '*'; i += 1; }
      else if (quantifier === '+') { glob += '?*'; i += 1; }
      else glob += '?';
      if (QUANTIFIERS.has(regex[i + 1] ?? '')) unsupported(label, 'a quantifier on a quantifier');
    } else if (META.has(c)) {
      unsupported(label, `"${c}"`);
    } else {
      if (QUANTIFIERS.has(regex[i + 1] ?? '')) unsupported(label, `a quantifier on "${c}"`);
      glob += c;
    }
  }
  // `${…}` would be read by IoT as a policy variable.
  if (glob.includes('${') || glob.includes('$(')) unsupported(label, '"${" or "$("');
  return glob;
}

function unsupported(label: string, what: string): never {
  throw new Denied('RULES_UNSUPPORTED', { rule: label, why: `${what} has no exact IoT policy form` });
}
