/**
 * A template's value as CloudFormation would resolve it in one account: the pseudo parameters,
 * the stack's parameters, and the intrinsics the organization templates use (Ref, Fn::GetAtt,
 * Fn::Join, Fn::Split, Fn::Select); other resources stand as `<logical id>`. Anything else is an error, so a new intrinsic cannot be silently misread.
 */
interface Deployment {
  readonly account: string;
  readonly region?: string;
  readonly partition?: string;
  readonly parameters?: Readonly<Record<string, string | readonly string[]>>;
  /** The template's logical ids: a Ref or Fn::GetAtt to one of them resolves to `<id>` / `<id.Attribute>`. */
  readonly logicalIds?: readonly string[];
}

const resolveIn = (value: unknown, deployment: Deployment): unknown => {
  if (Array.isArray(value)) return value.map((v) => resolveIn(v, deployment));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  const [key, argument] = entries[0] ?? [];
  if (entries.length === 1 && key === 'Ref') return ref(argument as string, deployment);
  if (entries.length === 1 && key === 'Fn::GetAtt') {
    const [id, attribute] = argument as [string, string];
    if (!deployment.logicalIds?.includes(id)) throw new Error(`Fn::GetAtt of unknown resource ${id}`);
    return `<${id}.${attribute}>`;
  }
  if (entries.length === 1 && key === 'Fn::Join') {
    const [separator, parts] = argument as [string, unknown];
    return (resolveIn(parts, deployment) as string[]).join(separator);
  }
  if (entries.length === 1 && key === 'Fn::Split') {
    const [separator, text] = argument as [string, unknown];
    return (resolveIn(text, deployment) as string).split(separator);
  }
  if (entries.length === 1 && key === 'Fn::Select') {
    const [index, list] = argument as [number, unknown];
    return (resolveIn(list, deployment) as unknown[])[index];
  }
  if (entries.length === 1 && key?.startsWith('Fn::')) throw new Error(`templateValues does not resolve ${key}`);
  return Object.fromEntries(entries.map(([k, v]) => [k, resolveIn(v, deployment)]));
};

const ref = (name: string, deployment: Deployment): unknown => {
  const pseudo: Record<string, string> = {
    'AWS::AccountId': deployment.account,
    'AWS::Region': deployment.region ?? 'eu-west-1',
    'AWS::Partition': deployment.partition ?? 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
  };
  const value =
    pseudo[name] ?? deployment.parameters?.[name] ?? (deployment.logicalIds?.includes(name) ? `<${name}>` : undefined);
  if (value === undefined) throw new Error(`no value for Ref ${name}`);
  return value;
};

export type { Deployment };
export { resolveIn };
