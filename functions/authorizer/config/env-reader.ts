import { parseStrictJson } from './strict-json.ts';

/** Raised at cold start when the configuration is unusable; lists every problem, each naming its variable. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n- ${problems.join('\n- ')}`);
    this.name = 'ConfigError';
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Typed reads of environment variables that collect problems instead of throwing, so that one cold start
 * reports every mistake at once. Empty strings count as unset.
 */
export class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value;
  }

  problem(name: string, message: string): void {
    this.problems.push(`${name}: ${message}`);
  }

  integer(name: string, fallback: number, min: number, max: number): number;
  integer(name: string, fallback: undefined, min: number, max: number): number | undefined;
  integer(name: string, fallback: number | undefined, min: number, max: number): number | undefined {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    const value = Number(raw.trim());
    if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
      this.problem(name, `expected a whole number from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.raw(name)?.trim();
    if (raw === undefined) return fallback;
    if (raw === 'true') return true;
    if (raw === 'false') return false;
    this.problem(name, `expected true or false, got "${raw}"`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.raw(name)?.trim();
    if (raw === undefined) return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    this.problem(name, `expected one of ${allowed.join(', ')}, got "${raw}"`);
    return fallback;
  }

  /** A comma-separated list, trimmed, without empty entries; undefined when unset. */
  list(name: string): string[] | undefined {
    const raw = this.raw(name);
    if (raw === undefined) return undefined;
    const items = raw.split(',').map((item) => item.trim()).filter(Boolean);
    if (items.length === 0) this.problem(name, 'expected a comma-separated list with at least one entry');
    return items;
  }

  json(name: string): unknown {
    const raw = this.raw(name);
    if (raw === undefined) return undefined;
    try {
      return parseStrictJson(raw);
    } catch (err) {
      this.problem(name, `not valid JSON (${(err as Error).message})`);
      return undefined;
    }
  }

  /** A JSON object whose values are strings. */
  stringMap(name: string): Record<string, string> | undefined {
    const value = this.json(name);
    if (value === undefined) return undefined;
    if (!isPlainObject(value) || !Object.values(value).every((v) => typeof v === 'string')) {
      this.problem(name, 'expected a JSON object of string values');
      return undefined;
    }
    return value as Record<string, string>;
  }

  url(name: string, protocols: readonly string[]): URL | undefined {
    const raw = this.raw(name)?.trim();
    if (raw === undefined) return undefined;
    try {
      const url = new URL(raw);
      if (protocols.includes(url.protocol)) return url;
      this.problem(name, `expected a ${protocols.join(' or ')} URL, got "${raw}"`);
    } catch {
      this.problem(name, `not a valid URL: "${raw}"`);
    }
    return undefined;
  }

  /** Reports every variable with this prefix that is not known: such a variable is usually a typo. */
  rejectUnknown(prefix: string, known: ReadonlySet<string>): void {
    for (const name of Object.keys(this.env)) {
      if (name.startsWith(prefix) && !known.has(name)) this.problem(name, 'unknown setting (a typo?)');
    }
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
