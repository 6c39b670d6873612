/**
 * MQTT topic filters as IoT resource patterns. IoT's `*` matches any characters, `/` included, and
 * `+`/`#` are literal there (pub-sub-policy docs), so a filter maps onto Allow patterns, sometimes
 * narrowed by Deny patterns ("carves"); where no exact form exists the translation takes the stricter side.
 */

/** Allow `allow`, except what `carve` matches. `exact`: that is precisely the filter's set. */
export interface Translation {
  readonly allow: readonly string[];
  readonly carve: readonly string[];
  readonly exact: boolean;
}

/** What the patterns are about: topic names a filter matches, or the filters a subscription may use under it. */
export type Domain = 'topics' | 'filters';

// In a resource, `*` and `?` are wildcards and `${…}` / `$(…)` are policy variables: a literal holding
// them cannot be written exactly.
const NOT_LITERAL = /[*?]|\$[{(]/;

const join = (levels: readonly string[]) => levels.map((level) => (level === '+' ? '*' : level)).join('/');

/**
 * The patterns granting exactly (or, when `exact` is false, a subset of) what an MQTT filter allows:
 * the topics it matches, or the filters a client may subscribe to under it (those whose every topic it
 * matches). Undefined when the filter has a literal `*`, `?` or `${` that no pattern can hold.
 */
export function translateFilter(filter: string, domain: Domain): Translation | undefined {
  const levels = filter.split('/');
  if (levels.some((level) => level !== '+' && level !== '#' && NOT_LITERAL.test(level))) return undefined;
  const hash = levels.at(-1) === '#';
  const core = hash ? levels.slice(0, -1) : levels;
  let plusRun = 0;
  if (hash) while (plusRun < core.length && core[core.length - 1 - plusRun] === '+') plusRun += 1;
  // Levels where `+` must stay one level: all of them without `#`; before `#`, those not in the final run.
  const slotted = hash ? core.slice(0, core.length - plusRun) : core;
  const shapes: string[][] = !hash ? [core]
    : plusRun > 0 ? [core] // `P/+/#` is every topic of at least that many levels under P: `P/*`
    : slotted.length === 0 ? [['+']] // `#`
    : [slotted, [...slotted, '+']]; // `P/#` is P itself and everything under it
  const allow = shapes.map(join);
  const carve: string[] = [];
  // A `*` standing for `+` may span levels: deny the patterns where it does.
  slotted.forEach((level, i) => {
    if (level !== '+') return;
    for (const shape of shapes) carve.push(join(shape.map((l, j) => (j === i ? '*/*' : l))));
  });
  // MQTT: wildcards in the first level do not match topics beginning with `$`.
  if (levels[0] === '+' || levels[0] === '#') for (const pattern of allow) carve.push(`$${pattern}`);
  // A filter ending in `#` where this one has its last `+` reaches more levels: `a/#` is not within `a/+`.
  if (domain === 'filters' && !hash && core.at(-1) === '+') carve.push(join([...core.slice(0, -1), '#']));
  let exact = !hash || !slotted.includes('+');
  if (domain === 'filters' && hash && plusRun > 0) {
    // `P/x/#` also matches the topic `P/x`, which `P/+/+/#` does not: such filters end too early. Only `P/#`
    // has an exact pattern; `P/*/#` also catches allowed filters like `P/x/y/#` (stricter). With no P, `#` and
    // `+/#` are within `+/#`.
    if (slotted.length > 0 || plusRun >= 2) {
      for (let j = 0; j < plusRun; j += 1) carve.push(join([...slotted, ...Array<string>(j).fill('+'), '#']));
    }
    if (plusRun >= 2) exact = false;
  }
  return { allow, carve: [...new Set(carve)], exact };
}

/**
 * Patterns covering at least what a filter matches (topics, or the filters under it), for Deny statements:
 * denying more than the rule is the stricter side. `exact` when they cover nothing more.
 */
export function coverFilter(filter: string): { readonly patterns: readonly string[]; readonly exact: boolean } {
  const levels = filter.split('/').map((level) => (NOT_LITERAL.test(level) ? '*' : level));
  const widened = filter.split('/').some((level) => level === '+' || NOT_LITERAL.test(level)) || levels[0] === '#';
  if (levels.at(-1) !== '#') return { patterns: [join(levels)], exact: !widened };
  const parent = levels.slice(0, -1);
  return { patterns: parent.length === 0 ? ['*'] : [join(parent), `${join(parent)}/*`], exact: !widened };
}

/** A literal resource (EMQX's `eq`), if it can be written as one. */
export function literalPattern(text: string): string | undefined {
  return NOT_LITERAL.test(text) ? undefined : text;
}
