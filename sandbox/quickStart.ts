import { consoleUrl } from './sandboxConsole.js';
import type { Sandbox } from './startSandbox.js';

const ACCESS: Record<Sandbox['access']['mode'], string> = {
  emulator: 'local AWS emulator (moto_server): STS, IAM and Scheduler',
  aws: "this machine's AWS credentials (real STS and IAM; the sweeper handles expiry)",
  none: 'none — vending answers 503 until you install moto_server (pip install "moto[server]") or use --aws',
};

/** How to play a CI job against the test-only OIDC issuer, when it runs. */
const testIssuerLines = ({ apiUrl, testOidcIssuer: issuer }: Sandbox): string =>
  issuer === undefined
    ? ''
    : `
TEST-ONLY OIDC issuer ${issuer.url} (trusted by this sandbox only, audience ${issuer.audience}):
  # a GitHub Actions job (claim overrides as query parameters, e.g. ?run_id=7002)
  export JIT_API_URL=${apiUrl} JIT_CI_AUDIENCE=${issuer.audience}
  export ACTIONS_ID_TOKEN_REQUEST_URL=${issuer.tokenUrls.github} ACTIONS_ID_TOKEN_REQUEST_TOKEN=${issuer.requestToken}
  eval "$(npx jit ci credentials --template service-deploy-staging --input service=orders --region us-east-1)"
  npx jit ci done
  # a GitLab token: curl -s -H "authorization: Bearer ${issuer.requestToken}" '${issuer.tokenUrls.gitlab}?audience=${issuer.audience}'
`;

/** What a new user needs on screen to try the broker right away. */
const quickStart = (sandbox: Sandbox, dataDir: string | undefined): string => {
  const api = sandbox.apiUrl;
  const roles = [...sandbox.deps.config.catalog.roles.values()];
  const role = roles[0];
  const endpoint = sandbox.access.awsEndpoint;
  return `
jit-broker sandbox is running
  API          ${api}   (loopback only)
  web console  ${consoleUrl(sandbox)}   (pick a user at the top; the link carries this start's token)
  DynamoDB     ${sandbox.dynamoEndpoint}   table ${sandbox.tableName} (${sandbox.table})
  vending      ${ACCESS[sandbox.access.mode]}${endpoint ? `\n  AWS emulator ${endpoint}   (enforces IAM on vended keys, records their calls)` : ''}
  data         ${dataDir === undefined ? 'in memory (gone at exit)' : `${dataDir} (kept across restarts)`}
  catalog      ${sandbox.deps.config.catalog.version}: ${roles.map((r) => r.id).join(', ')}

You act as a user with the header  x-jit-user: <name>  (sandbox only; AWS uses SigV4). Every API
call also carries this start's token,  x-jit-sandbox-token  (it changes at every start; the jit CLI
reads it from ${sandbox.tokenFile}).

  # in your shell (README.md's walkthrough uses these)
  export API=${api} JIT_SANDBOX_TOKEN=${sandbox.token}${endpoint ? ` EMU=${endpoint} AWS_DEFAULT_REGION=us-east-1` : ''}

  # alice asks for access
  curl -s $API/grants -H "x-jit-sandbox-token: $JIT_SANDBOX_TOKEN" -H 'x-jit-user: alice' -H 'content-type: application/json' \\
    -d '{"role":"${role?.id ?? 'ROLE'}","scope":{"actions":["s3:GetObject"],"resources":["arn:aws:s3:::example-bucket/*"]},"durationSeconds":1800,"reason":"debug the nightly export job"}'

  # bob sees it in his inbox and approves it (use the id from the answer above)
  curl -s "$API/grants?inbox" -H "x-jit-sandbox-token: $JIT_SANDBOX_TOKEN" -H 'x-jit-user: bob'
  curl -s -X POST $API/grants/<id>/approve -H "x-jit-sandbox-token: $JIT_SANDBOX_TOKEN" -H 'x-jit-user: bob'

  # alice gets credentials narrowed to the task, uses them, and is done
  curl -s -X POST $API/grants/<id>/credentials -H "x-jit-sandbox-token: $JIT_SANDBOX_TOKEN" -H 'x-jit-user: alice'${
    endpoint
      ? `
  export AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=… AWS_SESSION_TOKEN=…   # from the answer
  aws s3api get-object --bucket example-bucket --key nightly/report.csv report.csv --endpoint-url $EMU   # in scope
  aws s3 ls --endpoint-url $EMU                                   # out of scope: AccessDenied`
      : ''
  }
  curl -s -X POST $API/grants/<id>/done -H "x-jit-sandbox-token: $JIT_SANDBOX_TOKEN" -H 'x-jit-user: alice'${
    endpoint
      ? `
  aws s3api get-object --bucket example-bucket --key nightly/report.csv report.csv --endpoint-url $EMU   # AccessDenied`
      : ''
  }
  curl -s $API/grants/<id>/audit -H "x-jit-sandbox-token: $JIT_SANDBOX_TOKEN" -H 'x-jit-user: alice'

  # or with the jit CLI, which finds the token by itself
  JIT_API_URL=$API JIT_USER=alice npx jit list
${testIssuerLines(sandbox)}
Ctrl-C stops everything this started.`;
};

export { quickStart };
