import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { LAMBDA_BUNDLES } from '../../functions/handlers/lambda/bundles.js';
import { ROUTES } from '../../functions/handlers/routes.js';
import { FUNCTION_ACCESS } from '../../infra/functionAccess.js';
import { readAwsCallsFile } from '../helpers/awsCallRecorder.js';
import { loadBundles, missingHandlers, provideRuntimeSdk } from './bundles.js';
import { DeployedStacks, type Template } from './cloudFormation.js';
import { deployedBroker, trustOf } from './deployedBroker.js';
import type { DeployedFunction, PolicyStatement } from './deployedFunctions.js';
import { failureFindings } from './failureHandling.js';
import { decide, deniedCalls, logFindings, unrecordedFunctions, unusedPermissions } from './permissions.js';

/**
 * The deployed-shape tier: the templates `cdk synth` writes and the bundles it builds, checked
 * against the rules AWS applies when they are deployed — Lambda's handler lookup, IAM's policy
 * evaluation (an independent evaluator), and what happens to work that fails asynchronously.
 * The calls each function's code makes come from test/deploy/awsCalls.json, which the integration
 * tier records and keeps honest (test/helpers/awsCallRecorder.ts).
 */
const { synth, templates, stacks, deployment } = await deployedBroker();
provideRuntimeSdk(synth.outdir);
const recorded = readAwsCallsFile();
const SCHEDULED = ['expire', 'sweep', 'recordActivity'];
const fn = (name: string): DeployedFunction => {
  const found = deployment.functions.find((f) => f.name === name);
  if (found === undefined) throw new Error(`no function ${name}`);
  return found;
};

describe('the deployed broker', () => {
  it('deploys one function per route, the scheduled ones and the stream publisher', () => {
    expect(deployment.functions.map((f) => f.name).sort()).toEqual(
      [...ROUTES.map((r) => r.name), ...SCHEDULED, 'publishAuditEvents'].sort()
    );
  });

  it('deploys every route and scheduled function from one Lambda bundle, whose entry exports its handler', async () => {
    const deployed = LAMBDA_BUNDLES.flatMap((b) => b.functions);
    expect([...deployed].sort()).toEqual([...ROUTES.map((r) => r.name), ...SCHEDULED].sort());
    for (const bundle of LAMBDA_BUNDLES) {
      const entry = (await import(`../../${bundle.entry.replace(/\.ts$/, '.js')}`)) as Record<string, unknown>;
      const handlers = Object.keys(entry).filter((n) => typeof entry[n] === 'function');
      expect(handlers.sort(), `${bundle.entry} exports one handler per function bundles.ts deploys from it`).toEqual(
        [...bundle.functions].sort()
      );
    }
  });

  // Loads every function's bundle (the handlers only: their adapters, SDK and Cedar load on first use) in one process.
  it('ships, for every function, a bundle that exports the handler its template names', { timeout: 180_000 }, () => {
    expect(missingHandlers(deployment.functions)).toEqual([]);
  });

  it('lets every function make each AWS call its code was seen making, on the resources it names', async () => {
    expect((await deniedCalls(deployment, recorded)).problems).toEqual([]);
  });

  it('has recorded calls for every function whose role allows AWS calls', () => {
    expect(unrecordedFunctions(deployment, recorded)).toEqual([]);
  });

  it('lets every function write its own log group, and no other function’s', async () => {
    expect(await logFindings(deployment)).toEqual([]);
  });

  it('dead-letters and alarms every asynchronous target, every function and the API', async () => {
    expect(await failureFindings(stacks, deployment)).toEqual([]);
  });

  it('reports the permissions no recorded call uses (a report, not a failure)', async () => {
    const { allowed } = await deniedCalls(deployment, recorded);
    const unused = unusedPermissions(deployment, allowed);
    const byAction = new Map<string, string[]>();
    for (const u of unused)
      byAction.set(`${u.function}: ${u.action}`, [...(byAction.get(`${u.function}: ${u.action}`) ?? []), u.resource]);
    const lines = [...byAction].map(([what, resources]) => `  ${what} on ${resources.join(', ')}`);
    console.info(`Allowed, but no recorded call uses them (the runtime's own aside):\n${lines.join('\n')}`);
    expect(unused.every((u) => u.function && u.action && u.resource)).toBe(true);
  });
});

describe('the stream publisher’s bundle', () => {
  it('runs on the SDK it ships, and archives each event once (If-None-Match) with a SHA-256 checksum', {
    timeout: 120_000,
  }, async () => {
    // A copy with no node_modules anywhere above it: nothing can come from the Lambda runtime's SDK.
    const dir = mkdtempSync(join(tmpdir(), 'jit-publisher-'));
    cpSync(fn('publishAuditEvents').assetDir, dir, { recursive: true });
    const seen: { method?: string; url?: string; headers: IncomingHttpHeaders; body: string }[] = [];
    // S3 and EventBridge on their wire protocols: what the bundle's own SDK sends is what AWS would receive.
    const aws = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        if (req.headers['x-amz-target'] === 'AWSEvents.PutEvents') {
          res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
          res.end(JSON.stringify({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] }));
        } else {
          res.writeHead(200, { etag: '"etag-1"' });
          res.end();
        }
      });
    });
    await new Promise<void>((resolve) => aws.listen(0, '127.0.0.1', resolve));
    const grantId = `g-${'01jd'.padEnd(26, '0')}`;
    const record = {
      eventName: 'INSERT',
      dynamodb: {
        SequenceNumber: '100',
        Keys: { PK: { S: `GRANT#${grantId}` }, SK: { S: 'EVENT#00000001' } },
        NewImage: {
          PK: { S: `GRANT#${grantId}` },
          SK: { S: 'EVENT#00000001' },
          grantId: { S: grantId },
          seq: { N: '1' },
          type: { S: 'grant.requested' },
          actor: { S: 'alice' },
          at: { S: '2026-11-23T10:00:00.000Z' },
          details: { M: {} },
        },
      },
    };
    const probe = `
      const { publishAuditEvents } = await import(${JSON.stringify(pathToFileURL(join(dir, 'index.mjs')).href)});
      const answer = await publishAuditEvents({ Records: [${JSON.stringify(record)}] });
      process.stdout.write('\\nRESULT ' + JSON.stringify(answer) + '\\n');
    `;
    try {
      const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', probe], {
        cwd: dir,
        env: {
          PATH: process.env.PATH,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          AWS_ENDPOINT_URL: `http://127.0.0.1:${(aws.address() as AddressInfo).port}`,
          EVENT_BUS_NAME: 'jit-bus',
          AUDIT_ARCHIVE_BUCKET: 'jit-archive',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
      });
      const result = stdout.split('\n').find((l) => l.startsWith('RESULT ')) ?? '';
      expect(JSON.parse(result.slice('RESULT '.length))).toEqual({ batchItemFailures: [] });
    } finally {
      aws.close();
    }
    const put = seen.find((r) => r.method === 'PUT');
    expect(put?.url?.split('?')[0]).toBe(`/jit-archive/audit/${grantId}/00000001.ndjson`);
    expect(put?.headers['if-none-match']).toBe('*');
    expect(put?.headers['x-amz-checksum-sha256']).toBe(
      createHash('sha256')
        .update(put?.body ?? '')
        .digest('base64')
    );
    expect(seen.map((r) => r.headers['x-amz-target'] ?? r.method)).toEqual(['PUT', 'AWSEvents.PutEvents']);
  });
});

describe('the audit archive, as deployed', () => {
  it('refuses, even to an administrator, writes that could replace an archived event, and delete markers', async () => {
    const admin = {
      principal: 'arn:aws:sts::123456789012:assumed-role/Administrator/someone',
      policies: [{ name: 'all', document: { Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }],
    } as const;
    const bucket = fn('publishAuditEvents').environment.AUDIT_ARCHIVE_BUCKET;
    const object = `arn:aws:s3:::${bucket}/audit/2026/11/23/g-${'01jd'.padEnd(26, '0')}/00000001.ndjson`;
    const put = (condition: Record<string, string>) =>
      decide(deployment, admin, {
        action: 's3:PutObject',
        resource: object,
        context: { 's3:ObjectCreationOperation': 'true', ...condition },
      });
    expect(await put({})).toBe('ExplicitlyDenied');
    expect(await put({ 's3:if-match': '"an-etag"' })).toBe('ExplicitlyDenied');
    expect(await put({ 's3:if-none-match': '*' })).toBe('Allowed');
    expect(await decide(deployment, admin, { action: 's3:DeleteObject', resource: object, context: {} })).toBe(
      'ExplicitlyDenied'
    );
  });
});

describe('the audit chain key, as deployed', () => {
  it('lets only the functions that append events sign: not the read-only ones, not the publisher, not an administrator', async () => {
    const keyArn = fn('vendCredentials').environment.CHAIN_SIGNING_KEY_ARN;
    expect(keyArn).toMatch(/^arn:aws:kms:us-east-1:123456789012:key\//);
    const sign = { action: 'kms:Sign', resource: keyArn as string, context: {} };
    const signers: string[] = [];
    for (const f of deployment.functions) {
      const decision = await decide(deployment, f, sign);
      const appends = (FUNCTION_ACCESS[f.name] ?? []).includes('signChain');
      expect(decision, f.name).toBe(appends ? 'Allowed' : 'ImplicitlyDenied');
      if (appends) signers.push(f.name);
    }
    expect(signers).toContain('approveGrant');
    expect(signers).not.toContain('getGrantAudit');
    const admin = {
      principal: 'arn:aws:sts::123456789012:assumed-role/Administrator/someone',
      policies: [{ name: 'all', document: { Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }],
    } as const;
    expect(await decide(deployment, admin, sign)).not.toBe('Allowed');
    // What the audit relies on to check signatures stays open to the account's principals.
    expect(await decide(deployment, admin, { ...sign, action: 'kms:GetPublicKey' })).toBe('Allowed');
  });
});

describe('the record of roles with grants, as deployed', () => {
  it('lets only the functions that open grants write it: createGrant and ciCredentials, not approveGrant', async () => {
    const { partition, region, account } = deployment.env;
    const table = `arn:${partition}:dynamodb:${region}:${account}:table/${fn('createGrant').environment.TABLE_NAME}`;
    const note = { action: 'dynamodb:PutItem', resource: table, context: { 'dynamodb:LeadingKeys': ['ROLESEEN#all'] } };
    const writers: string[] = [];
    for (const f of deployment.functions) {
      if ((await decide(deployment, f, note)) === 'Allowed') writers.push(f.name);
    }
    expect(writers.sort()).toEqual(['ciCredentials', 'createGrant']);
    expect(await decide(deployment, fn('approveGrant'), note)).toBe('ImplicitlyDenied');
    // Reading it (the reports, the reviews due) is a table read like any other.
    expect(await decide(deployment, fn('getReport'), { ...note, action: 'dynamodb:Query' })).toBe('Allowed');
  });
});

/** Each check, shown failing on a deployment broken in the one way it guards against. */
describe('the deployed-shape checks, on a broken deployment', () => {
  const without = (name: string, drop: (s: PolicyStatement) => PolicyStatement | undefined): DeployedFunction => {
    const original = fn(name);
    return {
      ...original,
      policies: original.policies.map((p) => ({
        ...p,
        document: { ...p.document, Statement: p.document.Statement.flatMap((s) => drop(s) ?? []) },
      })),
    };
  };
  const withoutAction = (name: string, action: string) =>
    without(name, (s) => {
      const actions = (typeof s.Action === 'string' ? [s.Action] : s.Action).filter((a) => a !== action);
      return actions.length === 0 ? undefined : { ...s, Action: actions };
    });

  it('names the function and the handler when its bundle lacks the export', { timeout: 120_000 }, () => {
    const original = fn('reviewGrant');
    // A copy of the real bundle whose entry re-exports everything but reviewGrant.
    const dir = mkdtempSync(join(synth.outdir, 'broken-'));
    cpSync(original.assetDir, dir, { recursive: true });
    renameSync(join(dir, 'index.mjs'), join(dir, 'bundle.mjs'));
    const loaded = loadBundles([join(dir, 'bundle.mjs')]).get(join(dir, 'bundle.mjs'));
    const kept = Object.keys(loaded?.exports ?? {}).filter((name) => name !== 'reviewGrant');
    expect(kept).toContain('denyGrant');
    writeFileSync(join(dir, 'index.mjs'), `export { ${kept.join(', ')} } from './bundle.mjs';\n`);
    expect(missingHandlers([{ ...original, assetDir: dir }])).toEqual([
      `reviewGrant: Handler index.reviewGrant but its bundle ${join(dir, 'index.mjs')} exports no reviewGrant: ` +
        'Lambda answers HandlerNotFound',
    ]);
  });

  it('names the function, the action and the resource when its role lacks a permission its code uses', async () => {
    const broken = { ...deployment, functions: [withoutAction('finishGrant', 'iam:PutRolePolicy')] };
    const { problems } = await deniedCalls(broken, recorded);
    expect(problems).toContain(
      'finishGrant: its role does not allow iam:PutRolePolicy on arn:aws:iam::123456789012:role/jit/prod-read ' +
        '(request context {"iam:ResourceTag/jit-broker:managed":"true",' +
        '"iam:PermissionsBoundary":"arn:aws:iam::123456789012:policy/ceiling"}): ImplicitlyDenied'
    );
  });

  it('names the function a target role does not trust when its code assumes it', async () => {
    // What VendRoleArn named before the request route vended: the target roles' trust without it.
    const vendOnly = ['vendCredentials', 'ciCredentials', 'ciRevend'].map((name) => fn(name).roleArn);
    const broken = { ...deployment, targetRoleTrust: trustOf(vendOnly) };
    const { problems } = await deniedCalls(broken, recorded);
    const untrusted = problems.filter((p) => p.includes('sts:AssumeRole on arn:aws:iam::123456789012:role/jit/'));
    expect(untrusted.length).toBeGreaterThan(0);
    expect(untrusted.every((p) => p.startsWith('createGrant: its role does not allow sts:AssumeRole'))).toBe(true);
  });

  it('names the function and the variable when its environment lacks what a call needs', async () => {
    const original = fn('sweep');
    const { TABLE_NAME: _, ...environment } = original.environment;
    const { problems } = await deniedCalls({ ...deployment, functions: [{ ...original, environment }] }, recorded);
    expect(problems).toContain(
      'sweep: its code calls dynamodb:GetItem on arn:{Partition}:dynamodb:{Region}:{Account}:table/{GrantTable}, ' +
        'but its environment has no TABLE_NAME'
    );
  });

  it('names the function that cannot write its logs', async () => {
    const broken = { ...deployment, functions: [withoutAction('createGrant', 'logs:PutLogEvents')] };
    const [problem] = await logFindings(broken);
    expect(problem).toMatch(/^createGrant: cannot write its logs: its role does not allow logs:PutLogEvents on /);
  });

  it('names a rule target that lost its dead-letter queue, and a function without alarms', async () => {
    type Editable = { Type: string; Properties: { Targets?: Record<string, unknown>[]; [key: string]: unknown } };
    const broken = structuredClone(templates) as Record<string, Template>;
    const resources = broken.JitBroker?.Resources as Record<string, Editable>;
    const [ruleId, rule] = Object.entries(resources).find(
      ([, r]) => r.Type === 'AWS::Events::Rule' && r.Properties.ScheduleExpression !== undefined
    ) as [string, Editable];
    delete rule.Properties.Targets?.[0]?.DeadLetterConfig;
    for (const [id, r] of Object.entries(resources)) {
      const throttles = r.Type === 'AWS::CloudWatch::Alarm' && r.Properties.MetricName === 'Throttles';
      if (throttles && JSON.stringify(r.Properties.Dimensions).includes(fn('revokeGrant').logicalId)) {
        delete resources[id];
      }
    }
    const problems = await failureFindings(new DeployedStacks(broken, stacks.env), deployment);
    expect(problems).toEqual([
      `rule ${ruleId} → sweep: no dead-letter queue`,
      'revokeGrant: no alarm on its Throttles',
    ]);
  });
});
