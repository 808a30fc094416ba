// errorForLog: what is logged of an unexpected error in a request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphQLError } from 'graphql';
import { errorForLog } from '../../src/base/logger.js';

const SECRET = 'customer-4242-secret-payload';

test("a located GraphQLError is described by what was thrown, without the message's later lines", () => {
  // How Prisma reports a bad invocation: the arguments follow the first line.
  const thrown = Object.assign(
    new Error(`\nInvalid \`prisma.event.findMany()\` invocation in\n/app/src/schema/delivery.ts:12:3\n\n{ where: { type: "${SECRET}" } }`),
    { code: 'P2009', meta: { args: SECRET } },
  );
  const located = new GraphQLError(thrown.message, { path: ['events'], originalError: thrown });
  const logged = errorForLog(located) as Record<string, unknown>;
  assert.equal(logged.type, 'Error');
  assert.equal(logged.code, 'P2009');
  assert.equal(logged.message, 'Invalid `prisma.event.findMany()` invocation in');
  assert.deepEqual(logged.path, ['events']);
  assert.ok(Array.isArray(logged.stack) && (logged.stack as string[]).length > 0);
  assert.ok((logged.stack as string[]).every((frame) => frame.startsWith('at ')));
  assert.ok(!JSON.stringify(logged).includes(SECRET), JSON.stringify(logged));
});

test('database errors keep their code; other properties (such as detail) are left out', () => {
  const pgError = Object.assign(new Error('duplicate key value violates unique constraint "Webhook_nameKey"'), {
    code: '23505',
    detail: `Key ("nameKey")=(${SECRET}) already exists.`,
  });
  const logged = errorForLog(pgError) as Record<string, unknown>;
  assert.equal(logged.code, '23505');
  assert.equal(logged.message, 'duplicate key value violates unique constraint "Webhook_nameKey"');
  assert.ok(!JSON.stringify(logged).includes(SECRET));
});

test('messages are cut at 200 characters; strings and non-errors', () => {
  assert.equal((errorForLog(new Error('x'.repeat(500))) as { message: string }).message.length, 200);
  assert.equal(errorForLog(`one line\n${SECRET}`), 'one line');
  assert.deepEqual(errorForLog({ variables: SECRET }), { type: 'object' });
});
