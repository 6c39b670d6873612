import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { PROFILE_SETTINGS, readProfile, readRules, type Profile, type RoleRules } from './config.ts';
import { EnvReader, isPlainObject, type Env } from './env-reader.ts';
import type { RuleTemplate } from '../rules/rule.ts';
import { parseStrictJson } from './strict-json.ts';

/** `JWT_JWKS_URL` → `jwksUrl`: one vocabulary for the environment, CDK context and profiles. */
export function camelKeyOf(variable: string): string {
  return variable.slice('JWT_'.length).toLowerCase().replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

// Made on first use: config.ts and this module import each other.
let profileKeys: ReadonlyMap<string, string> | undefined;
const profileKey = (key: string) => (profileKeys ??= new Map([...PROFILE_SETTINGS].map((variable) => [camelKeyOf(variable), variable]))).get(key);
const ROLE_KEYS = new Set(['roleClaim', 'roles', 'unknownRole']);

/**
 * The issuers' profiles: from JWT_ISSUERS (a JSON array) or JWT_ISSUERS_FILE (a JSON file in the deployed
 * folder: the environment holds at most 4 KB), each a complete single-issuer configuration keyed by the
 * settings' camelCase names plus `issuer` and the role keys; without either, one implicit profile from the
 * JWT_* variables. Problems name their place: `JWT_ISSUERS_FILE[2].jwksUrl: …`.
 */
export function readProfiles(read: EnvReader, env: Env): Profile[] {
  const inline = read.raw('JWT_ISSUERS');
  const file = read.raw('JWT_ISSUERS_FILE')?.trim();
  if (inline === undefined && file === undefined) return [readProfile(read, undefined, undefined)];
  if (inline !== undefined && file !== undefined) {
    read.problem('JWT_ISSUERS_FILE', 'set, and JWT_ISSUERS too: give the profiles in one place');
    return [];
  }
  const source = inline !== undefined ? 'JWT_ISSUERS' : 'JWT_ISSUERS_FILE';
  for (const variable of PROFILE_SETTINGS) {
    if (read.raw(variable) !== undefined) read.problem(variable, `set, but the issuers' profiles come from ${source}: set it in each profile`);
  }
  const list = inline !== undefined ? read.json('JWT_ISSUERS') : readProfilesFile(read, file!, env);
  if (list === undefined) return [];
  if (!Array.isArray(list) || list.length === 0) {
    read.problem(source, 'expected a non-empty JSON array of issuer profiles');
    return [];
  }
  const profiles: Profile[] = [];
  const issuers = new Set<string>();
  list.forEach((value: unknown, index) => {
    const place = `${source}[${index}]`;
    if (!isPlainObject(value)) return read.problem(place, 'expected an object');
    const issuer = value.issuer;
    if (typeof issuer !== 'string' || issuer === '') return read.problem(`${place}.issuer`, 'required: the exact iss of this issuer\'s tokens');
    if (issuers.has(issuer)) read.problem(`${place}.issuer`, `"${issuer}" has a profile already`);
    issuers.add(issuer);
    const profile = readOneProfile(read, value, issuer, place);
    if (profile !== undefined) profiles.push(profile);
  });
  return profiles;
}

function readProfilesFile(read: EnvReader, path: string, env: Env): unknown {
  // Relative to the deployed folder: Lambda runs the function from LAMBDA_TASK_ROOT.
  const resolved = isAbsolute(path) ? path : join(env.LAMBDA_TASK_ROOT ?? process.cwd(), path);
  try {
    return parseStrictJson(readFileSync(resolved, 'utf8'));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    read.problem('JWT_ISSUERS_FILE', `cannot read ${resolved} as JSON (${why})`);
    return undefined;
  }
}

// A profile is read by the same parser as the environment: its keys become JWT_* variables, and the
// problems that name a variable are renamed to name the profile's key.
function readOneProfile(read: EnvReader, value: Record<string, unknown>, issuer: string, place: string): Profile | undefined {
  const env: Record<string, string> = {};
  for (const [key, setting] of Object.entries(value)) {
    if (key === 'issuer' || ROLE_KEYS.has(key)) continue;
    const variable = profileKey(key);
    if (variable === undefined) {
      read.problem(`${place}.${key}`, 'unknown key (a typo?)');
      continue;
    }
    env[variable] = typeof setting === 'string' ? setting
      : Array.isArray(setting) && setting.every((item) => typeof item === 'string') && (key === 'algorithms' || key === 'audience') ? setting.join(',')
        : JSON.stringify(setting);
  }
  const roles = readRoles(read, value, place);
  const sub = new EnvReader(env);
  const profile = readProfile(sub, issuer, roles);
  for (const problem of sub.problems) {
    const [, variable, message] = /^(JWT_[A-Z_]+): ([\s\S]*)$/.exec(problem)!;
    read.problems.push(`${place}.${camelKeyOf(variable!)}: ${message!.replaceAll(/JWT_[A-Z_]+/g, camelKeyOf)}`);
  }
  return sub.problems.length > 0 ? undefined : profile;
}

function readRoles(read: EnvReader, value: Record<string, unknown>, place: string): RoleRules | undefined {
  const { roleClaim, roles, unknownRole } = value;
  if (roleClaim === undefined && roles === undefined && unknownRole === undefined) return undefined;
  if (typeof roleClaim !== 'string' || roleClaim === '' || roleClaim.split('.').includes('')) {
    read.problem(`${place}.roleClaim`, 'required with roles: a claim name or a dotted path (realm_access.roles)');
    return undefined;
  }
  if (!isPlainObject(roles)) {
    read.problem(`${place}.roles`, 'expected an object of role value to rules');
    return undefined;
  }
  if (unknownRole !== undefined && unknownRole !== 'deny' && unknownRole !== 'ignore') read.problem(`${place}.unknownRole`, 'expected "deny" or "ignore"');
  const rules = new Map<string, readonly RuleTemplate[]>();
  for (const [role, ruleSet] of Object.entries(roles)) {
    const templates = readRules(read, `${place}.roles.${role}`, ruleSet);
    if (templates !== undefined) rules.set(role, templates);
  }
  return { claim: roleClaim.split('.'), rules, unknown: unknownRole === 'ignore' ? 'ignore' : 'deny' };
}
