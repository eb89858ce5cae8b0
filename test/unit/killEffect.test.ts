import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../functions/domain/auditChain.js';
import { killEffect, lateSuccess } from '../../functions/domain/killEffect.js';

const ENDED = '2026-11-23T10:00:00.000Z';
const APPLIED = '2026-11-23T10:00:02.000Z';
const later = (iso: string, seconds: number) => new Date(Date.parse(iso) + seconds * 1000).toISOString();

const event = (type: string, at: string, details: Record<string, unknown> = {}) =>
  ({ type, at, details, seq: 1, actor: 'x', toState: 'ENDED' }) as unknown as AuditEvent;
const ended = (sessionKill = `until ${later(ENDED, 3600)}`) => event('grant.ended', ENDED, { sessionKill });
const applied = event('grant.sessions-killed', APPLIED);

describe("a successful call after the end, against the kill's time", () => {
  it.each([
    ['no kill recorded', later(ENDED, 120), undefined, 'kill-not-in-force'],
    ['before the kill was in force', later(ENDED, 1), APPLIED, 'kill-not-in-force'],
    ['at the kill', APPLIED, APPLIED, 'kill-propagating'],
    ['the grace after the kill', later(APPLIED, 60), APPLIED, 'kill-propagating'],
    ['just past the grace after the kill', later(APPLIED, 60.001), APPLIED, 'kill-did-not-hold'],
  ])('%s: %s', (_when, at, appliedAt, verdict) => {
    expect(lateSuccess(at, appliedAt)).toBe(verdict);
  });
});

describe('what the kill did', () => {
  it('is nothing to say while the grant is live', () => {
    expect(killEffect([event('grant.activated', ENDED)], {})).toBeUndefined();
  });

  it('measures the time from the kill in force to the first refusal (IAM propagation)', () => {
    const effect = killEffect([ended(), applied], { firstRefusedSinceEndAt: later(APPLIED, 3.25) });
    expect(effect).toEqual({
      appliedAt: APPLIED,
      firstRefusalAt: '2026-11-23T10:00:05.250Z',
      propagationSeconds: 3.3,
      verdict: 'held',
    });
  });

  it('says so when AWS refused before the broker had recorded the kill (the IAM write comes first)', () => {
    expect(killEffect([ended(), applied], { firstRefusedSinceEndAt: later(APPLIED, -1) })?.propagationSeconds).toBe(-1);
  });

  it.each([
    ['no kill was needed', [ended('not needed')], {}, 'not-needed'],
    ['the kill is not recorded yet', [ended()], {}, 'pending'],
    ['nothing tried the sessions since', [ended(), applied], {}, 'untested'],
    [
      'a call got through within the grace after the kill (IAM propagating): it held',
      [ended(), applied],
      { firstRefusedSinceEndAt: later(APPLIED, 30), lastSucceededAfterEndAt: later(APPLIED, 59) },
      'held',
    ],
    [
      'a call got through later than the grace after the kill',
      [ended(), applied],
      { firstRefusedSinceEndAt: later(APPLIED, 3), lastSucceededAfterEndAt: later(APPLIED, 300) },
      'did-not-hold',
    ],
  ])('%s: %s', (_case, events, activity, verdict) => {
    expect(killEffect(events, activity)?.verdict).toBe(verdict);
  });
});
