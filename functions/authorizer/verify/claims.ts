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
  let missing = false;
  const rendered = template.replace(PLACEHOLDER, (_match, long: string | undefined, short: string | undefined) => {
    const value = long === 'clientid' || short === 'c' ? who.clientId : who.username;
    if (value === undefined) missing = true;
    return value ?? '';
  });
  return missing ? undefined : rendered;
}

// Walked with an explicit stack, not recursion: a claim nested thousands of arrays deep is just data.
function matches(actual: unknown, expected: string | number | boolean): boolean {
  const pending: unknown[] = [actual];
  while (pending.length > 0) {
    const item = pending.pop();
    if (Array.isArray(item)) for (const inner of item) pending.push(inner);
    // A numeric claim compares by its decimal form, so {"mqtt_user": 42} matches username "42" (emqx#13512).
    else if (typeof item === 'number' && typeof expected === 'string' ? String(item) === expected : item === expected) return true;
  }
  return false;
}

/**
 * Checks JWT_VERIFY_CLAIMS: every listed claim must be present and equal its rendered template; an array
 * claim (like `aud`) matches when it contains the value.
 * @throws Denied CLAIM_MISSING or CLAIM_MISMATCH
 */
export function checkClaims(payload: JWTPayload, expectations: ClaimExpectations, who: ClientIdentity): void {
  for (const [claim, template] of Object.entries(expectations)) {
    if (!Object.hasOwn(payload, claim)) throw new Denied('CLAIM_MISSING', { claim });
    const expected = typeof template === 'string' ? renderTemplate(template, who) : template;
    if (expected === undefined) throw new Denied('CLAIM_MISMATCH', { claim, why: 'the client sent no value for the template' });
    if (!matches(payload[claim], expected)) throw new Denied('CLAIM_MISMATCH', { claim });
  }
}
