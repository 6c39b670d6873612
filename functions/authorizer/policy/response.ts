import { IOT_MAX_SECONDS, IOT_MIN_SECONDS } from '../config/config.ts';
import type { PolicyDocument } from './policy.ts';

/** The custom authorizer response (custom-auth docs: "Defining your Lambda function"). */
export interface AuthorizerResponse {
  readonly isAuthenticated: boolean;
  readonly principalId: string;
  readonly disconnectAfterInSeconds: number;
  readonly refreshAfterInSeconds: number;
  readonly policyDocuments: readonly PolicyDocument[];
}

/** Clamps seconds into the range IoT accepts for the two timers: 300..86,400. */
export function clampToIot(seconds: number): number {
  return Math.min(IOT_MAX_SECONDS, Math.max(IOT_MIN_SECONDS, Math.floor(seconds)));
}

export function allow(
  principalId: string,
  policyDocuments: readonly PolicyDocument[],
  disconnectAfterInSeconds: number,
  refreshAfterInSeconds: number,
): AuthorizerResponse {
  return { isAuthenticated: true, principalId, disconnectAfterInSeconds, refreshAfterInSeconds, policyDocuments };
}

/** A deny IoT accepts as a well-formed response: every field present and in range, no policy. */
export function deny(): AuthorizerResponse {
  return {
    isAuthenticated: false,
    principalId: 'denied',
    disconnectAfterInSeconds: IOT_MIN_SECONDS,
    refreshAfterInSeconds: IOT_MIN_SECONDS,
    policyDocuments: [],
  };
}
