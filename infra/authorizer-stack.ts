import { Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { JwtAuthorizer } from './jwt-authorizer.ts';
import type { InfraSettings } from './settings.ts';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface AuthorizerStackProps extends StackProps {
  readonly settings: InfraSettings;
  /** The deployable folder, built by `npm run build`. */
  readonly codePath: string;
}

/** The stack `cdk deploy` creates: the JWT authorizer and what it needs. */
export class AuthorizerStack extends Stack {
  readonly authorizer: JwtAuthorizer;

  constructor(scope: Construct, id: string, props: AuthorizerStackProps) {
    super(scope, id, props);
    this.authorizer = new JwtAuthorizer(this, 'JwtAuthorizer', { code: lambda.Code.fromAsset(codeFolder(props)), settings: props.settings });
    const acknowledge = (id: string, reason: string) => Validations.of(this).acknowledge({ id, reason });
    acknowledge('AwsSolutions-L1', 'nodejs22.x is the runtime this bundle is built (target node22) and tested for');
    if (props.settings.secret.mode === 'create') {
      acknowledge('AwsSolutions-SMG4', 'rotating a JWT signing secret must be coordinated with the token issuer; docs/deploy.md shows how to wire a rotation function');
    }
  }
}

// The deployable folder, with the issuers' profiles in it when `issuersFile` gives them (the function reads
// JWT_ISSUERS_FILE=issuers.json from its own folder): a staged copy, so that dist/ stays as built.
function codeFolder({ codePath, settings }: AuthorizerStackProps): string {
  if (settings.issuersFile === undefined) return codePath;
  const staged = mkdtempSync(join(tmpdir(), 'iot-jwt-authorizer-asset-'));
  cpSync(codePath, staged, { recursive: true });
  writeFileSync(join(staged, 'issuers.json'), settings.issuersFile.text);
  return staged;
}
