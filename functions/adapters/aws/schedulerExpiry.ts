import { createHash } from 'node:crypto';
import {
  ConflictException,
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  type SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { ServiceUnavailableError } from '../../domain/errors.js';
import type { ExpiryScheduler } from '../../ports.js';
import { type OutageCodes, outageError } from './awsErrors.js';

/** Where expiry schedules live and what they invoke. */
interface ExpiryTarget {
  readonly groupName: string;
  /** The Lambda function that ends a grant. */
  readonly functionArn: string;
  /** The role Scheduler assumes to invoke it (and to write to the dead-letter queue). */
  readonly roleArn: string;
  /** SQS standard queue for invocations that still fail after every retry. */
  readonly deadLetterArn: string;
}

const SCHEDULER_OUTAGES: OutageCodes = {
  service: 'EventBridge Scheduler',
  throttled: 'SCHEDULER_UNAVAILABLE',
  unreachable: 'SCHEDULER_UNAVAILABLE',
  failing: 'SCHEDULER_UNAVAILABLE',
};

/** Scheduler's ceilings: an expiry must keep trying for as long as the service allows. */
const RETRY_POLICY = { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 };

/** One schedule per grant, found again by name alone. */
const expiryScheduleName = (grantId: string): string => `jit-expire-${grantId}`;

/**
 * `at(2026-11-23T09:30:01)` for Scheduler's one-time expressions, read in UTC. Rounds up to the
 * next whole second: firing a moment late is fine, firing before the grant expires is not.
 */
const atExpression = (date: Date): string => {
  const seconds = Math.ceil(date.getTime() / 1000);
  if (!Number.isFinite(seconds)) throw new RangeError('an expiry schedule needs a valid date');
  return `at(${new Date(seconds * 1000).toISOString().slice(0, 19)})`;
};

/**
 * The same grant and time always give the same token, so a re-run of the same call is one request
 * to Scheduler; a new time is a new request. A sha256 hex digest is exactly Scheduler's 64-character limit.
 */
const clientToken = (grantId: string, expression: string): string =>
  createHash('sha256').update(`${grantId}\n${expression}`).digest('hex');

const groupMissing = (groupName: string, error: unknown): ServiceUnavailableError =>
  new ServiceUnavailableError(
    'SCHEDULE_GROUP_MISSING',
    `the schedule group ${groupName} does not exist; deploy the broker's stack (or create the group) first`,
    { cause: error }
  );

/** ExpiryScheduler on EventBridge Scheduler one-time schedules that delete themselves after firing. */
class SchedulerExpiry implements ExpiryScheduler {
  readonly #scheduler: SchedulerClient;
  readonly #target: ExpiryTarget;

  constructor(client: SchedulerClient, target: ExpiryTarget) {
    this.#scheduler = client;
    this.#target = target;
  }

  async schedule(grantId: string, at: Date): Promise<void> {
    const definition = this.#definition(grantId, at);
    // Create, or move the one that exists (a retry, or an extension). It can vanish between the two
    // calls, when it fires and deletes itself or is cancelled; then creating it again is right, once.
    for (let round = 1; round <= 2; round++) {
      if ((await this.#create(definition)) === 'created') return;
      if ((await this.#update(definition)) === 'updated') return;
    }
    throw new ServiceUnavailableError(
      'SCHEDULER_UNAVAILABLE',
      `schedule ${definition.Name} kept appearing and disappearing while it was being set; try again`
    );
  }

  async cancel(grantId: string): Promise<void> {
    try {
      await this.#scheduler.send(
        new DeleteScheduleCommand({ Name: expiryScheduleName(grantId), GroupName: this.#target.groupName })
      );
    } catch (error) {
      // Already fired and deleted itself, or cancelled before: either way nothing is left to cancel.
      if (error instanceof ResourceNotFoundException) return;
      throw outageError(error, SCHEDULER_OUTAGES) ?? error;
    }
  }

  async #create(definition: CreateScheduleCommandInput): Promise<'created' | 'exists'> {
    try {
      await this.#scheduler.send(new CreateScheduleCommand(definition));
      return 'created';
    } catch (error) {
      if (error instanceof ConflictException) return 'exists';
      // Creating names the group, not the schedule: "not found" can only mean the group.
      if (error instanceof ResourceNotFoundException) throw groupMissing(this.#target.groupName, error);
      throw outageError(error, SCHEDULER_OUTAGES) ?? error;
    }
  }

  /** UpdateSchedule replaces every field, so it gets the whole definition again. */
  async #update(definition: CreateScheduleCommandInput): Promise<'updated' | 'missing'> {
    try {
      await this.#scheduler.send(new UpdateScheduleCommand(definition));
      return 'updated';
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return 'missing';
      throw outageError(error, SCHEDULER_OUTAGES) ?? error;
    }
  }

  #definition(grantId: string, at: Date): CreateScheduleCommandInput {
    const expression = atExpression(at);
    return {
      Name: expiryScheduleName(grantId),
      GroupName: this.#target.groupName,
      ScheduleExpression: expression,
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      State: 'ENABLED',
      ClientToken: clientToken(grantId, expression),
      Target: {
        Arn: this.#target.functionArn,
        RoleArn: this.#target.roleArn,
        Input: JSON.stringify({ grantId, reason: 'expiry' }),
        RetryPolicy: RETRY_POLICY,
        DeadLetterConfig: { Arn: this.#target.deadLetterArn },
      },
    };
  }
}

export type { ExpiryTarget };
export { atExpression, expiryScheduleName, SchedulerExpiry };
