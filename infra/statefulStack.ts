import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Key } from 'aws-cdk-lib/aws-kms';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { type AuditRetention, auditArchiveBucket } from './auditArchiveBucket.js';
import { chainSigningKey } from './chainSigningKey.js';
import { grantTable } from './grantTable.js';

interface StatefulStackProps extends StackProps {
  /** Object Lock of the audit archive; default compliance, 365 days. */
  readonly auditRetention?: AuditRetention;
  /**
   * The stack whose function roles may sign audit chain heads (their CloudFormation names start
   * with `<stack name>-`); default `JitBroker`.
   */
  readonly signingStackName?: string;
}

/**
 * What must outlive any redeploy: the grant table, the audit archive and the key that signs the
 * audit chain. The API and functions live in their own stack.
 */
class StatefulStack extends Stack {
  readonly table: Table;
  readonly auditArchive: Bucket;
  readonly chainKey: Key;

  constructor(scope: Construct, id: string, props: StatefulStackProps = {}) {
    super(scope, id, props);
    this.table = grantTable(this, 'Grants');
    this.auditArchive = auditArchiveBucket(this, 'AuditArchive', props.auditRetention);
    this.chainKey = chainSigningKey(this, 'AuditChainKey', {
      signerRoleNames: `${props.signingStackName ?? 'JitBroker'}-*`,
    });
  }
}

export type { StatefulStackProps };
export { StatefulStack };
