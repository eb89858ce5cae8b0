import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
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

  it('locks in compliance mode when asked', () => {
    const strict = Template.fromStack(
      new StatefulStack(new App(), 'Strict', { auditRetention: { mode: 'compliance', days: 2555 } })
    );
    strict.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2555 } },
      },
    });
  });
});
