import { localChainSigner } from '../../functions/adapters/localChainSigner.js';
import { signTransition } from '../../functions/app/signedGrantStore.js';
import { type ChainVerdict, verifyChain } from '../../functions/domain/chainVerdict.js';
import { approve } from '../../functions/domain/decisions.js';
import { revoke } from '../../functions/domain/ending.js';
import { type ApprovalRule, openGrant, type Transition } from '../../functions/domain/grant.js';
import { recordVend } from '../../functions/domain/vending.js';
import type { ChainSigner } from '../../functions/ports.js';
import { PROD_READ_ROLE } from './fixtures.js';

const T0 = new Date('2026-11-23T09:00:00.000Z');
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

const ROLE = PROD_READ_ROLE;
const RULE: ApprovalRule = {
  approvers: ['group:sre'],
  required: 1,
  pendingWindowSeconds: 3600,
  maxDurationSeconds: 43_200,
  source: ['test'],
};
const people = {
  alice: { userId: 'alice', groups: [] },
  bob: { userId: 'bob', groups: ['sre'] },
  dave: { userId: 'dave', groups: ['security'] },
};

/** alice's grant on prod-read as the domain opens it at T0. */
const openedGrant = (durationSeconds = 3600, requester = 'alice'): Transition =>
  openGrant({
    id: 'g-01jtest0000000000000000000',
    requester,
    request: {
      role: ROLE.id,
      scope: { actions: ['s3:GetObject'], resources: ['*'] },
      durationSeconds,
      reason: 'investigate the export',
    },
    role: ROLE,
    rule: RULE,
    catalogVersion: 'v1',
    narrowed: { sessionPolicy: '{}', privilegeWidth: 1 },
    now: T0,
  });

/** request → approve → vend → revoke (with a kill): four transitions as the domain makes them, unsigned. */
const lifecycle = (): Transition[] => {
  const opened = openedGrant();
  const approved = approve(opened.grant, people.bob, at(60));
  const vend = {
    accessKeyId: 'ASIA1',
    expiration: at(1000),
    assumedRoleArn: 'a',
    sessionName: 's',
    durationSeconds: 900,
  };
  const vended = recordVend(approved.grant, people.alice, vend, at(100));
  const revoked = revoke(vended.grant, people.dave, ['group:security'], at(200), 'done');
  return [opened, approved, vended, revoked];
};

/** Each step signed as the store's signing layer signs it. */
const signAll = async (signer: ChainSigner, steps: readonly Transition[]): Promise<Transition[]> => {
  const signed: Transition[] = [];
  for (const step of steps) signed.push(await signTransition(signer, step));
  return signed;
};

/**
 * Signs each step of a grant's life as the store's signing layer does (a local key), then verifies
 * the chain as `jit audit` does: domain tests check that transitions make a chain that holds.
 */
const verifySigned = async (steps: readonly Transition[]): Promise<ChainVerdict> => {
  const signer = localChainSigner();
  const signed = await signAll(signer, steps);
  const last = signed.at(-1);
  if (last === undefined) throw new Error('no steps to verify');
  return verifyChain(
    last.grant,
    signed.map((s) => s.event),
    (statement, signature) => signer.verify(statement, signature)
  );
};

export { at, lifecycle, openedGrant, people, ROLE, signAll, T0, verifySigned };
