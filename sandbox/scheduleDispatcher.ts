import {
  DeleteScheduleCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
  ResourceNotFoundException,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import type { Logger } from '../functions/ports.js';

/** `at(2026-11-23T10:00:00)` in UTC, as the expiry adapter writes it. */
const AT = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/;

const dueAt = (expression: string | undefined): Date | undefined => {
  const match = AT.exec(expression ?? '');
  return match?.[1] === undefined ? undefined : new Date(`${match[1]}Z`);
};

/**
 * The emulator stores schedules but never fires them, so the sandbox does what EventBridge
 * Scheduler does in AWS: at each tick it fires every due one-time schedule of the group into the
 * same handler Lambda would run, then deletes it (ActionAfterCompletion DELETE). A failed
 * invocation stays and is retried at the next tick, like Scheduler's retry policy. A schedule
 * deleted while the tick runs (its grant ended) is skipped; the tick goes on with the others.
 */
const scheduleDispatcher = (input: {
  scheduler: SchedulerClient;
  groupName: string;
  invoke: (payload: unknown) => Promise<unknown>;
  logger: Logger;
  now?: () => Date;
}) => {
  const now = input.now ?? (() => new Date());
  /**
   * When each schedule not yet due is due, by name, as last read: a schedule whose modification
   * date has not changed since is not read again. Without this every tick would read every live
   * grant's schedule — hundreds of calls every two seconds that compete with the broker's own
   * calls to the emulator. A schedule that looks due is always read again before it fires.
   */
  let notYetDue = new Map<string, { readonly modified: number; readonly at: Date }>();
  const tick = async (): Promise<string[]> => {
    const fired: string[] = [];
    const seen = new Map<string, { readonly modified: number; readonly at: Date }>();
    let token: string | undefined;
    do {
      const page = await input.scheduler.send(
        new ListSchedulesCommand({ GroupName: input.groupName, NextToken: token })
      );
      for (const summary of page.Schedules ?? []) {
        const name = summary.Name as string;
        const modified = summary.LastModificationDate?.getTime();
        const known = notYetDue.get(name);
        if (known !== undefined && modified !== undefined && known.modified === modified && known.at > now()) {
          seen.set(name, known);
          continue;
        }
        const schedule = await input.scheduler
          .send(new GetScheduleCommand({ Name: name, GroupName: input.groupName }))
          .catch((error: Error) => {
            // Deleted between the list and the get (its grant ended meanwhile): nothing left to fire.
            if (error instanceof ResourceNotFoundException) return undefined;
            throw error;
          });
        if (schedule === undefined) continue;
        const at = dueAt(schedule.ScheduleExpression);
        if (at !== undefined && at > now() && modified !== undefined) seen.set(name, { modified, at });
        if (at === undefined || at > now()) continue;
        try {
          await input.invoke(JSON.parse(schedule.Target?.Input ?? '{}'));
          fired.push(name);
          // Ending a grant deletes its own schedule; what is left here is deleted now.
          await input.scheduler
            .send(new DeleteScheduleCommand({ Name: name, GroupName: input.groupName }))
            .catch((error: Error) => {
              if (!(error instanceof ResourceNotFoundException)) throw error;
            });
        } catch (error) {
          input.logger.error('scheduled invocation failed; retrying at the next tick', {
            schedule: name,
            error: (error as Error).message,
          });
        }
      }
      token = page.NextToken;
    } while (token !== undefined);
    // Only what is still listed: a deleted schedule is forgotten.
    notYetDue = seen;
    return fired;
  };
  return { tick };
};

export { scheduleDispatcher };
