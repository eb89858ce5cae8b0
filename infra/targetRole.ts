import { Duration, Tags } from 'aws-cdk-lib';
import {
  ArnPrincipal,
  type CfnRole,
  CompositePrincipal,
  type IManagedPolicy,
  PolicyDocument,
  PolicyStatement,
  Role,
} from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** The tag the broker's own IAM policies require on every role it may assume or write a kill policy to. */
const MANAGED_TAG = { key: 'jit-broker:managed', value: 'true' } as const;

/** The session tags the broker sets (functions/domain/vending.ts); nothing else may be tagged. */
/** Every key the broker may tag a session with; CI sessions add their repository and run. */
const SESSION_TAG_KEYS = ['jit-grant-id', 'jit-requester', 'jit-role', 'jit-repository', 'jit-run'] as const;

/** Grant ids are `g-<ulid>`; the broker sets one as the source identity of every session. */
const SOURCE_IDENTITY_PATTERN = 'g-*';

interface JitTargetRoleProps {
  /**
   * ARNs of the broker's role(s) that vend credentials (the `vendCredentials` function's role, output
   * `VendRoleArn` of the broker's stack). Only they may assume this role.
   */
  readonly brokerRoleArns: readonly string[];
  readonly roleName?: string;
  /** IAM path; default `/jit/`, the path the example catalog uses. */
  readonly path?: string;
  readonly description?: string;
  /**
   * The longest session STS may issue. The broker's sessions are role chaining, capped at one hour
   * whatever this says, so one hour (the default) is right unless another caller needs more.
   */
  readonly maxSessionDuration?: Duration;
  /** What a session may do at most (the broker narrows every session further with a session policy). */
  readonly managedPolicies?: readonly IManagedPolicy[];
  readonly inlinePolicies?: Readonly<Record<string, PolicyDocument>>;
  readonly permissionsBoundary?: IManagedPolicy;
}

/**
 * A target role in a workload account, for platform teams: the role the broker assumes to vend
 * task-scoped sessions. It trusts only the broker's role(s), only with a grant id as the source
 * identity (`g-*`), and only with the broker's session tags; it carries `jit-broker:managed=true`,
 * without which the broker's own policy does not let it touch the role. What the role may do is
 * up to the platform team (managedPolicies / inlinePolicies); the catalog's ceiling and the
 * session policy narrow it per grant.
 */
class JitTargetRole extends Construct {
  readonly role: Role;

  constructor(scope: Construct, id: string, props: JitTargetRoleProps) {
    super(scope, id);
    if (props.brokerRoleArns.length === 0) throw new Error('JitTargetRole needs at least one broker role ARN');
    const brokers = props.brokerRoleArns.map((arn) => new ArnPrincipal(arn));
    this.role = new Role(this, 'Role', {
      roleName: props.roleName,
      path: props.path ?? '/jit/',
      description: props.description ?? 'Assumed by jit-broker to vend task-scoped, short-lived sessions',
      // The trust policy is written below: its statements need conditions per action.
      assumedBy: new CompositePrincipal(...brokers),
      maxSessionDuration: props.maxSessionDuration ?? Duration.hours(1),
      managedPolicies: props.managedPolicies ? [...props.managedPolicies] : undefined,
      inlinePolicies: props.inlinePolicies ? { ...props.inlinePolicies } : undefined,
      permissionsBoundary: props.permissionsBoundary,
    });
    const trust = new PolicyDocument({
      statements: [
        new PolicyStatement({
          sid: 'BrokerAssumesWithGrantIdentity',
          principals: brokers,
          actions: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
          conditions: { StringLike: { 'sts:SourceIdentity': SOURCE_IDENTITY_PATTERN } },
        }),
        new PolicyStatement({
          sid: 'BrokerTagsSessionsWithGrant',
          principals: brokers,
          actions: ['sts:TagSession'],
          conditions: { 'ForAllValues:StringEquals': { 'aws:TagKeys': [...SESSION_TAG_KEYS] } },
        }),
      ],
    });
    (this.role.node.defaultChild as CfnRole).assumeRolePolicyDocument = trust;
    Tags.of(this.role).add(MANAGED_TAG.key, MANAGED_TAG.value);
  }
}

export type { JitTargetRoleProps };
export { JitTargetRole, MANAGED_TAG, SESSION_TAG_KEYS, SOURCE_IDENTITY_PATTERN };
