import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { DenialRecord } from '../../domain/reports.js';
import type { DenialLog } from '../../ports.js';
import { tableDocument } from './tableDocument.js';
import { INDEXES } from './tableSchema.js';

/**
 * One small item per refused request (`DENIAL#<uuid>`), also in the sparse byState index under the
 * `DENIAL` partition sorted by time, so a report reads a period's denials with one Query.
 */
const DENIAL_PARTITION = 'DENIAL';

class DynamoDenialLog implements DenialLog {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(client: DynamoDBClient, tableName: string) {
    this.#doc = tableDocument(client);
    this.#table = tableName;
  }

  async record(denial: DenialRecord): Promise<void> {
    const id = randomUUID();
    const keys = INDEXES.byState;
    await this.#doc.send(
      new PutCommand({
        TableName: this.#table,
        Item: {
          ...denial,
          PK: `DENIAL#${id}`,
          SK: 'DENIAL',
          [keys.pk]: DENIAL_PARTITION,
          [keys.sk]: `${denial.at}#${id}`,
        },
        ConditionExpression: 'attribute_not_exists(PK)',
      })
    );
  }

  async list(period: { from: string; to: string }): Promise<readonly DenialRecord[]> {
    const keys = INDEXES.byState;
    const denials: DenialRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.#doc.send(
        new QueryCommand({
          TableName: this.#table,
          IndexName: 'byState',
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
          ExpressionAttributeNames: { '#pk': keys.pk, '#sk': keys.sk },
          // `~` sorts after every uuid character: the range is [from, to], like the grants'.
          ExpressionAttributeValues: { ':pk': DENIAL_PARTITION, ':from': `${period.from}#`, ':to': `${period.to}#~` },
          ExclusiveStartKey: startKey,
        })
      );
      for (const item of out.Items ?? []) {
        denials.push({
          at: item.at,
          requester: item.requester,
          roleId: item.roleId,
          breakGlass: item.breakGlass === true,
          forbiddenBy: item.forbiddenBy ?? [],
        });
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey !== undefined);
    return denials;
  }
}

export { DENIAL_PARTITION, DynamoDenialLog };
