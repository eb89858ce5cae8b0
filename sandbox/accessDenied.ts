import { randomUUID } from 'node:crypto';
import type { Protocol } from './awsRequests.js';

/**
 * AccessDenied as AWS answers it, per wire protocol, so SDKs and the AWS CLI read it as they read
 * AWS's own (docs/sandbox-iam.md has the sources). CloudTrail logs the service's error code as the
 * record's `errorCode`: `AccessDenied` for S3, IAM and STS, `AccessDeniedException` for the JSON
 * protocols (DynamoDB), `UnauthorizedOperation` for EC2.
 */

/** Why IAM refused: which kind of policy, and whether it denied explicitly or allowed nothing. */
interface DenialReason {
  readonly explicit: boolean;
  /** As AWS's messages name it: `identity-based`, `session`, `permissions boundary`, … */
  readonly policyType: string;
}

interface Denial {
  /** The caller: `arn:aws:sts::123456789012:assumed-role/prod-read/alice.g-01…`. */
  readonly principalArn: string;
  readonly action: string;
  /** `*` when the call acts on no particular resource (the message then names none). */
  readonly resource: string;
  readonly reason: DenialReason;
}

interface DeniedAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** What CloudTrail records as `errorCode` for this refusal. */
  readonly errorCode: string;
  readonly errorMessage: string;
}

const article = (word: string) => (/^[aeiou]/i.test(word) ? 'an' : 'a');

/**
 * IAM's message (IAM User Guide, "Troubleshoot access denied error messages"): `User: <arn> is not
 * authorized to perform: <action> [on resource: <arn>] because no <type> policy allows the <action>
 * action`, or `… with an explicit deny in a(n) <type> policy`. S3 quotes the resource.
 */
const denialMessage = (denial: Denial, quoteResource = false): string => {
  const { principalArn, action, resource, reason } = denial;
  const on = resource === '*' ? '' : ` on resource: ${quoteResource ? `"${resource}"` : resource}`;
  const why = reason.explicit
    ? `with an explicit deny in ${article(reason.policyType)} ${reason.policyType} policy`
    : `because no ${reason.policyType} policy allows the ${action} action`;
  return `User: ${principalArn} is not authorized to perform: ${action}${on} ${why}`;
};

const xmlEscape = (text: string): string =>
  text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c);

/** The query protocol's namespace: `https://iam.amazonaws.com/doc/2010-05-08/`. */
const QUERY_VERSIONS: Readonly<Record<string, string>> = { iam: '2010-05-08', sts: '2011-06-15' };

/** The refusal of one call, in the protocol the caller spoke; a string is a message of its own. */
const accessDeniedAnswer = (
  protocol: Protocol,
  service: string,
  denial: Denial | string,
  apiVersion?: string,
  requestId: string = randomUUID()
): DeniedAnswer => {
  const idHeader = { 'x-amzn-requestid': requestId };
  if (protocol === 's3') {
    const message = typeof denial === 'string' ? denial : denialMessage(denial, true);
    return {
      status: 403,
      headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId },
      body:
        '<?xml version="1.0" encoding="UTF-8"?>\n' +
        `<Error><Code>AccessDenied</Code><Message>${xmlEscape(message)}</Message>` +
        `<RequestId>${requestId}</RequestId><HostId>${requestId}</HostId></Error>`,
      errorCode: 'AccessDenied',
      errorMessage: message,
    };
  }
  const message = typeof denial === 'string' ? denial : denialMessage(denial);
  if (protocol === 'query') {
    const version = apiVersion ?? QUERY_VERSIONS[service] ?? '2010-05-08';
    return {
      status: 403,
      headers: { 'content-type': 'text/xml', ...idHeader },
      body:
        `<ErrorResponse xmlns="https://${service}.amazonaws.com/doc/${xmlEscape(version)}/">` +
        `<Error><Type>Sender</Type><Code>AccessDenied</Code><Message>${xmlEscape(message)}</Message></Error>` +
        `<RequestId>${requestId}</RequestId></ErrorResponse>`,
      errorCode: 'AccessDenied',
      errorMessage: message,
    };
  }
  if (protocol === 'ec2') {
    const ec2Message = `You are not authorized to perform this operation. ${message}`;
    return {
      status: 403,
      headers: { 'content-type': 'text/xml;charset=UTF-8' },
      body:
        '<?xml version="1.0" encoding="UTF-8"?>\n' +
        `<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>${xmlEscape(ec2Message)}</Message>` +
        `</Error></Errors><RequestID>${requestId}</RequestID></Response>`,
      errorCode: 'Client.UnauthorizedOperation',
      errorMessage: ec2Message,
    };
  }
  if (protocol === 'json') {
    // DynamoDB answers 400 with the coral type name; the SDKs read the part after '#'.
    return {
      status: 400,
      headers: { 'content-type': 'application/x-amz-json-1.0', ...idHeader },
      body: JSON.stringify({ __type: 'com.amazon.coral.service#AccessDeniedException', Message: message }),
      errorCode: 'AccessDeniedException',
      errorMessage: message,
    };
  }
  return {
    status: 403,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'AccessDeniedException', ...idHeader },
    body: JSON.stringify({ Message: message }),
    errorCode: 'AccessDeniedException',
    errorMessage: message,
  };
};

export type { Denial, DenialReason, DeniedAnswer };
export { accessDeniedAnswer, denialMessage };
