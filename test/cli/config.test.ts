import { describe, expect, it } from 'vitest';
import { configFilePath, resolveConfig } from '../../cli/config.js';
import { UsageError } from '../../cli/errors.js';

const fileWith = (content: unknown) => (path: string) =>
  path === '/home/ann/.config/jit/config.json' ? JSON.stringify(content) : undefined;
const noFile = () => undefined;
const HOME = { HOME: '/home/ann' };
const GATEWAY = 'https://abc123.execute-api.eu-west-1.amazonaws.com';

describe('CLI configuration', () => {
  it('takes flags over env over the config file', () => {
    const readFile = fileWith({ api: 'https://file.example', region: 'eu-north-1' });
    const env = { ...HOME, JIT_API_URL: 'https://env.example', JIT_REGION: 'us-west-2' };
    expect(
      resolveConfig({ flags: { api: 'https://flag.example', region: 'ap-south-1' }, env, readFile })
    ).toMatchObject({
      apiUrl: new URL('https://flag.example'),
      region: 'ap-south-1',
      mode: 'aws',
    });
    expect(resolveConfig({ flags: {}, env, readFile })).toMatchObject({
      apiUrl: new URL('https://env.example'),
      region: 'us-west-2',
    });
    expect(resolveConfig({ flags: {}, env: HOME, readFile })).toMatchObject({
      apiUrl: new URL('https://file.example'),
      region: 'eu-north-1',
    });
  });

  it('reads the config file only for what flags and env leave open', () => {
    const untouchable = () => {
      throw new Error('the config file was read');
    };
    expect(
      resolveConfig({ flags: { api: 'http://127.0.0.1:8787', as: 'alice' }, env: HOME, readFile: untouchable })
    ).toMatchObject({ mode: 'sandbox', user: 'alice' });
    expect(
      resolveConfig({ flags: { api: GATEWAY }, env: { ...HOME, JIT_REGION: 'eu-west-1' }, readFile: untouchable })
    ).toMatchObject({ mode: 'aws', region: 'eu-west-1' });
    expect(() => resolveConfig({ flags: { api: GATEWAY }, env: HOME, readFile: untouchable })).toThrow(
      'the config file was read'
    );
  });

  it('reads the config file from XDG_CONFIG_HOME, else ~/.config', () => {
    expect(configFilePath({ XDG_CONFIG_HOME: '/xdg', HOME: '/home/ann' })).toBe('/xdg/jit/config.json');
    expect(configFilePath(HOME)).toBe('/home/ann/.config/jit/config.json');
  });

  it('treats a loopback API as the sandbox: user required, nothing signed', () => {
    const sandbox = resolveConfig({
      flags: { as: 'bob' },
      env: { ...HOME, JIT_API_URL: 'http://127.0.0.1:8787', JIT_USER: 'alice' },
      readFile: noFile,
      readTokenFile: noFile,
    });
    expect(sandbox).toEqual({
      apiUrl: new URL('http://127.0.0.1:8787'),
      mode: 'sandbox',
      user: 'bob',
      sandboxToken: { value: undefined, from: '$JIT_SANDBOX_TOKEN or /home/ann/.local/state/jit/sandbox/8787.json' },
    });
    expect(
      resolveConfig({ flags: { api: 'http://localhost:9' }, env: { ...HOME, JIT_USER: 'alice' }, readFile: noFile })
    ).toMatchObject({ user: 'alice' });
    expect(() => resolveConfig({ flags: { api: 'http://127.0.0.1:8787' }, env: HOME, readFile: noFile })).toThrow(
      /needs to know who you are: pass --as <user>/
    );
  });

  it('takes the signing region from an execute-api host when none is configured', () => {
    expect(resolveConfig({ flags: { api: GATEWAY }, env: HOME, readFile: noFile }).region).toBe('eu-west-1');
    expect(() => resolveConfig({ flags: { api: 'https://jit.example.com' }, env: HOME, readFile: noFile })).toThrow(
      /which region signs requests/
    );
  });

  it('says where to configure the API when none is given, and refuses unsafe or odd settings', () => {
    expect(() => resolveConfig({ flags: {}, env: HOME, readFile: noFile })).toThrow(
      /pass --api URL, set JIT_API_URL, or put/
    );
    expect(() => resolveConfig({ flags: { api: 'http://broker.example' }, env: HOME, readFile: noFile })).toThrow(
      /must be https/
    );
    expect(() => resolveConfig({ flags: { api: GATEWAY, as: 'alice' }, env: HOME, readFile: noFile })).toThrow(
      /--as only works with the loopback sandbox/
    );
    expect(() => resolveConfig({ flags: {}, env: HOME, readFile: fileWith({ api: GATEWAY, apiUrl: 'x' }) })).toThrow(
      UsageError
    );
    expect(() => resolveConfig({ flags: {}, env: HOME, readFile: fileWith({ apiUrl: 'x', region: 3 }) })).toThrow(
      'apiUrl: not a setting (known: api, region, user); region: must be a string'
    );
    expect(() => resolveConfig({ flags: {}, env: HOME, readFile: () => '{not json' })).toThrow(/is not valid JSON/);
  });
});
