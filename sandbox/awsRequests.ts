import type { IncomingMessage } from 'node:http';
import { iamActionOf } from '../functions/domain/activity.js';

/**
 * What the sandbox's recording proxy reads from a request to the AWS emulator: who signed it, which
 * API operation it is (as CloudTrail names it), the IAM action it needs, and the resources it acts on.
 */

/** The wire protocol a request speaks; errors must be answered in the same one. */
type Protocol =
  /** Form-encoded `Action=…` (IAM, STS, SNS, …). */
  | 'query'
  /** EC2's variant of the query protocol: same requests, another error document. */
  | 'ec2'
  /** `X-Amz-Target` with a JSON body (DynamoDB, KMS, CloudWatch Logs, …). */
  | 'json'
  /** S3's own REST-XML. */
  | 's3'
  /** REST with JSON bodies (Lambda, Scheduler, …): the default for anything else. */
  | 'rest-json';

interface AwsRequest {
  readonly accessKeyId: string;
  /** The SigV4 signing name: `s3`, `iam`, `sts`, `dynamodb`, … */
  readonly service: string;
  readonly region: string;
  readonly protocol: Protocol;
  /** The API operation, as CloudTrail's `eventName` has it. */
  readonly operation: string;
  /** The IAM action the call needs, `service:Action`; undefined when the operation is not known. */
  readonly action: string | undefined;
  /** The ARNs the call acts on; `*` where the request does not say (or this reader does not know). */
  readonly resources: readonly string[];
  /** The `Version` a query-protocol request names (its error document's namespace), when it names one. */
  readonly apiVersion?: string;
}

interface ResourceContext {
  /** The emulator's one account. */
  readonly account: string;
  /**
   * IAM role ARNs carry the role's path (`role/jit/prod-read`), which a request naming the role
   * (`RoleName=prod-read`) leaves out; the sandbox knows its catalog's roles. Other roles get no path.
   */
  readonly roleArnByName: ReadonlyMap<string, string>;
}

/** `Credential=ASIA…/20261123/us-east-1/s3/aws4_request`: in the Authorization header, or a presigned URL's query. */
const SIGV4_SCOPE = /Credential=([A-Z0-9]+)\/\d{8}\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request/;

/** S3 sub-resources whose operation (and IAM action) is named by the query string, per method. */
const S3_SUBRESOURCES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  acl: { GET: 'GetAcl', PUT: 'PutAcl' },
  policy: { GET: 'GetBucketPolicy', PUT: 'PutBucketPolicy', DELETE: 'DeleteBucketPolicy' },
  tagging: { GET: 'GetTagging', PUT: 'PutTagging' },
  versioning: { GET: 'GetBucketVersioning', PUT: 'PutBucketVersioning' },
  location: { GET: 'GetBucketLocation' },
  versions: { GET: 'ListObjectVersions' },
  uploads: { GET: 'ListMultipartUploads', POST: 'CreateMultipartUpload' },
  uploadId: { GET: 'ListParts', PUT: 'UploadPart', POST: 'CompleteMultipartUpload', DELETE: 'AbortMultipartUpload' },
  delete: { POST: 'DeleteObjects' },
};

/** `GetAcl` on a bucket is GetBucketAcl, on an object GetObjectAcl (the same for tagging). */
const s3Scoped = (operation: string, onObject: boolean): string => {
  const scoped = /^(Get|Put)(Acl|Tagging)$/.exec(operation);
  return scoped === null ? operation : `${scoped[1]}${onObject ? 'Object' : 'Bucket'}${scoped[2]}`;
};

/** The path-style bucket and key of an S3 request (the sandbox's endpoint is an IP address: path style). */
const s3Path = (url: URL): { bucket?: string; key?: string } => {
  const [bucket, ...key] = url.pathname.split('/').slice(1);
  return {
    ...(bucket ? { bucket: decodeURIComponent(bucket) } : {}),
    ...(key.length > 0 && key.join('/') !== '' ? { key: decodeURIComponent(key.join('/')) } : {}),
  };
};

/** The S3 REST operation a request is, for the common object and bucket calls and sub-resources. */
const s3Operation = (method: string, url: URL, headers: IncomingMessage['headers'] = {}): string => {
  const { bucket, key } = s3Path(url);
  if (bucket === undefined) return method === 'GET' ? 'ListBuckets' : 'Unknown';
  for (const [subresource, byMethod] of Object.entries(S3_SUBRESOURCES)) {
    const operation = url.searchParams.has(subresource) ? byMethod[method] : undefined;
    if (operation !== undefined) return s3Scoped(operation, key !== undefined);
  }
  if (key === undefined) {
    const bucketOps: Record<string, string> = {
      GET: url.searchParams.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects',
      PUT: 'CreateBucket',
      DELETE: 'DeleteBucket',
      HEAD: 'HeadBucket',
    };
    return bucketOps[method] ?? 'Unknown';
  }
  // CopyObject needs s3:GetObject on the source too; this reader checks the destination only.
  if (method === 'PUT' && headers['x-amz-copy-source'] !== undefined) return 'PutObject';
  const objectOps: Record<string, string> = {
    GET: 'GetObject',
    PUT: 'PutObject',
    DELETE: 'DeleteObject',
    HEAD: 'HeadObject',
  };
  return objectOps[method] ?? 'Unknown';
};

/** A query-protocol request's parameters: the URL's and, for a form-encoded POST, the body's. */
const queryParams = (url: URL, body: string): URLSearchParams => {
  const params = new URLSearchParams(url.searchParams);
  for (const [name, value] of new URLSearchParams(body)) params.append(name, value);
  return params;
};

const jsonBody = (body: string): Record<string, unknown> => {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
};

/** The API operation of a request in the query (STS, IAM), JSON (X-Amz-Target) or S3 REST protocol. */
const operationOf = (request: IncomingMessage, url: URL, body: string, service: string): string => {
  const target = request.headers['x-amz-target'];
  if (typeof target === 'string' && target.includes('.')) return target.slice(target.lastIndexOf('.') + 1);
  const action = queryParams(url, body).get('Action');
  if (action) return action;
  return service === 's3' ? s3Operation(request.method ?? 'GET', url, request.headers) : 'Unknown';
};

const protocolOf = (request: IncomingMessage, url: URL, body: string, service: string): Protocol => {
  if (typeof request.headers['x-amz-target'] === 'string') return 'json';
  if (service === 's3') return 's3';
  if (queryParams(url, body).has('Action')) return service === 'ec2' ? 'ec2' : 'query';
  return 'rest-json';
};

const XML_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

const s3Resources = (url: URL, body: string): string[] => {
  const { bucket, key } = s3Path(url);
  if (bucket === undefined) return ['*'];
  if (key === undefined && url.searchParams.has('delete')) {
    // DeleteObjects names its keys in the body; IAM decides s3:DeleteObject for each of them.
    const keys = [...body.matchAll(/<Key>([^<]*)<\/Key>/g)].map(([, k]) =>
      (k as string).replace(/&(amp|lt|gt|quot|apos);/g, (_, e: string) => XML_ENTITIES[e] ?? '')
    );
    return keys.length === 0 ? ['*'] : keys.map((k) => `arn:aws:s3:::${bucket}/${k}`);
  }
  return [key === undefined ? `arn:aws:s3:::${bucket}` : `arn:aws:s3:::${bucket}/${key}`];
};

/** DynamoDB names its tables in the body: one `TableName`, or several in batches and transactions. */
const dynamoResources = (body: Record<string, unknown>, region: string, account: string): string[] => {
  const table = (name: string) => `arn:aws:dynamodb:${region}:${account}:table/${name}`;
  if (typeof body.TableName === 'string') {
    const index = typeof body.IndexName === 'string' ? `/index/${body.IndexName}` : '';
    return [`${table(body.TableName)}${index}`];
  }
  if (typeof body.RequestItems === 'object' && body.RequestItems !== null) {
    return Object.keys(body.RequestItems).map(table);
  }
  if (Array.isArray(body.TransactItems)) {
    const names = body.TransactItems.flatMap((item: Record<string, { TableName?: unknown }>) =>
      Object.values(item ?? {}).map((inner) => inner?.TableName)
    ).filter((name): name is string => typeof name === 'string');
    if (names.length > 0) return [...new Set(names)].map(table);
  }
  return ['*'];
};

/** IAM names its entities by name (roles, users, groups, instance profiles) or its policies by ARN. */
const iamResources = (params: URLSearchParams, context: ResourceContext): string[] => {
  const arn = (kind: string, name: string) => `arn:aws:iam::${context.account}:${kind}/${name}`;
  const role = params.get('RoleName');
  if (role) return [context.roleArnByName.get(role) ?? arn('role', role)];
  // Users, groups and instance profiles can have paths too; the request does not name them.
  const named: [string, string][] = [
    ['UserName', 'user'],
    ['GroupName', 'group'],
    ['InstanceProfileName', 'instance-profile'],
  ];
  for (const [parameter, kind] of named) {
    const name = params.get(parameter);
    if (name) return [arn(kind, name)];
  }
  const policy = params.get('PolicyArn');
  return [policy ?? '*'];
};

const resourcesOf = (service: string, url: URL, body: string, region: string, context: ResourceContext): string[] => {
  if (service === 's3') return s3Resources(url, body);
  if (service === 'dynamodb') return dynamoResources(jsonBody(body), region, context.account);
  if (service === 'iam') return iamResources(queryParams(url, body), context);
  if (service === 'sts') return [queryParams(url, body).get('RoleArn') ?? '*'];
  // Every other service: the resource is not read from the request. `*` makes the evaluator ask
  // whether the policies allow the action on some resource: looser than AWS (docs/sandbox-iam.md).
  return ['*'];
};

/** The request read as the proxy needs it, or undefined when it is not SigV4-signed. */
const readAwsRequest = (request: IncomingMessage, body: string, context: ResourceContext): AwsRequest | undefined => {
  const url = new URL(request.url ?? '/', 'http://sandbox');
  const scope =
    SIGV4_SCOPE.exec(String(request.headers.authorization ?? '')) ??
    SIGV4_SCOPE.exec(`Credential=${url.searchParams.get('X-Amz-Credential') ?? ''}`);
  if (scope === null) return undefined;
  const [, accessKeyId, region, service] = scope as unknown as [string, string, string, string];
  const protocol = protocolOf(request, url, body, service);
  const operation = operationOf(request, url, body, service);
  const apiVersion = protocol === 'query' || protocol === 'ec2' ? queryParams(url, body).get('Version') : null;
  return {
    accessKeyId,
    service,
    region,
    protocol,
    operation,
    action: operation === 'Unknown' ? undefined : iamActionOf(`${service}.amazonaws.com`, operation),
    resources: resourcesOf(service, url, body, region, context),
    ...(apiVersion ? { apiVersion } : {}),
  };
};

export type { AwsRequest, Protocol, ResourceContext };
export { operationOf, readAwsRequest };
