import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The single table's layout, in one place for the store, the sandbox, the tests and the CDK stack.
 *
 *   item          PK                  SK               GSI keys
 *   grant         GRANT#<id>          GRANT            byRequester, byRole, byState (open grants only)
 *   audit event   GRANT#<id>          EVENT#<seq:8>    —
 *   activity      GRANT#<id>          ACTIVITY, ACTIVITY#<hour> (tallies), USE#…, LATE#…, REFUSAL#…
 *   kill record   ROLEKILL#<role arn> GRANT#<id>       byState (partition KILL, by `until`)
 *   kill lease    KILLLEASE#<target>  LEASE            —   (removed by TTL a day after it lapsed)
 *   used CI token JTI#<issuer>#<h>    JTI              —   (removed by TTL after the token expires)
 *   denial        DENIAL#<uuid>       DENIAL           byState (partition DENIAL, by time)
 *   granted role  ROLESEEN#all        ROLE#<role id>   —   (a role that has had a grant: reports read it)
 *
 * byState is sparse: a grant leaves it when it reaches a terminal state, so the approver inbox
 * and the sweeper read only what is still open.
 *
 * Each kind of item a function may write lives in its own partitions (PARTITIONS), so IAM can
 * say which kinds each function writes with `dynamodb:LeadingKeys` (infra/functionAccess.ts): kill
 * records are not in a grant's partition, so only the ending functions can write them.
 */
const INDEXES = {
  byRequester: { pk: 'GSI1PK', sk: 'GSI1SK' },
  byState: { pk: 'GSI2PK', sk: 'GSI2SK' },
  byRole: { pk: 'GSI3PK', sk: 'GSI3SK' },
} as const;
type IndexName = keyof typeof INDEXES;

/** The partition key prefixes (`<prefix>#…`) of the item kinds above, as IAM conditions name them. */
const PARTITIONS = {
  grant: 'GRANT',
  roleKill: 'ROLEKILL',
  killLease: 'KILLLEASE',
  usedToken: 'JTI',
  denial: 'DENIAL',
  grantedRole: 'ROLESEEN',
} as const;

/** DynamoDB TTL: epoch seconds after which an item (a used token id) may be deleted. */
const TTL_ATTRIBUTE = 'expiresAtEpoch';

const keyAttributes = ['PK', 'SK', ...Object.values(INDEXES).flatMap((i) => [i.pk, i.sk])];

const createTableInput = (tableName: string): CreateTableCommandInput => ({
  TableName: tableName,
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: keyAttributes.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
  KeySchema: [
    { AttributeName: 'PK', KeyType: 'HASH' },
    { AttributeName: 'SK', KeyType: 'RANGE' },
  ],
  GlobalSecondaryIndexes: Object.entries(INDEXES).map(([name, keys]) => ({
    IndexName: name,
    KeySchema: [
      { AttributeName: keys.pk, KeyType: 'HASH' },
      { AttributeName: keys.sk, KeyType: 'RANGE' },
    ],
    Projection: { ProjectionType: 'ALL' },
  })),
});

export type { IndexName };
export { createTableInput, INDEXES, keyAttributes, PARTITIONS, TTL_ATTRIBUTE };
