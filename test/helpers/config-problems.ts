// The problems a configuration has, as the cold start would report them (an empty list: it loads).
import { ConfigError, parseConfig, type Profile } from '../../functions/authorizer/config/config.ts';

export function configProblems(env: Record<string, string>): readonly string[] {
  try {
    parseConfig(env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

/** The single issuer's profile of a configuration without JWT_ISSUERS (what verification and rules read). */
export function parseProfile(env: Record<string, string>): Profile {
  return parseConfig(env).profiles[0]!;
}
