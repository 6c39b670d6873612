// What IoT Core accepts as a custom authorizer response (custom-auth docs; aws-iot.md §3).
import { expect } from 'vitest';
import type { AuthorizerResponse } from '../../functions/authorizer/policy/response.ts';

export function expectValidIotResponse(response: AuthorizerResponse): void {
  expect(typeof response.isAuthenticated).toBe('boolean');
  expect(response.principalId).toMatch(/^[A-Za-z0-9]{1,128}$/);
  for (const seconds of [response.disconnectAfterInSeconds, response.refreshAfterInSeconds]) {
    expect(Number.isInteger(seconds) && seconds >= 300 && seconds <= 86_400).toBe(true);
  }
  expect(response.policyDocuments.length).toBeLessThanOrEqual(10);
  for (const document of response.policyDocuments) expect(JSON.stringify(document).length).toBeLessThanOrEqual(2048);
  if (!response.isAuthenticated) expect(response.policyDocuments).toEqual([]);
}
