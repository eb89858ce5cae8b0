import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_OBJECT } from '../../sandbox/exampleData.js';
import { ROLE_POLICIES_TTL_MS } from '../../sandbox/sandboxIam.js';
import { callApi, interrupt, startSandboxProcess } from '../helpers/sandboxProcess.js';

/**
 * The web console in real Chromium (Debian's package; .ci/run installs it), headless, against
 * `npm start` as a user runs it: the README's walkthrough with the mouse, then security's view.
 * Screenshots of the page are written to .sandbox/screenshots when a step fails.
 */
const CHROMIUM = process.env.JIT_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = '.sandbox/screenshots';
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

describe('web console in Chromium', () => {
  let sandbox: Awaited<ReturnType<typeof startSandboxProcess>>;
  let browser: Browser;
  let page: Page;
  let grantId = '';
  const seenErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
    sandbox = await startSandboxProcess(['--in-memory']);
    // --no-sandbox: CI runs as root, where Chromium's own sandbox cannot start.
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    page = await browser.newPage();
    page.on('pageerror', (error) => seenErrors.push(error.message));
    // As a user does: through the link npm start prints, which gives this tab the start's token.
    await page.goto(sandbox.ready.console);
  }, 120_000);

  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') {
      mkdirSync(SCREENSHOTS, { recursive: true });
      const name = context.task.name.replace(/[^a-z0-9]+/gi, '-');
      await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true }).catch(() => {});
    }
  });

  afterAll(async () => {
    await browser?.close();
    if (sandbox) await interrupt(sandbox.child);
  });

  /** Opens a page of the console as `user` (the tab has the token from the link npm start prints). */
  const open = async (user: string, hash: string) => {
    await page.goto(`${sandbox.ready.api}/ui/${hash}`);
    await page.getByLabel('Acting as (sandbox only)').selectOption(user);
  };

  /** axe-core on the page as it is now: no serious or critical violation. */
  const expectAccessible = async () => {
    await page.evaluate(axeSource);
    const violations = await page.evaluate(async () => {
      const result = await (
        globalThis as unknown as {
          axe: { run: () => Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }> };
        }
      ).axe.run();
      return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
    });
    expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
  };

  it('shows the API error message when a request is refused', async () => {
    await open('alice', '#/access');
    await page.getByLabel('Reason (at least 10 characters)').fill('short');
    await page.getByRole('button', { name: 'Request' }).click();
    await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('[400');
  });

  it('alice requests access; the reason is shown as text, never as markup', async () => {
    await open('alice', '#/access');
    await page.getByLabel('Reason (at least 10 characters)').fill('<b>debug</b> the nightly export job');
    await page.getByLabel('Ticket (optional, e.g. INC-1234)').fill('INC-1234');
    await page.getByRole('button', { name: 'Request' }).click();
    const card = page.locator('article[aria-label^="my grant g-"]').first();
    await card.waitFor();
    grantId = ((await card.getAttribute('aria-label')) ?? '').replace('my grant ', '');
    expect(grantId).toMatch(/^g-[0-9a-z]{26}$/);
    await expect.poll(() => card.textContent()).toContain('PENDING');
    await expectAccessible();
  });

  it('bob approves it from his inbox; alice has no approve button for her own grant', async () => {
    await open('alice', '#/inbox');
    await expect.poll(() => page.locator('main').textContent()).toMatch(/Nothing waits for you|approve/);
    expect(await page.getByRole('button', { name: `Approve ${grantId}` }).count()).toBe(0);

    await open('bob', '#/inbox');
    const item = page.locator(`article[aria-label="grant ${grantId}"]`);
    await item.waitFor();
    expect(await item.textContent()).toContain('<b>debug</b> the nightly export job');
    expect(await item.locator('b').count()).toBe(0);
    expect(await item.textContent()).toContain('INC-1234');
    expect(await item.textContent()).toContain('0 of 1 approvals');
    await expectAccessible();
    await page.getByRole('button', { name: `Approve ${grantId}` }).click();
    await item.waitFor({ state: 'detached' });
  });

  it('alice sees ACTIVE and the profile line once she uses it', async () => {
    const vend = await callApi(sandbox.ready, 'alice', 'POST', `/grants/${grantId}/credentials`);
    expect(vend.status).toBe(200);
    const s3 = s3With(sandbox.ready.awsEndpoint as string, vend.body);
    await s3.send(new GetObjectCommand({ Bucket: EXAMPLE_OBJECT.bucket, Key: EXAMPLE_OBJECT.key }));

    await open('alice', '#/access');
    const card = page.locator(`article[aria-label="my grant ${grantId}"]`);
    await expect.poll(() => card.textContent(), { timeout: 10_000 }).toContain('ACTIVE');
    expect(await card.locator('pre').first().textContent()).toBe(
      `jit setup-profile ${grantId} --api ${sandbox.ready.api} --as alice   # then: aws --profile jit-prod-read …`
    );
    expect(await card.locator('pre').nth(1).textContent()).toContain(`credential_process = jit creds ${grantId}`);
    (globalThis as { s3?: S3Client }).s3 = s3;
  });

  it('dave revokes it; the timeline shows the end, the kill and the refused call after it', async () => {
    await open('dave', `#/grant/${grantId}`);
    await page.getByLabel('Revoke: reason').fill('suspicious use of the export bucket');
    await page.getByRole('button', { name: `Revoke ${grantId}` }).click();
    const timeline = page.getByRole('list', { name: 'timeline' });
    await expect.poll(() => timeline.textContent(), { timeout: 15_000 }).toContain('Kill written');
    const s3 = (globalThis as { s3?: S3Client }).s3 as S3Client;
    // The sandbox re-reads the role's policies this often (its stand-in for IAM propagation).
    await new Promise((r) => setTimeout(r, ROLE_POLICIES_TTL_MS + 200));
    await expect(
      s3.send(new GetObjectCommand({ Bucket: EXAMPLE_OBJECT.bucket, Key: EXAMPLE_OBJECT.key }))
    ).rejects.toThrow();
    const text = await expect.poll(() => timeline.textContent(), { timeout: 15_000 });
    await text.toContain('the kill took hold');
    const all = (await timeline.textContent()) ?? '';
    expect(all).toContain('Requested');
    expect(all).toContain('Approved');
    expect(all).toMatch(/Active — by alice · access key ASIA/);
    expect(all).toContain('Revoked');
    expect(all).toContain('First call (recorded)');
    expect(await page.getByTestId('chain-verdict').textContent()).toMatch(/^Chain verified: \d+ events/);
    expect(await page.getByTestId('kill-state').textContent()).toContain('Kill written');
    expect(await page.locator('pre.policy').textContent()).toContain('s3:GetObject');
    await expectAccessible();
  });

  it("alice ends another grant with I'm done", async () => {
    const api = sandbox.ready;
    const created = await callApi(api, 'alice', 'POST', '/grants', {
      role: 'prod-read',
      scope: { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::example-bucket/*'] },
      durationSeconds: 1800,
      reason: 'check the export once more',
    });
    const id = created.body.id as string;
    expect((await callApi(api, 'bob', 'POST', `/grants/${id}/approve`, {})).status).toBe(200);
    expect((await callApi(api, 'alice', 'POST', `/grants/${id}/credentials`)).status).toBe(200);
    await open('alice', '#/access');
    const card = page.locator(`article[aria-label="my grant ${id}"]`);
    await expect.poll(() => card.textContent(), { timeout: 10_000 }).toContain('ACTIVE');
    await card.getByRole('button', { name: "I'm done" }).click();
    await expect.poll(() => card.textContent(), { timeout: 10_000 }).toContain('ENDED');
    expect(await card.getByRole('button').count()).toBe(0);
  });

  it('dave closes a break-glass review from the security page', async () => {
    const created = await callApi(sandbox.ready, 'carol', 'POST', '/grants', {
      role: 'prod-admin',
      scope: { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::example-bucket/*'] },
      durationSeconds: 900,
      reason: 'production is down, restore the export',
      ticket: 'INC-4711',
      breakGlass: true,
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await open('dave', '#/security');
    const close = page.getByRole('button', { name: `Close review of ${id}` });
    await close.waitFor({ timeout: 20_000 });
    await page.getByLabel(`Review comment for ${id}`).fill('checked the incident timeline: justified');
    await close.click();
    await close.waitFor({ state: 'detached', timeout: 10_000 });
  });

  it('security sees the reports as charts with data and tables linking to the grant', async () => {
    await open('dave', '#/security');
    await page.locator('#report-width').waitFor({ timeout: 20_000 });
    const width = page.locator('article[aria-labelledby="report-width"]');
    expect(await width.locator('canvas').count()).toBeGreaterThan(0);
    expect(await width.getByRole('link', { name: grantId }).count()).toBe(1);
    const timeToKill = page.locator('article[aria-labelledby="report-time-to-kill"]');
    expect(await timeToKill.locator('canvas').count()).toBeGreaterThan(0);
    await page.getByLabel('User contains').fill('nobody');
    await expect.poll(() => width.getByRole('link', { name: grantId }).count()).toBe(0);
    await page.getByLabel('User contains').fill('alice');
    await expect.poll(() => width.getByRole('link', { name: grantId }).count()).toBe(1);
    await expectAccessible();
  });

  it('a non-security user sees the API refusal on the security page, not a blank page', async () => {
    await open('alice', '#/security');
    await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('NOT_SECURITY');
    expect(seenErrors).toEqual([]);
  });

  it('opened without the printed link (no token in this tab), says to open that link; with it, works', async () => {
    const fresh = await browser.newPage();
    try {
      await fresh.goto(`${sandbox.ready.api}/ui/`);
      await expect
        .poll(() => fresh.getByRole('alert').first().textContent())
        .toContain('open the console with the link `npm start` (or `jit ui`) printed');
      await fresh.goto(sandbox.ready.console);
      await expect.poll(() => fresh.getByLabel('Acting as (sandbox only)').count()).toBe(1);
      // The token left the address bar at once: a copied link does not carry it.
      expect(fresh.url()).not.toContain(sandbox.ready.token);
    } finally {
      await fresh.close();
    }
  });
});

const s3With = (endpoint: string, creds: Record<string, unknown>) =>
  new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: {
      accessKeyId: creds.AccessKeyId as string,
      secretAccessKey: creds.SecretAccessKey as string,
      sessionToken: creds.SessionToken as string,
    },
  });
