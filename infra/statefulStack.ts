import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { type AuditRetention, auditArchiveBucket } from './auditArchiveBucket.js';
import { grantTable } from './grantTable.js';

interface StatefulStackProps extends StackProps {
  /** Object Lock of the audit archive; default governance, 365 days. */
  readonly auditRetention?: AuditRetention;
}

/**
 * What must outlive any redeploy: the grant table and the audit archive. The API and functions
 * live in their own stack.
 */
class StatefulStack extends Stack {
  readonly table: Table;
  readonly auditArchive: Bucket;

  constructor(scope: Construct, id: string, props: StatefulStackProps = {}) {
    super(scope, id, props);
    this.table = grantTable(this, 'Grants');
    this.auditArchive = auditArchiveBucket(this, 'AuditArchive', props.auditRetention);
  }
}

export type { StatefulStackProps };
export { StatefulStack };
