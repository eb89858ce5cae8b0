import {
  type AttributeValue,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main.js';
import { fakeContext } from '../cli/cliFakes.js';
import { grantRequest } from '../helpers/apiServer.js';
import { type EmulatedBroker, emulatedBroker } from '../helpers/emulatedBroker.js';

type Item = Record<string, AttributeValue>;
const PROD_READ = 'arn:aws:iam::123456789012:role/jit/prod-read';

/**
 * Someone with write access to the table (PutItem, UpdateItem, DeleteItem — any account
 * administrator) edits history in DynamoDB Local; `jit audit` must name what they changed and
 * exit 8. The heads are signed with a KMS key in the AWS emulator; the archive is the sandbox's.
 */
describe('the signed audit chain against edits in the table', () => {
  let env: EmulatedBroker;
  beforeAll(async () => {
    env = await emulatedBroker();
  });
  afterAll(() => env.dispose());

  /** `jit audit <args>` as `user`, in process, against the API. */
  const jitAudit = async (user: string, ...args: string[]) => {
    const cli = fakeContext({
      fetch,
      env: {
        HOME: '/nonexistent-home',
        JIT_API_URL: env.api.base,
        JIT_USER: user,
        JIT_SANDBOX_TOKEN: env.api.token,
      },
    });
    const code = await runCli(['audit', ...args], cli.context);
    return { code, stdout: cli.stdout(), stderr: cli.stderr() };
  };

  const table = () => env.tableName;
  const grantKey = (id: string) => ({ PK: { S: `GRANT#${id}` }, SK: { S: 'GRANT' } });
  const eventKey = (id: string, seq: number) => ({
    PK: { S: `GRANT#${id}` },
    SK: { S: `EVENT#${String(seq).padStart(8, '0')}` },
  });
  const killKey = (id: string) => ({ PK: { S: `ROLEKILL#${PROD_READ}` }, SK: { S: `GRANT#${id}` } });
  const getItem = async (Key: Item) =>
    (await env.dynamo.send(new GetItemCommand({ TableName: table(), Key }))).Item as Item;
  const putItem = (Item: Item) => env.dynamo.send(new PutItemCommand({ TableName: table(), Item }));
  const deleteItem = (Key: Item) => env.dynamo.send(new DeleteItemCommand({ TableName: table(), Key }));
  const setAttribute = (Key: Item, name: string, value: AttributeValue) =>
    env.dynamo.send(
      new UpdateItemCommand({
        TableName: table(),
        Key,
        UpdateExpression: 'SET #n = :v',
        ExpressionAttributeNames: { '#n': name },
        ExpressionAttributeValues: { ':v': value },
      })
    );

  const approvedGrant = async (): Promise<string> => {
    const { body } = await env.api.as('alice').post('/grants', grantRequest());
    expect((await env.api.as('bob').post(`/grants/${body.id}/approve`)).body.state).toBe('APPROVED');
    return body.id;
  };
  /** requested, approved, vended, revoked by security, its sessions killed: five events and a kill record. */
  const revokedGrant = async (): Promise<string> => {
    const id = await approvedGrant();
    expect((await env.api.as('alice').post(`/grants/${id}/credentials`)).status).toBe(200);
    const revoked = await env.api.as('dave').post(`/grants/${id}/revoke`, { reason: 'leaving the team' });
    expect(revoked.body.state).toBe('REVOKED');
    return id;
  };

  it('says an untouched grant is intact and signed by the KMS key, and its kill record matches', async () => {
    const id = await revokedGrant();
    const audit = await jitAudit('alice', id);
    expect(audit.code).toBe(0);
    expect(audit.stdout).toContain(`chain intact and signed (5 events, key ${env.chainKeyArn})`);
    expect(audit.stdout).toMatch(
      /kill record: matches: in force until \S+, as the signed event 4 \(grant\.revoked\) says/
    );
    expect((await jitAudit('dave', id, '--archive')).stdout).toContain(
      'archive: matches the table (5 archived, 5 in the table)'
    );
  });

  it('names an event whose body was edited', async () => {
    const id = await approvedGrant();
    await setAttribute(eventKey(id, 2), 'actor', { S: 'mallory' });
    const audit = await jitAudit('alice', id);
    expect(audit.code).toBe(8);
    expect(audit.stdout).toContain(
      `${id}  APPROVED  CHAIN BROKEN: event 2 (grant.approved) was changed after it was signed`
    );
    expect(env.logLines.some((l) => l.includes('audit chain broken') && l.includes(id))).toBe(true);
  });

  it('makes the reports say which grants they cannot vouch for, naming the forged event', async () => {
    const id = await approvedGrant();
    await setAttribute(eventKey(id, 1), 'actor', { S: 'mallory' });
    const { status, body } = await env.api.as('dave').get('/reports/exceptions');
    expect(status).toBe(200);
    expect(body.integrity.broken).toContainEqual({
      grantId: id,
      brokenAt: 1,
      reason: 'event 1 (grant.requested) was changed after it was signed',
    });
    expect(body.hints).toContainEqual(
      expect.stringContaining(`AUDIT CHAIN BROKEN for ${id}: event 1 (grant.requested)`)
    );
  });

  it('names an event rewritten with its hash recomputed and the head moved along: the signature gives it away', async () => {
    const id = await approvedGrant();
    const event = await getItem(eventKey(id, 2));
    await putItem({
      ...event,
      details: { M: { approvals: { N: '1' }, comment: { S: 'looks fine' } } },
      hash: { S: 'a'.repeat(64) },
    });
    await setAttribute(grantKey(id), 'chainHead', { S: 'a'.repeat(64) });
    expect((await jitAudit('alice', id)).stdout).toContain(
      'CHAIN BROKEN: event 2 (grant.approved) was changed after it was signed'
    );
  });

  it('names events stored out of order', async () => {
    const id = await approvedGrant();
    const [first, second] = [await getItem(eventKey(id, 1)), await getItem(eventKey(id, 2))];
    await putItem({ ...second, SK: eventKey(id, 1).SK });
    await putItem({ ...first, SK: eventKey(id, 2).SK });
    const audit = await jitAudit('alice', id);
    expect(audit.code).toBe(8);
    expect(audit.stdout).toContain('CHAIN BROKEN: event 1 is out of order: event 2 is stored in its place');
  });

  it('names a deleted event, and the events missing after the last one stored', async () => {
    const middle = await revokedGrant();
    await deleteItem(eventKey(middle, 2));
    expect((await jitAudit('alice', middle)).stdout).toContain(
      'CHAIN BROKEN: event 2 is missing (the next one stored is event 3)'
    );
    const tail = await approvedGrant();
    await deleteItem(eventKey(tail, 2));
    expect((await jitAudit('alice', tail)).stdout).toContain(
      'CHAIN BROKEN: events after 1 are missing (the grant record is at event 2)'
    );
  });

  it('names a grant record edited outside the broker, and refuses to act on it until security revokes it', async () => {
    const id = await approvedGrant();
    await setAttribute(grantKey(id), 'expiresAt', { S: '2030-01-01T00:00:00.000Z' });
    const audit = await jitAudit('alice', id);
    expect(audit.code).toBe(8);
    expect(audit.stdout).toContain(
      'CHAIN BROKEN: the grant record was changed after event 2 (grant.approved) signed it'
    );
    const vend = await env.api.as('alice').post(`/grants/${id}/credentials`);
    expect(vend.status).toBe(409);
    expect(vend.body.error.code).toBe('GRANT_RECORD_TAMPERED');
    const revoked = await env.api.as('dave').post(`/grants/${id}/revoke`, { reason: 'record tampered' });
    expect(revoked.body.state).toBe('REVOKED');
    expect((await jitAudit('dave', id)).stdout).toContain(
      'CHAIN BROKEN: event 3 (grant.revoked) was appended to a grant record that had been changed after event 2 was signed'
    );
  });

  it("says the head's signature does not verify when the record carries another event's", async () => {
    const id = await revokedGrant();
    await putItem({
      ...(await getItem(grantKey(id))),
      chainSignature: (await getItem(eventKey(id, 2))).signature as AttributeValue,
    });
    expect((await jitAudit('alice', id)).stdout).toContain(
      "CHAIN BROKEN: the head's signature does not verify: the grant record does not carry event 5 (grant.sessions-killed)'s"
    );
  });

  it('takes a replayed older head for intact, but the archive names the events it hid', async () => {
    const id = await approvedGrant();
    const older = await getItem(grantKey(id));
    expect((await env.api.as('dave').post(`/grants/${id}/revoke`, { reason: 'no longer needed' })).status).toBe(200);
    // Put the APPROVED record back and delete the revocation: the table is consistent with itself again.
    await putItem(older);
    await deleteItem(eventKey(id, 3));
    expect((await jitAudit('alice', id)).code).toBe(0);
    const compared = await jitAudit('dave', id, '--archive');
    expect(compared.code).toBe(8);
    expect(compared.stdout).toContain('archive: DIVERGES from the table (3 archived, 2 in the table)');
    expect(compared.stdout).toContain(
      '  - events after 2 are missing from the table: the archive holds 3 (grant.revoked)'
    );
  });

  it('names a kill record whose until was moved earlier, and the sweeper keeps the deny until the signed time', async () => {
    const id = await revokedGrant();
    const signedUntil = (await getItem(killKey(id))).until?.S as string;
    const early = new Date(env.clock.now().getTime() - 1000).toISOString();
    await setAttribute(killKey(id), 'until', { S: early });
    await setAttribute(killKey(id), 'GSI2SK', { S: `${early}#${id}` });
    const audit = await jitAudit('alice', id);
    expect(audit.code).toBe(8);
    expect(audit.stdout).toContain(
      `kill record: DIFFERS: the kill record differs from the signed event 4 (grant.revoked): until ${early} (signed: ${signedUntil})`
    );
    await env.sweep();
    expect(await env.killedOn('prod-read')).toContain(id);
    expect(env.logLines.some((l) => l.includes('ALERT audit-tampered') && l.includes(id))).toBe(true);
  });

  it('names a kill record deleted while the credentials can still be used', async () => {
    const id = await revokedGrant();
    await deleteItem(killKey(id));
    const audit = await jitAudit('alice', id);
    expect(audit.code).toBe(8);
    expect(audit.stdout).toMatch(
      /kill record: MISSING: the kill record was deleted while the grant's credentials could still be used: the signed event 4 \(grant\.revoked\) keeps it until \S+/
    );
  });

  it('shows security a grant deleted from the table, from the archive; everyone else is told it does not exist', async () => {
    const id = await revokedGrant();
    const items = await env.dynamo.send(
      new QueryCommand({
        TableName: table(),
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': { S: `GRANT#${id}` } },
      })
    );
    for (const item of items.Items ?? [])
      await deleteItem({ PK: item.PK as AttributeValue, SK: item.SK as AttributeValue });
    const security = await jitAudit('dave', id, '--archive');
    expect(security.code).toBe(8);
    expect(security.stdout).toContain(
      `${id}  MISSING  CHAIN BROKEN: the grant and every event of it are missing from the table; the archive holds 5`
    );
    expect(security.stdout).toContain('every event is missing from the table: the archive holds 1 (grant.requested)');
    expect((await jitAudit('alice', id, '--archive')).code).toBe(2);
    expect((await jitAudit('dave', id)).code).toBe(2);
  });

  it('prints the whole verdict as JSON for scripts, and exits 8 all the same', async () => {
    const id = await approvedGrant();
    await setAttribute(eventKey(id, 1), 'details', { M: {} });
    const audit = await jitAudit('alice', id, '--json');
    expect(audit.code).toBe(8);
    expect(JSON.parse(audit.stdout).chain).toEqual({
      valid: false,
      length: 2,
      brokenAt: 1,
      fault: 'changed-after-signing',
      reason: 'event 1 (grant.requested) was changed after it was signed',
    });
  });
});
