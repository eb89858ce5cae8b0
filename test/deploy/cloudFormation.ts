/**
 * Just enough of CloudFormation to read synthesized templates as a deployed stack would be: every
 * intrinsic function CDK writes into the broker's templates resolves to the string CloudFormation
 * would put there, for one chosen partition, Region and account. Physical names that CloudFormation
 * would generate are made up (`<stack>-<logical id>`, lower case); anything unknown throws, so the
 * deploy tier never evaluates a policy it only half understands.
 */
interface Template {
  readonly Parameters?: Record<string, { Default?: unknown }>;
  readonly Resources: Record<string, Resource>;
  readonly Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
}

interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

interface DeployEnvironment {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

/** The property that names a resource explicitly, per type; otherwise CloudFormation makes a name up. */
const NAME_PROPERTY: Record<string, string> = {
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::Events::EventBus': 'Name',
  'AWS::Events::Rule': 'Name',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::Scheduler::ScheduleGroup': 'Name',
};

class DeployedStacks {
  readonly #templates: Readonly<Record<string, Template>>;
  readonly env: DeployEnvironment;

  constructor(templates: Readonly<Record<string, Template>>, env: DeployEnvironment) {
    this.#templates = templates;
    this.env = env;
  }

  template(stack: string): Template {
    const found = this.#templates[stack];
    if (found === undefined) throw new Error(`no stack ${stack}`);
    return found;
  }

  resource(stack: string, logicalId: string): Resource {
    const found = this.template(stack).Resources[logicalId];
    if (found === undefined) throw new Error(`${stack} has no resource ${logicalId}`);
    return found;
  }

  /** Every resource of a type in a stack, by logical id. */
  resourcesOf(stack: string, type: string): [string, Resource][] {
    return Object.entries(this.template(stack).Resources).filter(([, r]) => r.Type === type);
  }

  /** A value with every intrinsic function resolved. */
  resolve(stack: string, value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(stack, v));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    const [key, argument] = entries[0] ?? [];
    if (entries.length === 1 && key !== undefined && (key === 'Ref' || key.startsWith('Fn::'))) {
      return this.#intrinsic(stack, key, argument);
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(stack, v)]));
  }

  resolveString(stack: string, value: unknown): string {
    const resolved = this.resolve(stack, value);
    if (typeof resolved !== 'string') throw new Error(`expected a string, got ${JSON.stringify(resolved)}`);
    return resolved;
  }

  #intrinsic(stack: string, fn: string, argument: unknown): unknown {
    const args = Array.isArray(argument) ? argument : [argument];
    switch (fn) {
      case 'Ref':
        return this.#ref(stack, String(argument));
      case 'Fn::GetAtt':
        return this.#attribute(stack, String(args[0]), String(args[1]));
      case 'Fn::Join':
        return (this.resolve(stack, args[1]) as unknown[]).join(String(args[0]));
      case 'Fn::Select':
        return (this.resolve(stack, args[1]) as unknown[])[Number(this.resolve(stack, args[0]))];
      case 'Fn::Split':
        return this.resolveString(stack, args[1]).split(String(args[0]));
      case 'Fn::ImportValue':
        return this.#import(this.resolveString(stack, argument));
      default:
        throw new Error(`the deploy tier does not resolve ${fn} (in ${stack})`);
    }
  }

  #ref(stack: string, name: string): unknown {
    const { partition, region, account } = this.env;
    const pseudo: Record<string, string> = {
      'AWS::Partition': partition,
      'AWS::Region': region,
      'AWS::AccountId': account,
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': stack,
    };
    if (name in pseudo) return pseudo[name];
    const parameter = this.template(stack).Parameters?.[name];
    if (parameter !== undefined) return parameter.Default;
    const resource = this.resource(stack, name);
    switch (resource.Type) {
      case 'AWS::SQS::Queue':
        return `https://sqs.${region}.amazonaws.com/${account}/${this.physicalName(stack, name)}`;
      case 'AWS::SNS::Topic':
        return this.#attribute(stack, name, 'TopicArn');
      default:
        return this.physicalName(stack, name);
    }
  }

  /** The resource's name, as given in the template or as CloudFormation would make it up. */
  physicalName(stack: string, logicalId: string): string {
    const resource = this.resource(stack, logicalId);
    const property = NAME_PROPERTY[resource.Type];
    const given = property === undefined ? undefined : resource.Properties?.[property];
    if (given !== undefined) return this.resolveString(stack, given);
    // Role names keep their case (`JitBroker-…`, which the audit chain key's policy matches); bucket
    // names and the rest are lower case here.
    if (resource.Type === 'AWS::IAM::Role') return `${stack}-${logicalId}`;
    return `${stack}-${logicalId}`.toLowerCase();
  }

  #attribute(stack: string, logicalId: string, attribute: string): string {
    const { partition, region, account } = this.env;
    const resource = this.resource(stack, logicalId);
    const name = () => this.physicalName(stack, logicalId);
    const arn = (service: string, rest: string, global = false) =>
      `arn:${partition}:${service}:${global ? '' : region}:${account}:${rest}`;
    const key = `${resource.Type}.${attribute}`;
    switch (key) {
      case 'AWS::DynamoDB::Table.Arn':
        return arn('dynamodb', `table/${name()}`);
      case 'AWS::DynamoDB::Table.StreamArn':
        return arn('dynamodb', `table/${name()}/stream/2026-01-01T00:00:00.000`);
      case 'AWS::IAM::Role.Arn': {
        const path = String(this.resolve(stack, resource.Properties?.Path) ?? '/');
        return arn('iam', `role${path}${name()}`, true);
      }
      case 'AWS::Lambda::Function.Arn':
        return arn('lambda', `function:${name()}`);
      case 'AWS::SQS::Queue.Arn':
        return arn('sqs', name());
      case 'AWS::SQS::Queue.QueueName':
        return name();
      case 'AWS::Logs::LogGroup.Arn':
        // CloudFormation's Arn of a log group ends in `:*` (it covers the group's streams).
        return arn('logs', `log-group:${name()}:*`);
      case 'AWS::Events::EventBus.Arn':
        return arn('events', `event-bus/${name()}`);
      case 'AWS::Events::EventBus.Name':
        return name();
      case 'AWS::Events::Rule.Arn':
        return arn('events', `rule/${name()}`);
      case 'AWS::S3::Bucket.Arn':
        return `arn:${partition}:s3:::${name()}`;
      case 'AWS::SNS::Topic.TopicArn':
        return arn('sns', name());
      case 'AWS::KMS::Key.Arn':
        return arn('kms', `key/${logicalId.toLowerCase()}`);
      case 'AWS::Scheduler::ScheduleGroup.Arn':
        return arn('scheduler', `schedule-group/${name()}`);
      case 'AWS::ApiGatewayV2::Api.ApiEndpoint':
        return `https://${name()}.execute-api.${region}.amazonaws.com`;
      default:
        throw new Error(`the deploy tier does not know the attribute ${key} (${stack}/${logicalId})`);
    }
  }

  /** An export of any stack, by its name. */
  #import(exportName: string): unknown {
    for (const stack of Object.keys(this.#templates)) {
      for (const output of Object.values(this.template(stack).Outputs ?? {})) {
        if (output.Export !== undefined && this.resolve(stack, output.Export.Name) === exportName) {
          return this.resolve(stack, output.Value);
        }
      }
    }
    throw new Error(`no stack exports ${exportName}`);
  }
}

export type { DeployEnvironment, Resource, Template };
export { DeployedStacks };
