import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { createTableInput, TTL_ATTRIBUTE } from '../../functions/adapters/aws/tableSchema.js';
import { StatefulStack } from '../../infra/statefulStack.js';

describe('StatefulStack', () => {
  const template = Template.fromStack(new StatefulStack(new App(), 'Test'));

  it('keeps the grant table safe: recovery, deletion protection, encryption, retained', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
      },
    });
  });

  it('lets DynamoDB remove used CI token ids once their tokens have expired', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
    });
  });

  it('deploys the same keys and indexes the store and the sandbox use', () => {
    const [table] = Object.values(template.findResources('AWS::DynamoDB::Table')) as {
      Properties: { KeySchema: unknown; GlobalSecondaryIndexes: { IndexName: string; KeySchema: unknown }[] };
    }[];
    const local = createTableInput('local');
    expect(table?.Properties.KeySchema).toEqual(local.KeySchema);
    const deployed = table?.Properties.GlobalSecondaryIndexes.map((i) => [i.IndexName, i.KeySchema]);
    expect(deployed).toEqual(local.GlobalSecondaryIndexes?.map((i) => [i.IndexName, i.KeySchema]));
  });

  it('refuses, to everyone, writes without If-None-Match and delete markers on archived objects', () => {
    const [policy] = Object.values(template.findResources('AWS::S3::BucketPolicy')) as {
      Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } };
    }[];
    const denies = policy?.Properties.PolicyDocument.Statement.filter((s) => s.Sid?.toString().startsWith('Refuse'));
    expect(denies?.map(({ Resource: _, ...s }) => s)).toEqual([
      {
        Sid: 'RefuseWritesThatMayReplaceAnArchivedObject',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:PutObject',
        Condition: { Null: { 's3:if-none-match': 'true' }, Bool: { 's3:ObjectCreationOperation': 'true' } },
      },
      {
        Sid: 'RefuseDeleteMarkersOnArchivedObjects',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:DeleteObject',
      },
    ]);
  });

  it('locks the archive in compliance mode by default, for as long as asked', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 365 } },
      },
    });
    const longer = Template.fromStack(new StatefulStack(new App(), 'Longer', { auditRetention: { days: 2555 } }));
    longer.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2555 } },
      },
    });
  });

  it('uses governance mode only when asked (-c auditRetentionMode=governance)', () => {
    const trial = Template.fromStack(new StatefulStack(new App(), 'Trial', { auditRetention: { mode: 'governance' } }));
    trial.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 365 } },
      },
    });
  });

  it('keeps an ECC P-256 signing key for the audit chain, retained, that only the broker roles may sign with', () => {
    template.hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', PendingWindowInDays: 30 }),
    });
    const [key] = Object.values(template.findResources('AWS::KMS::Key')) as {
      Properties: { KeyPolicy: { Statement: { Sid: string; Action: string | string[]; Condition?: unknown }[] } };
    }[];
    const statements = key?.Properties.KeyPolicy.Statement ?? [];
    const actions = (s: (typeof statements)[number]) => [s.Action].flat();
    // Nobody gets kms:* or Sign by a wildcard; Sign is in one statement, bound to the broker stack's roles.
    expect(
      statements
        .flatMap(actions)
        .filter((a) => a === 'kms:*' || (a.endsWith('*') && 'kms:Sign'.startsWith(a.slice(0, -1))))
    ).toEqual([]);
    const signing = statements.filter((s) => actions(s).includes('kms:Sign'));
    expect(signing.map((s) => s.Sid)).toEqual(['SignOnlyAsTheBrokerFunctions']);
    expect(JSON.stringify(signing[0]?.Condition)).toContain(':role/JitBroker-*');
    expect(statements.find((s) => s.Sid === 'VerifyWithThePublicKey')?.Action).toEqual([
      'kms:GetPublicKey',
      'kms:Verify',
      'kms:DescribeKey',
    ]);
  });
});
