import type { SandboxAbout } from '../api/brokerApi.js';
import type { OptionValues } from '../commandLine.js';
import type { Connection } from '../context.js';
import { ApiError } from '../errors.js';

/**
 * Where the grant's credentials are used: the Region (`--region`) and, against the sandbox, the
 * AWS emulator its keys work with. Commands put both wherever they hand credentials on (exec's
 * environment, a profile, a printed hint), so what they run or print reaches the right place.
 */
interface AwsTarget {
  readonly region?: string;
  /** The sandbox's AWS emulator; undefined against AWS. */
  readonly endpoint?: string;
}

/** Asks the sandbox where its emulator is; an older sandbox without the route means "nowhere known". */
const sandboxAbout = async (connection: Connection): Promise<SandboxAbout> => {
  if (connection.config.mode !== 'sandbox') return {};
  try {
    return await connection.api.sandbox();
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return {};
    throw error;
  }
};

/** `--region` wins; in the sandbox its emulator's Region otherwise (the emulator's bucket lives there). */
const awsTarget = async (connection: Connection, values: OptionValues): Promise<AwsTarget> => {
  const about = await sandboxAbout(connection);
  const region = (values.region as string | undefined) ?? about.region;
  return {
    ...(region === undefined ? {} : { region }),
    ...(about.awsEndpoint === undefined ? {} : { endpoint: about.awsEndpoint }),
  };
};

/** The variables that point AWS tools at the target (AWS_ENDPOINT_URL: AWS CLI ≥ 2.13, current SDKs). */
const targetVariables = (target: AwsTarget): Record<string, string> => ({
  ...(target.region === undefined ? {} : { AWS_REGION: target.region, AWS_DEFAULT_REGION: target.region }),
  ...(target.endpoint === undefined ? {} : { AWS_ENDPOINT_URL: target.endpoint }),
});

/** An `aws …` command line that works as printed: the endpoint spelled out, since older AWS CLIs ignore AWS_ENDPOINT_URL. */
const awsCommand = (target: AwsTarget, args: string): string =>
  `aws ${args}${target.endpoint === undefined ? '' : ` --endpoint-url ${target.endpoint}`}${target.region === undefined ? '' : ` --region ${target.region}`}`;

export type { AwsTarget };
export { awsCommand, awsTarget, targetVariables };
