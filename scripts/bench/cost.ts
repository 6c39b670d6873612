// What an authorization costs, all in, from measured figures and public prices. Prices: us-east-1 list
// prices, read 2026-12-02 from aws.amazon.com/lambda/pricing, /cloudwatch/pricing, /secrets-manager/pricing.
export const PRICES = {
  /** Lambda requests, per request. */
  request: 0.2 / 1e6,
  /** Lambda arm64 duration, per GB-second, billed per 1 ms; since 2025-08-01 the INIT phase of on-demand ZIP functions too. */
  armGbSecond: 0.0000133334,
  /** CloudWatch Logs ingestion, per GB: Standard and Infrequent Access classes. */
  logsStandardGb: 0.5,
  logsInfrequentGb: 0.25,
  /** A custom metric (each metric filter metric, each `reason` of the by-reason metric), per month. */
  metricMonth: 0.3,
  /** A dashboard, per month (the first three of an account are free). */
  dashboardMonth: 3,
  /** Secrets Manager API calls, per call ($0.05 per 10,000). */
  secretsCall: 0.05 / 10_000,
  /** DynamoDB on-demand read request unit ($0.125 per million). */
  dynamoDbReadUnit: 0.125 / 1e6,
} as const;

export interface Measured {
  /** Mean handler time here, ms; scaled to the function's CPU share (1 vCPU at 1,769 MB). */
  readonly invokeMs: number;
  /** Import and first answer of a fresh process, ms (the INIT phase's work), unscaled: INIT runs at full speed. */
  readonly initMs: number;
  /** Billed log bytes of an allow and of an average deny (0 for an allow when allows are not logged). */
  readonly allowBytes: number;
  readonly denyBytes: number;
}

export interface Assumptions {
  readonly memoryMb: number;
  /** Share of invocations that deny. */
  readonly denyShare: number;
  /** Invocations per cold start (AWS: cold starts are typically under 1% of invocations). */
  readonly invocationsPerColdStart: number;
}

export interface CostPerMillion {
  readonly requests: number;
  readonly duration: number;
  readonly init: number;
  readonly logsStandard: number;
  readonly logsInfrequent: number;
  /** Requests, duration, INIT and Standard logs. */
  readonly total: number;
}

/** The cost of a million authorizations: every per-invocation charge, with Lambda's rounding up to the ms. */
export function costPerMillion(m: Measured, a: Assumptions): CostPerMillion {
  const gb = a.memoryMb / 1024;
  const billedMs = Math.max(1, Math.ceil(m.invokeMs * Math.max(1, 1769 / a.memoryMb)));
  const requests = 1e6 * PRICES.request;
  const duration = 1e6 * (billedMs / 1000) * gb * PRICES.armGbSecond;
  const init = (1e6 / a.invocationsPerColdStart) * (Math.ceil(m.initMs) / 1000) * gb * PRICES.armGbSecond;
  const logGb = (1e6 * ((1 - a.denyShare) * m.allowBytes + a.denyShare * m.denyBytes)) / 1e9;
  const logsStandard = logGb * PRICES.logsStandardGb;
  return { requests, duration, init, logsStandard, logsInfrequent: logGb * PRICES.logsInfrequentGb, total: requests + duration + init + logsStandard };
}

/** Fixed monthly charges of a deployment: the metric filters' metrics (with `reasons` distinct deny reasons) and the dashboard. */
export function monthlyFixed(reasons: number): number {
  return (4 + reasons) * PRICES.metricMonth + PRICES.dashboardMonth;
}

export interface Fleet {
  readonly devices: number;
  readonly reconnectsPerDay: number;
  /** JWT_REFRESH_SECONDS, or undefined for one invocation per connection. */
  readonly refreshSeconds: number | undefined;
}

/** Authorizations a fleet asks for in a month (30.4 days), devices connected around the clock. */
export function monthlyInvocations(fleet: Fleet): number {
  const perDay = fleet.reconnectsPerDay + (fleet.refreshSeconds === undefined ? 0 : 86_400 / fleet.refreshSeconds);
  return fleet.devices * perDay * 30.4;
}

/** Parses `devices=10000,reconnects=4/day,refresh=3600`. */
export function parseFleet(text: string): Fleet {
  const fields = new Map(text.split(',').map((pair) => pair.split('=').map((s) => s.trim()) as [string, string]));
  const number = (name: string, fallback?: number) => {
    const raw = fields.get(name)?.replace(/\/day$/, '');
    const value = raw === undefined ? fallback : Number(raw);
    if (value === undefined || !Number.isFinite(value) || value < 0) throw new Error(`--fleet ${name}: a number (got "${fields.get(name)}")`);
    return value;
  };
  const unknown = [...fields.keys()].filter((k) => !['devices', 'reconnects', 'refresh'].includes(k));
  if (unknown.length > 0) throw new Error(`--fleet: unknown ${unknown.join(', ')} (devices, reconnects, refresh)`);
  const refresh = fields.has('refresh') ? number('refresh') : undefined;
  return { devices: number('devices'), reconnectsPerDay: number('reconnects', 1), refreshSeconds: refresh === 0 ? undefined : refresh };
}
