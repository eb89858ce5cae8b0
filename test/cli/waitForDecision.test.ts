import { describe, expect, it } from 'vitest';
import type { GrantView } from '../../cli/api/brokerApi.js';
import { waitForDecision } from '../../cli/commands/waitForDecision.js';
import { type CliError, EXIT } from '../../cli/errors.js';
import { recordingIo } from './cliFakes.js';

const grant = (state: string, approvals = 0, extra: Partial<GrantView> = {}) =>
  ({
    id: 'g-1',
    state,
    approvals: Array.from({ length: approvals }, () => ({ by: 'bob', at: '' })),
    requiredApprovals: 2,
    approvers: ['group:sre'],
    ...extra,
  }) as unknown as GrantView;

/** A broker that answers GET /grants/g-1 with the given grants in turn, and a clock moved by sleep. */
const scenario = (
  answers: GrantView[],
  options: { interactive?: boolean; timeoutMs?: number; abortAfterPolls?: number } = {}
) => {
  let now = 0;
  let polls = 0;
  const sleeps: number[] = [];
  const controller = new AbortController();
  const recorder = recordingIo(options.interactive ?? false);
  const wait = waitForDecision('g-1', {
    api: {
      show: async () => {
        polls += 1;
        if (polls === options.abortAfterPolls) controller.abort();
        return answers[Math.min(polls, answers.length) - 1]!;
      },
    },
    io: recorder.io,
    now: () => new Date(now),
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    signal: controller.signal,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  return { wait, sleeps, polls: () => polls, ...recorder };
};

/** The CliError a wait ends with; a wait that succeeds fails the test. */
const failureOf = (wait: Promise<GrantView>): Promise<CliError> =>
  wait.then(
    (grant) => {
      throw new Error(`expected the wait to fail, it returned ${grant.state}`);
    },
    (error: CliError) => error
  );

describe('waiting for a decision', () => {
  it('polls with growing intervals until approved, printing a plain line only when something changes', async () => {
    const s = scenario([
      grant('PENDING'),
      grant('PENDING'),
      grant('PENDING', 1),
      grant('PENDING', 1),
      grant('APPROVED', 2),
    ]);
    expect((await s.wait).state).toBe('APPROVED');
    expect(s.polls()).toBe(5);
    expect(s.err).toEqual([
      'waiting for g-1: PENDING, 0/2 approvals from group:sre',
      'waiting for g-1: PENDING, 1/2 approvals from group:sre',
    ]);
    // 1 s, then 1.5 s, then never more than 2 s between polls, so an approval is seen within 2 s
    // (slept in ≤ 1 s ticks to keep the elapsed time moving)
    expect(s.sleeps.reduce((a, b) => a + b, 0)).toBe(1000 + 1500 + 2000 + 2000);
  });

  it('draws a spinner with the elapsed time on a terminal and clears it at the end', async () => {
    const s = scenario([grant('PENDING'), grant('APPROVED', 2)], { interactive: true });
    await s.wait;
    expect(s.err[0]).toMatch(/^\[progress\] . waiting for g-1 \(PENDING, 0\/2 approvals from group:sre\) 0:00$/);
    expect(s.err).toContain('[progress] ⠹ waiting for g-1 (PENDING, 0/2 approvals from group:sre) 0:01');
    expect(s.err.at(-1)).toBe('[progress] ');
  });

  it('fails with exit 3 and who decided when the grant is denied', async () => {
    const s = scenario([grant('PENDING'), grant('DENIED', 0, { endedBy: 'bob', endReason: 'use the read-only role' })]);
    const failure = await failureOf(s.wait);
    expect(failure.exitCode).toBe(EXIT.grantClosed);
    expect(failure.message).toBe('grant g-1 was denied by bob: use the read-only role');
  });

  it('gives up with exit 6 after --timeout, and with 130 on Ctrl-C, leaving the request pending', async () => {
    const timedOut = await failureOf(scenario([grant('PENDING')], { timeoutMs: 5000 }).wait);
    expect(timedOut.exitCode).toBe(EXIT.stillPending);
    expect(timedOut.message).toContain('still PENDING after 0:05');

    const interrupted = await failureOf(scenario([grant('PENDING')], { abortAfterPolls: 2 }).wait);
    expect(interrupted.exitCode).toBe(EXIT.interrupted);
    expect(interrupted.message).toContain('jit show g-1');
  });
});
