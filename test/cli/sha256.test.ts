import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../cli/credentials/sha256.js';

const nodeSha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe('the cache key hash (SHA-256 without node:crypto)', () => {
  it('gives the FIPS 180-4 test vectors', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'
    );
  });

  it('agrees with node:crypto at every length around the block and padding boundaries, and on non-ASCII text', () => {
    for (let length = 0; length <= 200; length++) {
      const text = randomBytes(length).toString('base64').slice(0, length);
      expect(sha256Hex(text), `length ${length}`).toBe(nodeSha256(text));
    }
    const key = JSON.stringify(['https://abc.execute-api.eu-west-1.amazonaws.com/prod', 'g-01J…', 'user:zoë']);
    expect(sha256Hex(key)).toBe(nodeSha256(key));
  });
});
