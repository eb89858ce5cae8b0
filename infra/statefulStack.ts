import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { grantTable } from './grantTable.js';

/** What must outlive any redeploy: the grant table. The API and functions live in their own stack. */
class StatefulStack extends Stack {
  readonly table: Table;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.table = grantTable(this, 'Grants');
  }
}

export { StatefulStack };
