import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client } from './helpers/graphql.js';

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(() => app.stop());

test('the bootstrap key reads the viewer', async () => {
  const gql = client(app.url, BOOTSTRAP_KEY);
  const res = await gql('{ viewer { name role } }');
  assert.equal(res.status, 200);
  assert.deepEqual(res.data.viewer, { name: 'Admin', role: 'ADMIN' });
});
