// The delivery client's connect-time guard (src/dispatch/http.ts): the same
// classifier as save time, applied to IP literals before connecting and to
// every address the delivery agent's DNS lookup returns. node:dns's lookup is
// stubbed, so no name leaves the process and nothing is connected to.
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import dns from 'node:dns';
import { syncBuiltinESMExports } from 'node:module';
import { DeliveryClient } from '../../src/dispatch/http.js';

// Each carries or is a non-global address; all were let through before issue 8.
const FORMS = [
  '::7f00:1', // IPv4-compatible 127.0.0.1
  '::a00:1', // IPv4-compatible 10.0.0.1
  '::ffff:0:7f00:1', // IPv4-translated 127.0.0.1
  '64:ff9b:1::7f00:1', // local-use NAT64 of 127.0.0.1
  '2002:7f00:1::', // 6to4 of 127.0.0.1
  '2001:0:4136:e378:8000:63bf:80ff:fffe', // Teredo, client 127.0.0.1 (inverted)
  'fec0::1', // deprecated site-local
];

type Callback = (err: Error | null, addresses?: { address: string; family: number }[]) => void;
let resolved: string[] = [];
let client: DeliveryClient;

beforeEach(() => {
  mock.method(dns, 'lookup', (_host: string, _opts: unknown, cb: Callback) =>
    cb(
      null,
      resolved.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
    ),
  );
  syncBuiltinESMExports();
  client = new DeliveryClient({ allowPrivateTargets: false, timeoutMs: 2000 });
});
afterEach(async () => {
  await client.close();
  mock.restoreAll();
  syncBuiltinESMExports();
});

describe('DeliveryClient refuses non-global addresses', () => {
  test('as IP literals in the target URL, without connecting', async () => {
    for (const address of FORMS) {
      const res = await client.post(`https://[${address}]/hook`, {}, '{}');
      assert.equal(res.status, null, address);
      assert.equal(res.error?.code, 'PRIVATE_TARGET', `${address}: ${JSON.stringify(res.error)}`);
    }
  });

  test('as the address a host name resolves to', async () => {
    for (const address of FORMS) {
      resolved = [address];
      const res = await client.post('https://rebound.invalid/hook', {}, '{}');
      assert.equal(res.error?.code, 'PRIVATE_TARGET', `${address}: ${JSON.stringify(res.error)}`);
      assert.match(res.error!.message, new RegExp(`\\(${address.replace(/\./g, '\\.')}\\)`));
    }
  });
});
