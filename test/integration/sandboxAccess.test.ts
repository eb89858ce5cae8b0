import { describe, expect, it } from 'vitest';
import { jsonLogger } from '../../functions/adapters/jsonLogger.js';
import { HOW_TO_ENABLE, startSandboxAccess } from '../../sandbox/sandboxAccess.js';
import { exampleConfig } from '../helpers/fixtures.js';

describe('the sandbox without an AWS emulator', () => {
  it('still starts, and vending says what to install or configure', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/usr/bin:/bin'; // no moto_server here
    try {
      const access = await startSandboxAccess({
        useRealAws: false,
        config: await exampleConfig(),
        logger: jsonLogger('silent'),
      });
      expect(access.mode).toBe('none');
      const refusal = await access.adapters.credentials
        .issue({
          roleArn: 'arn:aws:iam::123456789012:role/x',
          sessionName: 'a.b',
          sourceIdentity: 'g',
          tags: {},
          policy: '{}',
          durationSeconds: 900,
        })
        .then(
          () => undefined,
          (error: Error & { code?: string }) => error
        );
      expect(refusal).toMatchObject({ code: 'VENDING_UNAVAILABLE', message: HOW_TO_ENABLE });
      expect(HOW_TO_ENABLE).toContain('pip install "moto[server]"');
      await access.stop();
    } finally {
      process.env.PATH = path;
    }
  });
});
