import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { createAuthorizer } from './authorizer.ts';
import { parseConfig } from './config/config.ts';
import { logDecision } from './log/decision-log.ts';
import { describeLoadFailure } from './keys/load-failure.ts';
import { logger } from './log/logger.ts';
import { deny, type AuthorizerResponse } from './policy/response.ts';

// Cold start: a bad configuration fails the init here, naming the variable; IoT treats that as a deny.
const config = parseConfig(process.env);
// A key left out is said once per container, not at every refresh of the source.
const skippedKeys = new Set<string>();
const authorizer = createAuthorizer(config, {
  onKeyLoadFailed: (source, err) => logger.warn('key source failed', { source, cause: describeLoadFailure(err) }),
  onKeySkipped: (source, why) => {
    if (skippedKeys.has(why)) return;
    skippedKeys.add(why);
    logger.warn('key left out', { source, why });
  },
});
const ruleClaims = [...new Set(config.profiles.flatMap(({ ruleClaims: c }) => [c.acl, c.pubRules, c.subRules]))];
const sampled = process.env.POWERTOOLS_LOGGER_SAMPLE_RATE !== undefined;
// The level changes only with sampling: otherwise it is read once here, not from the logger per invocation.
const logOptions = { logAllows: config.logAllows, ruleClaims, level: sampled ? undefined : logger.level };
let coldStart = true;

/** AWS IoT Core custom authorizer: MQTT CONNECT credentials in, an IoT policy (or a deny) out. */
// No early timeout (middy's default arms a timer on every invocation): each wait in the pipeline has its
// own limit (JWT_FETCH_TIMEOUT_MS), and an invocation that still ran out of time would be denied by IoT as
// any failed one is, counted by the function's Errors alarm rather than hidden in a log line.
export const handler = middy<unknown, AuthorizerResponse, Error, Context>({ timeoutEarlyInMillis: 0 })
  .use({
    // The last line of defence: whatever escapes becomes a deny, never an error IoT would have to interpret.
    onError: async (request) => {
      logger.error('unexpected error; denied', { error: request.error });
      request.response = deny();
    },
  })
  .handler(async (event, context) => {
    if (sampled) logger.refreshSampleRateCalculation(); // DEBUG for a sampled share of invocations
    const decision = await authorizer.decide(event, context.invokedFunctionArn);
    logDecision(logger, decision, logOptions, coldStart);
    coldStart = false;
    return decision.response;
  });
