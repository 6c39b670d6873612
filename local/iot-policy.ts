// An IoT policy evaluator, as AWS IoT Core evaluates the policies a custom authorizer returns: an explicit
// Deny wins, then any Allow, else deny. In resources `*` matches any characters (`/` included), `?` one
// character, `${iot:ClientId}` is the connecting client's id, and `+` and `#` are plain characters
// (pub-sub-policy and policy-variables docs). Used by the tests and the local broker; written apart from
// the compiler so that each checks the other.
import type { PolicyDocument } from '../functions/authorizer/policy/policy.ts';

export type PolicyDecision = 'allow' | 'explicit-deny' | 'implicit-deny';

export interface PolicyContext {
  readonly clientId?: string;
}

const cache = new Map<string, RegExp>();

function patternToRegExp(pattern: string, context: PolicyContext, caseInsensitive = false): RegExp {
  const key = `${caseInsensitive ? 'i' : 's'}${context.clientId ?? ''}\u0000${pattern}`;
  let regexp = cache.get(key);
  if (regexp === undefined) {
    let source = '';
    for (let i = 0; i < pattern.length; i += 1) {
      const c = pattern[i]!;
      if (pattern.startsWith('${iot:ClientId}', i)) {
        source += (context.clientId ?? '\u0000no-client-id').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        i += '${iot:ClientId}'.length - 1;
      } else if (c === '*') source += '[\\s\\S]*';
      else if (c === '?') source += '[\\s\\S]';
      else source += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
    regexp = new RegExp(`^${source}$`, caseInsensitive ? 'i' : '');
    if (cache.size > 10_000) cache.clear();
    cache.set(key, regexp);
  }
  return regexp;
}

const list = (value: string | readonly string[]): readonly string[] => (typeof value === 'string' ? [value] : value);

/** The decision of a set of policy documents for one action (e.g. `iot:Publish`) on one resource ARN. */
export function evaluatePolicy(documents: readonly PolicyDocument[], action: string, resource: string, context: PolicyContext = {}): PolicyDecision {
  let allowed = false;
  for (const document of documents) {
    for (const statement of document.Statement) {
      // IAM action names are case-insensitive; resources are not.
      const actionMatches = list(statement.Action).some((a) => patternToRegExp(a, {}, true).test(action));
      if (!actionMatches) continue;
      const resourceMatches = list(statement.Resource).some((r) => patternToRegExp(r, context).test(resource));
      if (!resourceMatches) continue;
      if (statement.Effect === 'Deny') return 'explicit-deny';
      allowed = true;
    }
  }
  return allowed ? 'allow' : 'implicit-deny';
}

/** ARNs of the resources IoT checks for each MQTT operation. */
export function iotResources(arnPrefix: string) {
  return {
    client: (clientId: string) => `${arnPrefix}:client/${clientId}`,
    topic: (topic: string) => `${arnPrefix}:topic/${topic}`,
    topicFilter: (filter: string) => `${arnPrefix}:topicfilter/${filter}`,
  };
}

/** Allowed, as IoT checks each MQTT or HTTPS operation (a retained publish needs Publish and RetainPublish). */
export function policyAllows(documents: readonly PolicyDocument[], arnPrefix: string, clientId: string | undefined) {
  const arn = iotResources(arnPrefix);
  const ok = (action: string, resource: string) => evaluatePolicy(documents, action, resource, { clientId }) === 'allow';
  return {
    // An HTTPS publish has no client id and never connects.
    connect: () => clientId !== undefined && ok('iot:Connect', arn.client(clientId)),
    publish: (topic: string, retain = false) => ok('iot:Publish', arn.topic(topic)) && (!retain || ok('iot:RetainPublish', arn.topic(topic))),
    subscribe: (filter: string) => ok('iot:Subscribe', arn.topicFilter(filter)),
    receive: (topic: string) => ok('iot:Receive', arn.topic(topic)),
  };
}
