import { Denied } from '../deny.ts';
import type { Grant } from '../rules/compile-rules.ts';

/** An IoT policy document, as an object (the form the current custom-auth docs show). */
export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
}

export interface PolicyStatement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
}

/** IoT's limits on an authorizer response: 10 documents of 2,048 characters each (custom-auth docs). */
export const MAX_DOCUMENTS = 10;
export const MAX_DOCUMENT_CHARS = 2048;

/** IoT's MQTT client id limit (bytes; ids are mostly ASCII). */
const MAX_CLIENT_ID_LENGTH = 128;

// `*` and `?` are wildcards in a policy resource and `${` opens a policy variable: a client id holding any
// of them would not be read literally; braces are refused too, so that no rule text around a client id can
// turn it into a variable. Control characters have no place in an ARN.
const NOT_LITERAL = /[*?{}\u0000-\u001f\u007f]|\$[{(]/;

// The compiler never writes a policy variable: any `${` or `$(` in a finished resource came from a value.
const POLICY_VARIABLE = /\$[{(]/;

/**
 * The client id, when a policy ARN can hold it literally.
 * @throws Denied CLIENT_ID_INVALID
 */
export function literalClientId(clientId: string | undefined): string {
  if (clientId === undefined || clientId === '') throw new Denied('CLIENT_ID_INVALID', { why: 'missing' });
  if (clientId.length > MAX_CLIENT_ID_LENGTH) throw new Denied('CLIENT_ID_INVALID', { why: 'too long' });
  if (NOT_LITERAL.test(clientId)) throw new Denied('CLIENT_ID_INVALID', { why: 'holds * ? { } $( or a control character' });
  if (!clientId.isWellFormed()) throw new Denied('CLIENT_ID_INVALID', { why: 'holds a lone surrogate' });
  return clientId;
}

/**
 * `arn:<partition>:iot:<region>:<account>` of the function's own account and region, read from the
 * invoked function's ARN (`arn:aws:lambda:eu-west-1:123456789012:function:name[:alias]`).
 * @throws Denied INTERNAL when the ARN is not a Lambda function ARN
 */
export function iotArnPrefix(invokedFunctionArn: string | undefined): string {
  // A container is always invoked under the same ARN (or its alias): read it once.
  if (invokedFunctionArn !== undefined && invokedFunctionArn === lastArn.function) return lastArn.iot;
  const parts = (invokedFunctionArn ?? '').split(':');
  const [arn, partition, service, region, account] = parts;
  if (arn !== 'arn' || service !== 'lambda' || !partition || !region || !/^\d{12}$/.test(account ?? '')) {
    throw new Denied('INTERNAL', { why: 'context.invokedFunctionArn is not a Lambda function ARN' });
  }
  lastArn = { function: invokedFunctionArn!, iot: `arn:${partition}:iot:${region}:${account}` };
  return lastArn.iot;
}

let lastArn = { function: '', iot: '' };

const RESOURCE_TYPE: Readonly<Record<Grant['action'], string>> = {
  'iot:Publish': 'topic', 'iot:RetainPublish': 'topic', 'iot:Receive': 'topic', 'iot:Subscribe': 'topicfilter',
};

/** The statements a set of grants makes, before any client's values or ARN are put in: computed once per rule set. */
export interface PolicyPlan {
  readonly statements: readonly PlannedStatement[];
  /**
   * Resources that hold a client's values, split around them: literal text at even indices, the value's
   * name at odd ones (`['topic/d/', 'clientid', '/#']`). A resource not listed is the same for every client.
   */
  readonly holes?: ReadonlyMap<string, readonly string[]>;
}

/** A client's values, by the names a plan's holes use. */
export type PolicyValues = Readonly<Partial<Record<string, string>>>;

export interface PlannedStatement {
  readonly effect: Grant['effect'];
  readonly actions: readonly string[];
  /** `topic/<pattern>` or `topicfilter/<pattern>`, patterns possibly holding a client's stand-ins. */
  readonly resources: readonly string[];
}

/** Groups grants into as few statements as their action sets allow: resources with the same effect and actions share one. */
export function planPolicy(grants: readonly Grant[]): PolicyPlan {
  const byResource = new Map<string, { effect: Grant['effect']; resource: string; actions: Set<string> }>();
  for (const { effect, action, pattern } of grants) {
    const resource = `${RESOURCE_TYPE[action]}/${pattern}`;
    const key = `${effect}\u0000${resource}`;
    const entry = byResource.get(key) ?? { effect, resource, actions: new Set<string>() };
    entry.actions.add(action);
    byResource.set(key, entry);
  }
  const groups = new Map<string, { effect: Grant['effect']; actions: string[]; resources: string[] }>();
  for (const { effect, resource, actions } of byResource.values()) {
    const sorted = [...actions].sort();
    const groupKey = `${effect} ${sorted.join(',')}`;
    const group = groups.get(groupKey) ?? { effect, actions: sorted, resources: [] };
    group.resources.push(resource);
    groups.set(groupKey, group);
  }
  return { statements: [...groups.values()] };
}

/**
 * The policy documents for one client: Connect for its client id (none for an HTTPS publish, which has
 * no client id), then the planned statements with its values filled in and the ARN prefixed, split
 * across documents to stay within IoT's limits.
 * @throws Denied POLICY_TOO_LARGE when even ten documents cannot hold them; PLACEHOLDER_VALUE_INVALID
 */
export function renderPolicy(arnPrefix: string, clientId: string | undefined, plan: PolicyPlan, values: PolicyValues = {}): PolicyDocument[] {
  const ready = preparedFor(plan, arnPrefix);
  const valueChars = checkValues(ready, values);
  const statements: PolicyStatement[] = clientId === undefined ? [] : [{ Effect: 'Allow', Action: 'iot:Connect', Resource: `${arnPrefix}:client/${clientId}` }];
  for (const { Effect, Action, resources } of ready.statements) {
    statements.push({ Effect, Action, Resource: resources.map((resource) => (typeof resource === 'string' ? resource : joined(resource, values))) });
  }
  // The one document's size by addition when every part of it could be measured; otherwise the packer measures.
  const connect = statements[0];
  const chars = ready.chars === undefined || valueChars === undefined ? undefined
    : ready.chars + valueChars + (clientId === undefined ? 0 : shellSize(connect!) + 1 + size(connect!.Resource));
  return chars !== undefined && chars <= MAX_DOCUMENT_CHARS ? [{ Version: '2012-10-17', Statement: statements }] : pack(statements);
}

function joined(parts: readonly string[], values: PolicyValues): string {
  let text = parts[0]!;
  for (let i = 1; i < parts.length; i += 2) text += values[parts[i]!]! + parts[i + 1]!;
  return text;
}

/**
 * The policy's last check, made on the values once rather than on each filled resource: literal text stays
 * literal. A `${` or `$(` (a policy variable to IoT) in a filled resource can only come from a part (checked
 * when the plan was prepared), from a value (none may hold a `$`), or from a part's closing `$` before a
 * value's opening `{` or `(`. A value must not be empty, or two parts would meet.
 * @returns the JSON characters the values add, or undefined when one of them would be escaped
 * @throws Denied PLACEHOLDER_VALUE_INVALID
 */
function checkValues(ready: Prepared, values: PolicyValues): number | undefined {
  let chars: number | undefined = 0;
  for (const [name, count] of ready.uses) {
    const value = values[name];
    if (value === undefined || value === '') throw new Denied('PLACEHOLDER_VALUE_INVALID', { placeholder: name, why: 'no value' });
    if (value.includes('$') || (ready.afterDollar.has(name) && OPENS_VARIABLE.test(value))) {
      throw new Denied('PLACEHOLDER_VALUE_INVALID', { placeholder: name, why: 'a resource would hold an IoT policy variable' });
    }
    chars = chars === undefined || NEEDS_ESCAPE.test(value) ? undefined : chars + count * value.length;
  }
  return chars;
}

const OPENS_VARIABLE = /^[{(]/;

/**
 * A plan made ready for one ARN prefix, once per container: the resources that hold no client's value
 * prefixed and checked, the others split with the prefix in their first part, and the single document's
 * size known but for the Connect statement and the values.
 */
interface Prepared {
  readonly arnPrefix: string;
  readonly statements: readonly { readonly Effect: PolicyStatement['Effect']; readonly Action: PolicyStatement['Action']; readonly resources: readonly (string | readonly string[])[] }[];
  /** JSON characters of the one document without Connect and the values; undefined when it cannot be added up by parts. */
  readonly chars: number | undefined;
  /** How many times each value goes in. */
  readonly uses: ReadonlyMap<string, number>;
  /** The values that some part's `$` comes right before. */
  readonly afterDollar: ReadonlySet<string>;
}

const prepared = new WeakMap<PolicyPlan, Prepared>();

/** @throws Denied PLACEHOLDER_VALUE_INVALID when the plan's own text holds a policy variable */
function preparedFor(plan: PolicyPlan, arnPrefix: string): Prepared {
  const known = prepared.get(plan);
  if (known !== undefined && known.arnPrefix === arnPrefix) return known;
  let chars = EMPTY_DOCUMENT_CHARS - 1;
  let addable = true;
  const uses = new Map<string, number>();
  const afterDollar = new Set<string>();
  const literalText = (text: string) => {
    if (POLICY_VARIABLE.test(text)) throw new Denied('PLACEHOLDER_VALUE_INVALID', { why: 'a resource would hold an IoT policy variable' });
    return text;
  };
  const statements = plan.statements.map(({ effect, actions, resources }) => {
    const statement = { Effect: effect, Action: actions.length === 1 ? actions[0]! : actions };
    chars += shellSize(statement) + 1;
    return {
      ...statement,
      resources: resources.map((resource) => {
        const holes = plan.holes?.get(resource);
        if (holes === undefined) {
          const full = literalText(`${arnPrefix}:${resource}`);
          chars += size(full) + 1;
          return full;
        }
        const parts = holes.map((part, i) => (i === 0 ? literalText(`${arnPrefix}:${part}`) : i % 2 === 0 ? literalText(part) : part));
        const literal = parts.filter((_, i) => i % 2 === 0);
        // Parts add up only when each is well-formed: a lone surrogate at the edge of one could pair with
        // the next one's, and JSON writes a pair differently from two lone halves.
        addable &&= literal.every((part) => part.isWellFormed());
        chars += size(literal.join('')) + 1;
        for (let i = 1; i < parts.length; i += 2) {
          uses.set(parts[i]!, (uses.get(parts[i]!) ?? 0) + 1);
          if (parts[i - 1]!.endsWith('$')) afterDollar.add(parts[i]!);
        }
        return parts;
      }),
    };
  });
  const ready: Prepared = { arnPrefix, statements, chars: addable ? chars : undefined, uses, afterDollar };
  prepared.set(plan, ready);
  return ready;
}

/**
 * The policy documents: Connect for this client id, then the grants, grouped into as few statements as
 * their action sets allow and split across documents to stay within IoT's limits.
 * @throws Denied POLICY_TOO_LARGE when even ten documents cannot hold them
 */
export function buildPolicy(arnPrefix: string, clientId: string, grants: readonly Grant[] = []): PolicyDocument[] {
  return renderPolicy(arnPrefix, clientId, planPolicy(grants));
}

const EMPTY_DOCUMENT_CHARS = JSON.stringify({ Version: '2012-10-17', Statement: [] }).length;
// JSON escapes only quotes, backslashes and control characters: a string without them costs its length + 2.
// Surrogates go the slow way: a lone one is written as `\udXXX`, six characters.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
const size = (value: unknown) => (typeof value === 'string' && !NEEDS_ESCAPE.test(value) ? value.length + 2 : JSON.stringify(value).length);

// `{"Effect":…,"Action":…,"Resource":[]}`: effects and actions are our own ASCII names, never escaped.
const SHELL_CHARS = '{"Effect":,"Action":,"Resource":[]}'.length;
const shellSize = ({ Effect, Action }: Pick<PolicyStatement, 'Effect' | 'Action'>) =>
  SHELL_CHARS + Effect.length + 2 + (typeof Action === 'string' ? Action.length + 2 : Action.reduce((n, a) => n + a.length + 3, 1));

// Greedy: fill a document, then start the next; a statement's resources may continue in the next document.
// Most clients' policies fit one document: that is found by adding the sizes once, without splitting.
function pack(statements: readonly PolicyStatement[]): PolicyDocument[] {
  let total = EMPTY_DOCUMENT_CHARS - 1;
  for (const statement of statements) {
    total += shellSize(statement) + 1;
    const resources = statement.Resource;
    if (typeof resources === 'string') total += size(resources);
    else for (const resource of resources) total += size(resource) + 1;
    if (total > MAX_DOCUMENT_CHARS) break;
  }
  if (total <= MAX_DOCUMENT_CHARS) return [{ Version: '2012-10-17', Statement: statements }];
  const documents: PolicyStatement[][] = [[]];
  let used = EMPTY_DOCUMENT_CHARS;
  for (const statement of statements) {
    const resources = typeof statement.Resource === 'string' ? [statement.Resource] : statement.Resource;
    let current: string[] = [];
    const shell = shellSize(statement) + 1; // +1: the comma between statements
    const flush = () => {
      if (current.length === 0) return;
      documents.at(-1)!.push({ ...statement, Resource: current.length === 1 && typeof statement.Resource === 'string' ? current[0]! : current });
      current = [];
    };
    let open = false; // whether the current document holds the shell of this statement
    for (const resource of resources) {
      const cost = size(resource) + (current.length > 0 ? 1 : 0) + (open ? 0 : shell);
      if (used + cost > MAX_DOCUMENT_CHARS) {
        flush();
        documents.push([]);
        used = EMPTY_DOCUMENT_CHARS;
        open = false;
        const fresh = size(resource) + shell;
        if (used + fresh > MAX_DOCUMENT_CHARS) throw new Denied('POLICY_TOO_LARGE', { why: 'one resource exceeds a document' });
        used += fresh;
      } else {
        used += cost;
      }
      open = true;
      current.push(resource);
    }
    flush();
  }
  const result = documents.filter((d) => d.length > 0).map((Statement) => ({ Version: '2012-10-17' as const, Statement }));
  if (result.length > MAX_DOCUMENTS) throw new Denied('POLICY_TOO_LARGE', { documents: result.length, statements: statements.length });
  return result;
}
