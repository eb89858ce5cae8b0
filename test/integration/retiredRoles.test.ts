import { readFileSync } from 'node:fs';
import { DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantedRoleKey } from '../../functions/adapters/aws/dynamoGrantedRoles.js';
import type { BrokerConfig } from '../../functions/config/brokerConfig.js';
import { grantRequest, startApi } from '../helpers/apiServer.js';
import { brokerOnFreshTable, exampleConfig, manualClock } from '../helpers/fixtures.js';

/** The same broker after a redeploy whose catalog no longer has `roleId`. */
const withoutRole = (config: BrokerConfig, roleId: string): BrokerConfig => ({
  ...config,
  catalog: { ...config.catalog, roles: new Map([...config.catalog.roles].filter(([id]) => id !== roleId)) },
});

/** The `--item` of docs/reports.md's put-item command, for `role`, as the shell would pass it. */
const documentedItem = (role: string) => {
  const doc = readFileSync('docs/reports.md', 'utf8');
  const quoted = /--item "(.*)"$/m.exec(doc)?.[1];
  if (quoted === undefined) throw new Error('docs/reports.md has no put-item --item "…" line');
  return JSON.parse(quoted.replaceAll('\\"', '"').replaceAll('$role', role));
};

/** Grants of a role that was removed from the catalog, in the reports, against DynamoDB Local. */
describe('reports over a role removed from the catalog', () => {
  // Monday 10:00 in Berlin: business hours for the example policies.
  const clock = manualClock(new Date('2026-11-23T09:00:00.000Z'));
  let broker: Awaited<ReturnType<typeof brokerOnFreshTable>>;
  let api: Awaited<ReturnType<typeof startApi>>;
  let retiredApi: Awaited<ReturnType<typeof startApi>>;
  const granted: string[] = [];

  beforeAll(async () => {
    broker = await brokerOnFreshTable({ clock });
    api = await startApi(broker.deps);
    for (const requester of ['alice', 'erin']) {
      const { body } = await api.as(requester).post('/grants', grantRequest());
      expect((await api.as('bob').post(`/grants/${body.id}/approve`)).status).toBe(200);
      granted.push(body.id);
    }
    const config = withoutRole(await exampleConfig(), 'prod-read');
    expect(config.catalog.roles.has('prod-read')).toBe(false);
    retiredApi = await startApi({ ...broker.deps, config });
  });
  afterAll(async () => {
    await api.close();
    await retiredApi.close();
    await broker.dispose();
  });

  const widthRows = async (): Promise<string[]> => {
    const { status, body } = await retiredApi.as('dave').get('/reports/width');
    expect(status).toBe(200);
    return body.rows.map((r: { grantId: string }) => r.grantId);
  };

  it('still reports the grants of a role the catalog no longer has', async () => {
    expect(await widthRows()).toEqual(expect.arrayContaining(granted));
  });

  it('reads a role recorded by hand with the put-item of docs/reports.md, as a broker that predates the record needs', async () => {
    // A table from before the record: the grants are there, their role is not recorded.
    await broker.dynamo.send(
      new DeleteItemCommand({ TableName: broker.tableName, Key: marshall(grantedRoleKey('prod-read')) })
    );
    expect(await widthRows()).not.toEqual(expect.arrayContaining(granted));
    const item = documentedItem('prod-read');
    expect(item).toMatchObject(marshall(grantedRoleKey('prod-read')));
    await broker.dynamo.send(new PutItemCommand({ TableName: broker.tableName, Item: item }));
    expect(await widthRows()).toEqual(expect.arrayContaining(granted));
  });
});
