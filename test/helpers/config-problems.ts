// The problems a configuration has, as the cold start would report them (an empty list: it loads).
import { ConfigError, parseConfig } from '../../functions/authorizer/config.ts';

export function configProblems(env: Record<string, string>): readonly string[] {
  try {
    parseConfig(env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}
