import { DeleteItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantRequest, startApi } from '../helpers/apiServer.js';
import { brokerOnFreshTable } from '../helpers/fixtures.js';

/** Someone with write access to the table edits history; the audit must say so. */
describe('Audit chain against edits in the table', () => {
  let broker: Awaited<ReturnType<typeof brokerOnFreshTable>>;
  let api: Awaited<ReturnType<typeof startApi>>;

  beforeAll(async () => {
    broker = await brokerOnFreshTable();
    api = await startApi(broker.deps);
  });
  afterAll(async () => {
    await api.close();
    await broker.dispose();
  });

  const approvedGrant = async (): Promise<string> => {
    const { body } = await api.as('alice').post('/grants', grantRequest());
    await api.as('bob').post(`/grants/${body.id}/approve`);
    return body.id;
  };

  const eventKey = (grantId: string, seq: number) => ({
    PK: { S: `GRANT#${grantId}` },
    SK: { S: `EVENT#${String(seq).padStart(8, '0')}` },
  });

  it('reports an edited event as a broken chain at that event', async () => {
    const id = await approvedGrant();
    await broker.dynamo.send(
      new UpdateItemCommand({
        TableName: broker.tableName,
        Key: eventKey(id, 2),
        UpdateExpression: 'SET actor = :someoneElse',
        ExpressionAttributeValues: { ':someoneElse': { S: 'mallory' } },
      })
    );
    const audit = await api.as('alice').get(`/grants/${id}/audit`);
    expect(audit.status).toBe(200);
    expect(audit.body.chain).toMatchObject({ valid: false, brokenAt: 2 });
    expect(audit.body.chain.reason).toContain('hash');
    expect(broker.logLines.some((l) => l.includes('audit chain broken') && l.includes(id))).toBe(true);
  });

  it('reports a deleted latest event as events missing at the end', async () => {
    const id = await approvedGrant();
    await broker.dynamo.send(new DeleteItemCommand({ TableName: broker.tableName, Key: eventKey(id, 2) }));
    const audit = await api.as('alice').get(`/grants/${id}/audit`);
    expect(audit.body.chain).toMatchObject({ valid: false, brokenAt: 2, length: 1 });
  });

  it('keeps an untouched grant valid next to the tampered ones', async () => {
    const id = await approvedGrant();
    expect((await api.as('alice').get(`/grants/${id}/audit`)).body.chain.valid).toBe(true);
  });
});
