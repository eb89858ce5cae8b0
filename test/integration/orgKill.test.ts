import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrganizationsKillPolicy } from '../../functions/adapters/aws/organizationsKillPolicy.js';
import { sweep } from '../../functions/app/sweep.js';
import { EMPTY_ORG_KILL } from '../../functions/domain/orgKill.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../sandbox/localAws.js';
import { grantRequest } from '../helpers/apiServer.js';
import { type EmulatedBroker, emulatedBroker } from '../helpers/emulatedBroker.js';
import { decide } from '../helpers/iamDecision.js';

/**
 * The organization-wide kill end to end: the broker on DynamoDB Local and the AWS emulator, whose
 * organization holds the kill SCP; what the SCP then means for a session chained into another role
 * is judged by the independent evaluator on the document the emulator holds.
 */
describe('Organization-wide kill (DynamoDB Local + AWS emulator with an organization)', () => {
  let env: EmulatedBroker;
  beforeAll(async () => {
    env = await emulatedBroker({ orgKill: true });
  });
  afterAll(() => env.dispose());

  const activeGrant = async (user: string): Promise<string> => {
    const created = await env.api.as(user).post('/grants', grantRequest());
    await env.api.as('bob').post(`/grants/${created.body.id}/approve`);
    expect((await env.api.as(user).post(`/grants/${created.body.id}/credentials`)).status).toBe(200);
    return created.body.id;
  };

  it('on done, puts the grant in the organization’s SCP: its chained sessions die, another grant’s live on', async () => {
    const ended = await activeGrant('alice');
    const live = await activeGrant('erin');
    const done = await env.api.as('alice').post(`/grants/${ended}/done`);
    expect(done.body).toMatchObject({ state: 'ENDED', sessionKill: { status: 'applied', organization: 'applied' } });

    const scp = (await env.orgKillDocument()) as string;
    const chained = (sourceIdentity: string) =>
      decide({ sourceIdentity, orgKillPolicy: scp, roleName: 'workload-admin', chained: true });
    expect(await chained(ended)).toBe('ExplicitlyDenied');
    expect(await chained(live)).toBe('Allowed');
    expect(await env.killedOn('prod-read')).toContain(ended);

    const audit = (await env.api.as('alice').get(`/grants/${ended}/audit`)).body;
    const facts = audit.events.filter((e: { type: string }) => e.type === 'grant.sessions-killed');
    expect(facts.map((e: { details: { scope: string } }) => e.details.scope).sort()).toEqual(['organization', 'role']);
    expect(audit.chain.valid).toBe(true);
  });

  it('lets the sweeper prune the organization’s deny once chained sessions are over', async () => {
    const ended = await activeGrant('alice');
    await env.api.as('alice').post(`/grants/${ended}/done`);
    env.clock.advance(3600 + 300 + 60); // credentials (30 min) and chained sessions (1 h + 5 min) are over
    await sweep(env.deps); // prunes the records (role), then renders the organization without them
    expect(await env.orgKillDocument()).toBe(EMPTY_ORG_KILL);
    const audit = (await env.api.as('alice').get(`/grants/${ended}/audit`)).body;
    expect(audit.events.map((e: { type: string }) => e.type).at(-1)).toBe('grant.kill-pruned');
  });

  it('answers the adapter’s errors with what to fix: a policy id the organization does not have', async () => {
    const client = new OrganizationsClient({
      endpoint: env.awsEndpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    try {
      const missing = new OrganizationsKillPolicy(client, 'p-doesnotexist');
      await expect(missing.write('{}')).rejects.toMatchObject({ code: 'ORG_KILL_POLICY_MISSING' });
      expect(() => new OrganizationsKillPolicy(client, 'scp-1')).toThrow(/p-xxxxxxxx/);
    } finally {
      client.destroy();
    }
  });
});
