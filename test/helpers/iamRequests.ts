import { KILLER_SESSION_NAME } from '../../functions/adapters/aws/crossAccountRolePolicies.js';
import { ORG_KILLER_SESSION_NAME } from '../../functions/adapters/aws/organizationsKillPolicy.js';

/**
 * What IAM authorizes for one SDK call: each action, on which resource, with which request context.
 * Resources are written with placeholders for what differs between a test run and a deployment;
 * test/deploy fills them in from the deployed function's environment and the catalog:
 *
 * | placeholder | deployed value |
 * |---|---|
 * | `{Partition}`, `{Region}`, `{Account}` | the stack's |
 * | `{GrantTable}` | the function's `TABLE_NAME` |
 * | `{ScheduleGroup}` | its `SCHEDULE_GROUP` |
 * | `{SchedulerRole}` | its `SCHEDULER_ROLE_ARN` |
 * | `{EventBus}` | its `EVENT_BUS_NAME` |
 * | `{AuditArchive}` | its `AUDIT_ARCHIVE_BUCKET` |
 * | `{ChainKey}` | its `CHAIN_SIGNING_KEY_ARN` |
 * | `{TargetRole}` | every catalog role ARN |
 * | `{GrantId}`, `{Seq}` | an example grant id and sequence number |
 * | `{TokenId}`, `{DenialId}` | the variable part of a used CI token's and a denial record's partition key |
 */
interface IamRequest {
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

const GRANT_ID = /g-[0-9a-z]{26}/g;

/** Grant ids vary from run to run; the rest of a name is what the code chose. */
const generic = (name: string): string => name.replace(GRANT_ID, '{GrantId}');

/** `audit/g-…/00000001.ndjson` → `audit/{GrantId}/{Seq}.ndjson`. */
const archiveKey = (key: string): string => generic(key).replace(/\/\d{8}\./, '/{Seq}.');

/**
 * The partition key an item operation names, as IAM sees it in `dynamodb:LeadingKeys`, with what
 * varies from run to run made a placeholder: `GRANT#{GrantId}`, `ROLEKILL#{TargetRole}`,
 * `JTI#{TokenId}`, `DENIAL#{DenialId}`.
 */
const leadingKey = (pk: string): string => {
  const [type] = pk.split('#', 1);
  if (type === 'ROLEKILL') return 'ROLEKILL#{TargetRole}';
  if (type === 'JTI') return 'JTI#{TokenId}';
  if (type === 'DENIAL') return 'DENIAL#{DenialId}';
  return generic(pk);
};

/** The table partition an item operation or a table Query touches (an index Query names none: it reads the index). */
const partitionOf = (operation: string, input: Input): string | undefined => {
  if (input.IndexName !== undefined) return undefined;
  if (operation === 'PutItem' || operation === 'Put') return input.Item?.PK?.S ?? input.Item?.PK;
  if (operation === 'Query') {
    const [, name, value] = /^\s*(#?\w+)\s*=\s*(:\w+)/.exec(String(input.KeyConditionExpression ?? '')) ?? [];
    const attribute = name?.startsWith('#') ? input.ExpressionAttributeNames?.[name] : name;
    const pk = attribute === 'PK' && value !== undefined ? input.ExpressionAttributeValues?.[value] : undefined;
    return pk?.S ?? pk;
  }
  return input.Key?.PK?.S ?? input.Key?.PK;
};

/** `dynamodb:LeadingKeys` for the call, as IAM's fine-grained access control evaluates it. */
const leadingKeys = (operation: string, input: Input) => {
  const pk = partitionOf(operation, input);
  return typeof pk === 'string' ? { context: { 'dynamodb:LeadingKeys': [leadingKey(pk)] } } : {};
};

const REGIONAL = (service: string) => `arn:{Partition}:${service}:{Region}:{Account}`;
const TABLE = `${REGIONAL('dynamodb')}:table/{GrantTable}`;

// biome-ignore lint/suspicious/noExplicitAny: SDK inputs of every command go through here
type Input = Record<string, any>;

const dynamodb = (operation: string, input: Input): IamRequest[] => {
  const on = (table: string | undefined, index?: string) => {
    if (table === undefined) throw new Error(`DynamoDB ${operation} without a TableName`);
    return index === undefined ? TABLE : `${TABLE}/index/${index}`;
  };
  switch (operation) {
    case 'TransactWriteItems':
      // IAM authorizes each item's own action (PutItem, UpdateItem, DeleteItem, ConditionCheckItem), on its own key.
      return (input.TransactItems as Input[]).map((item) => {
        const [kind, body] = Object.entries(item)[0] as [string, Input];
        const action = kind === 'ConditionCheck' ? 'ConditionCheckItem' : `${kind}Item`;
        return { action: `dynamodb:${action}`, resource: on(body.TableName), ...leadingKeys(kind, body) };
      });
    case 'TransactGetItems':
      return (input.TransactItems as Input[]).map((item) => ({
        action: 'dynamodb:GetItem',
        resource: on(item.Get.TableName),
        ...leadingKeys('GetItem', item.Get),
      }));
    case 'BatchGetItem':
    case 'BatchWriteItem':
      return Object.keys(input.RequestItems as Input).map((table) => ({
        action: `dynamodb:${operation}`,
        resource: on(table),
      }));
    default:
      return [
        {
          action: `dynamodb:${operation}`,
          resource: on(input.TableName, input.IndexName),
          ...leadingKeys(operation, input),
        },
      ];
  }
};

/** The audit chain's key: whichever key the test signed with stands for the deployed one. */
const kms = (operation: string, input: Input): IamRequest[] => {
  if (!['Sign', 'GetPublicKey', 'Verify'].includes(operation)) throw new Error(`no IAM mapping for KMS ${operation}`);
  if (!/^arn:aws:kms:/.test(String(input.KeyId)))
    throw new Error(`KMS ${operation} names its key by ${input.KeyId}, not by ARN`);
  return [{ action: `kms:${operation}`, resource: '{ChainKey}' }];
};

const sts = (operation: string, input: Input): IamRequest[] => {
  if (operation === 'GetCallerIdentity') return []; // needs no permission
  if (operation !== 'AssumeRole') throw new Error(`no IAM mapping for STS ${operation}`);
  // The organization-wide kill is optional and off in the deployment test/deploy synthesizes: that
  // its wiring allows assuming exactly the org killer is checked on a synth with it on (test/infra/orgKill).
  if (input.RoleSessionName === ORG_KILLER_SESSION_NAME) return [];
  // The session killer is assumed under its own session name; everything else assumed is a target role.
  const resource = input.RoleSessionName === KILLER_SESSION_NAME ? String(input.RoleArn) : '{TargetRole}';
  const tags = ((input.Tags ?? []) as { Key: string }[]).map((t) => t.Key).sort();
  const context = {
    ...(tags.length > 0 ? { 'aws:TagKeys': tags } : {}),
    ...(input.SourceIdentity === undefined ? {} : { 'sts:SourceIdentity': generic(String(input.SourceIdentity)) }),
  };
  return [
    { action: 'sts:AssumeRole', resource, context },
    ...(tags.length > 0 ? [{ action: 'sts:TagSession', resource, context }] : []),
    ...(input.SourceIdentity === undefined ? [] : [{ action: 'sts:SetSourceIdentity', resource, context }]),
  ];
};

const iam = (operation: string, input: Input): IamRequest[] => {
  // The broker changes only target roles' inline policies (the kill policy).
  if (input.RoleName === undefined) throw new Error(`no IAM mapping for IAM ${operation} without a RoleName`);
  return [{ action: `iam:${operation}`, resource: '{TargetRole}' }];
};

const scheduler = (operation: string, input: Input): IamRequest[] => {
  const schedule = `${REGIONAL('scheduler')}:schedule/{ScheduleGroup}/${generic(String(input.Name))}`;
  const passes = (operation === 'CreateSchedule' || operation === 'UpdateSchedule') && input.Target?.RoleArn;
  return [
    { action: `scheduler:${operation}`, resource: schedule },
    // Creating or updating a schedule passes its target role to Scheduler.
    ...(passes
      ? [
          {
            action: 'iam:PassRole',
            resource: '{SchedulerRole}',
            context: { 'iam:PassedToService': 'scheduler.amazonaws.com' },
          },
        ]
      : []),
  ];
};

const s3 = (operation: string, input: Input): IamRequest[] => {
  const object = `arn:{Partition}:s3:::{AuditArchive}/${archiveKey(String(input.Key))}`;
  switch (operation) {
    case 'PutObject':
      return [
        {
          action: 's3:PutObject',
          resource: object,
          context: {
            's3:ObjectCreationOperation': 'true',
            ...(input.IfNoneMatch === undefined ? {} : { 's3:if-none-match': String(input.IfNoneMatch) }),
          },
        },
      ];
    case 'GetObject':
    case 'HeadObject':
      return [{ action: input.VersionId === undefined ? 's3:GetObject' : 's3:GetObjectVersion', resource: object }];
    case 'ListObjectVersions':
      return [
        {
          action: 's3:ListBucketVersions',
          resource: 'arn:{Partition}:s3:::{AuditArchive}',
          context: { 's3:prefix': archiveKey(String(input.Prefix)) },
        },
      ];
    default:
      throw new Error(`no IAM mapping for S3 ${operation}`);
  }
};

const BY_CLIENT: Record<string, (operation: string, input: Input) => IamRequest[]> = {
  DynamoDBClient: dynamodb,
  STSClient: sts,
  IAMClient: iam,
  SchedulerClient: scheduler,
  S3Client: s3,
  KMSClient: kms,
  CloudTrailClient: (operation) => [{ action: `cloudtrail:${operation}`, resource: '*' }],
  // Made with the org killer's credentials, never the function's: JitOrgKiller's own policy allows them.
  OrganizationsClient: () => [],
  EventBridgeClient: (operation) => {
    if (operation !== 'PutEvents') throw new Error(`no IAM mapping for EventBridge ${operation}`);
    return [{ action: 'events:PutEvents', resource: `${REGIONAL('events')}:event-bus/{EventBus}` }];
  },
};

/** The IAM requests one SDK command makes; throws for a client or command nobody has mapped yet. */
const iamRequestsOf = (clientName: string, commandName: string, input: Input): IamRequest[] => {
  const translate = BY_CLIENT[clientName];
  if (translate === undefined) {
    throw new Error(`no IAM mapping for ${clientName}: add one to test/helpers/iamRequests.ts`);
  }
  return translate(commandName.replace(/Command$/, ''), input);
};

export type { IamRequest };
export { iamRequestsOf };
