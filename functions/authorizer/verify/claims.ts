import type { JWTPayload } from 'jose';
import type { ClaimExpectations } from '../config/config.ts';
import { Denied } from '../deny.ts';

export interface ClientIdentity {
  readonly clientId: string | undefined;
  readonly username: string | undefined;
}

// EMQX's `${clientid}` / `${username}`, and EMQX Cloud's `%c` / `%u`.
const PLACEHOLDER = /\$\{(clientid|username)\}|%([cu])/g;

/** Fills a claim template with the connecting client's values; undefined if a value it needs is absent. */
export function renderTemplate(template: string, who: ClientIdentity): string | undefined {
  return render(partsOf(template), who);
}

// A template split around its placeholders once: literal text at even indices, the value's name at odd ones.
type Parts = readonly string[];
const splitTemplates = new Map<string, Parts>();

function partsOf(template: string): Parts {
  let parts = splitTemplates.get(template);
  if (parts === undefined) {
    const split: string[] = [];
    let last = 0;
    for (const match of template.matchAll(PLACEHOLDER)) {
      split.push(template.slice(last, match.index), match[1] === 'clientid' || match[2] === 'c' ? 'clientId' : 'username');
      last = match.index + match[0].length;
    }
    split.push(template.slice(last));
    parts = split;
    // Templates come from the configuration, a bounded few; a caller's own are not kept past that.
    if (splitTemplates.size < 256) splitTemplates.set(template, parts);
  }
  return parts;
}

function render(parts: Parts, who: ClientIdentity): string | undefined {
  let text = parts[0]!;
  for (let i = 1; i < parts.length; i += 2) {
    const value = who[parts[i] as keyof ClientIdentity];
    if (value === undefined) return undefined;
    text += value + parts[i + 1]!;
  }
  return text;
}

// Walked with an explicit stack, not recursion: a claim nested thousands of arrays deep is just data.
function matches(actual: unknown, expected: string | number | boolean): boolean {
  if (!Array.isArray(actual)) return equals(actual, expected);
  const pending: unknown[] = [actual];
  while (pending.length > 0) {
    const item = pending.pop();
    if (Array.isArray(item)) for (const inner of item) pending.push(inner);
    else if (equals(item, expected)) return true;
  }
  return false;
}

// A numeric claim compares by its decimal form, so {"mqtt_user": 42} matches username "42" (emqx#13512).
const equals = (item: unknown, expected: string | number | boolean) =>
  typeof item === 'number' && typeof expected === 'string' ? String(item) === expected : item === expected;

/**
 * Checks JWT_VERIFY_CLAIMS: every listed claim must be present and equal its rendered template; an array
 * claim (like `aud`) matches when it contains the value.
 * @throws Denied CLAIM_MISSING or CLAIM_MISMATCH
 */
export function checkClaims(payload: JWTPayload, expectations: ClaimExpectations, who: ClientIdentity): void {
  for (const claim in expectations) {
    if (!Object.hasOwn(expectations, claim)) continue;
    const template = expectations[claim]!;
    if (!Object.hasOwn(payload, claim)) throw new Denied('CLAIM_MISSING', { claim });
    const expected = typeof template === 'string' ? render(partsOf(template), who) : template;
    if (expected === undefined) throw new Denied('CLAIM_MISMATCH', { claim, why: 'the client sent no value for the template' });
    if (!matches(payload[claim], expected)) throw new Denied('CLAIM_MISMATCH', { claim });
  }
}
