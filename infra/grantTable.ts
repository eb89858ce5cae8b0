import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { INDEXES, TTL_ATTRIBUTE } from '../functions/adapters/aws/tableSchema.js';

/**
 * The grant table in AWS, from the same layout the store and the sandbox use. Grants are the
 * audit record of who held privilege: recovery, deletion protection and retention are on.
 */
const grantTable = (scope: Construct, id: string): Table => {
  const table = new Table(scope, id, {
    partitionKey: { name: 'PK', type: AttributeType.STRING },
    sortKey: { name: 'SK', type: AttributeType.STRING },
    billingMode: BillingMode.PAY_PER_REQUEST,
    encryption: TableEncryption.AWS_MANAGED,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    deletionProtection: true,
    // The stream carries every audit event out of the table (export and SIEM, later issues).
    stream: StreamViewType.NEW_IMAGE,
    removalPolicy: RemovalPolicy.RETAIN,
    // Only used CI token ids carry it; grants and audit events never expire.
    timeToLiveAttribute: TTL_ATTRIBUTE,
  });
  for (const [indexName, keys] of Object.entries(INDEXES)) {
    table.addGlobalSecondaryIndex({
      indexName,
      partitionKey: { name: keys.pk, type: AttributeType.STRING },
      sortKey: { name: keys.sk, type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
  }
  return table;
};

export { grantTable };
