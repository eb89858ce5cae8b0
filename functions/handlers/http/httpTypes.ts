import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Caller } from '../../domain/caller.js';

/** What API Gateway's IAM (SigV4) authorizer puts in a v2.0 payload. */
interface IamAuthorizerContext {
  readonly accessKey?: string;
  readonly accountId?: string;
  readonly userArn?: string;
  readonly userId?: string;
}

/**
 * The sandbox server's own authorizer context. API Gateway never produces a `sandbox` authorizer,
 * and only the sandbox authenticator reads it.
 */
interface SandboxAuthorizerContext {
  readonly userId: string;
}

/** Filled in by the route middlewares before the handler runs. */
interface ParsedInput {
  readonly caller?: Caller;
  readonly body?: unknown;
  readonly query: Readonly<Record<string, string>>;
  readonly params: Readonly<Record<string, string>>;
}

type HttpEvent = Omit<APIGatewayProxyEventV2, 'requestContext'> & {
  requestContext: APIGatewayProxyEventV2['requestContext'] & {
    authorizer?: { iam?: IamAuthorizerContext; sandbox?: SandboxAuthorizerContext };
  };
  input?: ParsedInput;
};

type HttpResponse = APIGatewayProxyStructuredResultV2 & { statusCode: number; body: string };

export type { HttpEvent, HttpResponse, IamAuthorizerContext, ParsedInput, SandboxAuthorizerContext };
