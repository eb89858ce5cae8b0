/** A base exception class of an SDK client (STSServiceException, IAMServiceException, …). */
type ServiceExceptionClass = new (options: {
  name: string;
  $fault: 'client' | 'server';
  message: string;
  $metadata: { httpStatusCode?: number; attempts?: number };
}) => Error;

/**
 * Config for a client whose calls aws-sdk-client-mock intercepts. Nothing listens on its endpoint,
 * so if the mock ever stopped intercepting, nothing would leave the host.
 */
const offlineClientConfig = {
  region: 'us-east-1',
  endpoint: 'http://127.0.0.1:9',
  credentials: { accessKeyId: 'AKIDOFFLINETEST', secretAccessKey: 'offline' },
  maxAttempts: 1,
};

/** An error as the SDK throws it for a code its model does not list (AccessDenied, Throttling, InternalFailure). */
const serviceFault = (Base: ServiceExceptionClass, name: string, httpStatusCode: number): Error =>
  new Base({
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    message: `${name} (injected)`,
    $metadata: { httpStatusCode, attempts: 3 },
  });

/** A socket error as it leaves the SDK after its retries: no HTTP status, only the retry middleware's $metadata. */
const socketError = (code: string): Error =>
  Object.assign(new Error(`connect ${code} 127.0.0.1:9`), { code, $metadata: { attempts: 3, totalRetryDelay: 120 } });

const rejectionOf = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error
  );

export { offlineClientConfig, rejectionOf, serviceFault, socketError };
