/** What a rule speaks of: MQTT publish, or subscribe (and so receiving what the subscription delivers). */
export type RuleAction = 'publish' | 'subscribe';

/**
 * A rule's topic:
 * - `mqtt`: an MQTT topic filter (EMQX), matched with MQTT wildcard semantics;
 * - `eq`: EMQX's `eq ` prefix, a filter compared literally (no placeholders, no wildcards);
 * - `glob`: a TBMQ regular expression already reduced to IoT's `*` and `?` (`.*` and `.`).
 */
export type TopicPattern =
  | { readonly kind: 'mqtt'; readonly filter: string }
  | { readonly kind: 'eq'; readonly filter: string }
  | { readonly kind: 'glob'; readonly glob: string };

/** Whether a rule applies to this client: its who-conditions (EMQX's `clientid_re`, …) evaluated at connect. */
export type Applies = 'yes' | 'no' | 'unknown';

/** A topic as written, before placeholders are filled: TBMQ rules are still regular expressions. */
export type TopicTemplate =
  | { readonly kind: 'mqtt' | 'eq'; readonly filter: string }
  | { readonly kind: 'regex'; readonly regex: string };

/** A rule as its source wrote it, topics still holding `${clientid}` / `${username}`. */
export interface RuleTemplate {
  readonly permission: 'allow' | 'deny';
  readonly actions: readonly RuleAction[];
  readonly topics: readonly TopicTemplate[];
  /** QoS levels the rule covers; undefined means all. */
  readonly qos: readonly number[] | undefined;
  /** `true`: retained publishes only; `false`: non-retained only; undefined: both. */
  readonly retain: boolean | undefined;
  readonly who: WhoConditions;
  /** Where it came from, for notes in the log: e.g. `acl[2]`, `pub_rules[0]`, `JWT_BASE_ACL[1]`. */
  readonly label: string;
}

export interface WhoConditions {
  readonly clientIdPattern?: RegExp;
  readonly usernamePattern?: RegExp;
  /** Conditions on things unknown at connect here (address, zone, listener): names, for notes. */
  readonly unknowable: readonly string[];
}

/** A rule for one connecting client: placeholders filled, who-conditions evaluated. */
export interface Rule {
  readonly permission: 'allow' | 'deny';
  readonly actions: readonly RuleAction[];
  readonly topic: TopicPattern;
  readonly qos: readonly number[] | undefined;
  readonly retain: boolean | undefined;
  readonly applies: Applies;
  readonly label: string;
}
