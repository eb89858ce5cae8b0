import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { GrantedRoles } from '../../ports.js';
import { tableDocument } from './tableDocument.js';
import { PARTITIONS } from './tableSchema.js';

/** Every granted role is one item of one small partition: the list is one Query (a page per ~1 MB). */
const GRANTED_ROLES_PK = `${PARTITIONS.grantedRole}#all`;
const ROLE_SK_PREFIX = 'ROLE#';

/** The key of a role's item: docs/reports.md gives operators the same shape for roles retired before it existed. */
const grantedRoleKey = (roleId: string) => ({ PK: GRANTED_ROLES_PK, SK: `${ROLE_SK_PREFIX}${roleId}` });

class DynamoGrantedRoles implements GrantedRoles {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(client: DynamoDBClient, tableName: string) {
    this.#doc = tableDocument(client);
    this.#table = tableName;
  }

  async note(roleId: string): Promise<void> {
    // Unconditional: writing the same item again changes nothing, and two first grants of a role at once both succeed.
    await this.#doc.send(new PutCommand({ TableName: this.#table, Item: { ...grantedRoleKey(roleId), roleId } }));
  }

  async list(): Promise<readonly string[]> {
    const roles: string[] = [];
    const pages = paginateQuery(
      { client: this.#doc },
      {
        TableName: this.#table,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :role)',
        ExpressionAttributeValues: { ':pk': GRANTED_ROLES_PK, ':role': ROLE_SK_PREFIX },
      }
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) roles.push(String(item.SK).slice(ROLE_SK_PREFIX.length));
    }
    return roles;
  }
}

export { DynamoGrantedRoles, grantedRoleKey };
