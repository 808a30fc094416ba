// updateAssociate and deleteAssociate: the built-in events they record, the
// rule that an account keeps an ADMIN, reassignment of what a deleted
// associate owned, and credentials that act with the associate as they are
// now. End to end over HTTP against a real server and database.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, testDb, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, createTenant, type Gql } from './helpers/graphql.js';
import {
  CREATE_WEBHOOK,
  GET_WEBHOOK,
  assertUserError,
  createApiKey,
  createAssociate,
  createWebhook,
  okData,
  payloadOk,
  webhookInput,
} from './helpers/webhooks.js';

const FIELDS = 'id name email role createdAt updatedAt deletedAt';
const UPDATE = `mutation($id: ID!, $input: UpdateAssociateInput!) {
  updateAssociate(id: $id, input: $input) { associate { ${FIELDS} } userErrors { field message code } }
}`;
const DELETE = `mutation($id: ID!, $reassignTo: ID) {
  deleteAssociate(id: $id, reassignTo: $reassignTo) {
    success deletedAssociateId reassignedWebhookIds reassignedApiKeyIds userErrors { field message code }
  }
}`;

let app: TestApp;
let gql: Gql;
let admin: { id: string; name: string };

before(async () => {
  app = await startTestApp({ WORKER_ENABLED: 'false' });
  gql = client(app.url, BOOTSTRAP_KEY);
  admin = okData(await gql('{ viewer { id name } }')).viewer;
});
after(() => app.stop());

let n = 0;
const person = (role: 'ADMIN' | 'MEMBER', name = `Person ${++n}`) =>
  createAssociate(gql, { name, email: `p${n}-${Date.now()}@example.com`, role });

/** The events recorded while `action` runs, oldest first. */
async function recorded(action: () => Promise<unknown>): Promise<{ type: string; payload: any }[]> {
  const { prisma } = testDb();
  const before = new Set((await prisma.event.findMany({ select: { id: true } })).map((e) => e.id));
  await action();
  const rows = await prisma.event.findMany({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  return rows.filter((r) => !before.has(r.id)).map((r) => ({ type: r.type, payload: JSON.parse(r.payload!) }));
}

const canCreateWebhook = async (as: Gql) => {
  const res = await as(CREATE_WEBHOOK, { input: webhookInput() });
  return res.data.createWebhook.userErrors.length === 0 ? 'yes' : res.data.createWebhook.userErrors[0].code;
};

describe('updateAssociate', () => {
  test('changes name, email and role, recording associate.updated and role.changed', async () => {
    const mia = await person('MEMBER', 'Mia Jensen');
    let updated: any;
    const events = await recorded(async () => {
      updated = payloadOk(
        await gql(UPDATE, { id: mia.id, input: { name: ' Mia J. ', email: 'MIA.J@Example.com', role: 'ADMIN' } }),
        'updateAssociate',
      ).associate;
    });
    assert.equal(updated.name, 'Mia J.');
    assert.equal(updated.email, 'mia.j@example.com');
    assert.equal(updated.role, 'ADMIN');
    assert.equal(updated.deletedAt, null);
    assert.ok(Date.parse(updated.updatedAt) >= Date.parse(mia.createdAt));
    events.sort((x, y) => x.type.localeCompare(y.type));
    assert.deepEqual(
      events.map((e) => e.type),
      ['associate.updated', 'role.changed'],
    );
    assert.deepEqual(events[0].payload, {
      associate: { id: mia.id, name: 'Mia J.', email: 'mia.j@example.com', role: 'ADMIN' },
      previous: { name: 'Mia Jensen', email: mia.email, role: 'MEMBER' },
    });
    assert.deepEqual(events[1].payload, {
      associate: { id: mia.id, name: 'Mia J.', email: 'mia.j@example.com', role: 'ADMIN' },
      previousRole: 'MEMBER',
    });
    // A name change alone records no role.changed.
    const renamed = await recorded(async () => payloadOk(await gql(UPDATE, { id: mia.id, input: { name: 'Mia' } }), 'updateAssociate'));
    assert.deepEqual(
      renamed.map((e) => e.type),
      ['associate.updated'],
    );
  });

  test('refuses bad input, a taken email, unknown ids and MEMBER keys, recording nothing', async () => {
    const a = await person('MEMBER');
    const b = await person('MEMBER');
    const member = client(app.url, (await createApiKey(gql, { name: 'member key', associateId: a.id })).key);
    const events = await recorded(async () => {
      assertUserError(await gql(UPDATE, { id: a.id, input: { email: 'not-an-email' } }), 'updateAssociate', 'INVALID', ['input', 'email']);
      assertUserError(await gql(UPDATE, { id: a.id, input: { name: '  ' } }), 'updateAssociate', 'INVALID', ['input', 'name']);
      assertUserError(await gql(UPDATE, { id: a.id, input: { email: b.email.toUpperCase() } }), 'updateAssociate', 'CONFLICT', [
        'input',
        'email',
      ]);
      assertUserError(await gql(UPDATE, { id: 'missing0000000000000000', input: { name: 'X' } }), 'updateAssociate', 'NOT_FOUND', ['id']);
      assertUserError(await member(UPDATE, { id: a.id, input: { role: 'ADMIN' } }), 'updateAssociate', 'FORBIDDEN', null);
    });
    assert.deepEqual(events, []);
    // Keeping one's own email is no conflict.
    payloadOk(await gql(UPDATE, { id: a.id, input: { email: a.email } }), 'updateAssociate');
  });

  test("a role change applies to the associate's keys from the next request", async () => {
    const p = await person('MEMBER');
    const asP = client(app.url, (await createApiKey(gql, { name: 'promoted key', associateId: p.id })).key);
    assert.equal(await canCreateWebhook(asP), 'FORBIDDEN');
    payloadOk(await gql(UPDATE, { id: p.id, input: { role: 'ADMIN' } }), 'updateAssociate');
    assert.equal(await canCreateWebhook(asP), 'yes');
    payloadOk(await gql(UPDATE, { id: p.id, input: { role: 'MEMBER' } }), 'updateAssociate');
    assert.equal(await canCreateWebhook(asP), 'FORBIDDEN');
    assert.equal(okData(await asP('{ credential { role } }')).credential.role, 'MEMBER');
  });

  test('an ADMIN console link acts as MEMBER once its maker is demoted', async () => {
    const maker = await person('ADMIN');
    const asMaker = client(app.url, (await createApiKey(gql, { name: 'maker key', associateId: maker.id })).key);
    const { url } = payloadOk(
      await asMaker(`mutation { createConsoleLink(input: { role: ADMIN }) { url userErrors { message } } }`),
      'createConsoleLink',
    );
    const asLink = client(app.url, decodeURIComponent(url.split('#link=')[1]));
    assert.equal(okData(await asLink('{ credential { role } }')).credential.role, 'ADMIN');
    payloadOk(await gql(UPDATE, { id: maker.id, input: { role: 'MEMBER' } }), 'updateAssociate');
    assert.equal(okData(await asLink('{ credential { role } }')).credential.role, 'MEMBER');
    assert.equal(await canCreateWebhook(asLink), 'FORBIDDEN');
  });
});

describe('an account keeps at least one ADMIN', () => {
  test('the last ADMIN can be neither demoted nor deleted; with a second one, either can', async () => {
    const tenant = await createTenant(`solo-${Date.now()}`);
    const solo = client(app.url, tenant.apiKey);
    const err = assertUserError(await solo(UPDATE, { id: tenant.associateId, input: { role: 'MEMBER' } }), 'updateAssociate', 'CONFLICT', [
      'input',
      'role',
    ]);
    assert.match(err.message, /at least one ADMIN/);
    assertUserError(await solo(DELETE, { id: tenant.associateId }), 'deleteAssociate', 'CONFLICT', ['id'], /last ADMIN/);
    const second = await createAssociate(solo, { name: 'Second Admin', email: 'second@example.com', role: 'ADMIN' });
    const asSecond = client(app.url, (await createApiKey(solo, { name: 'second', associateId: second.id })).key);
    payloadOk(await solo(UPDATE, { id: tenant.associateId, input: { role: 'MEMBER' } }), 'updateAssociate');
    // Now the second is the last one: it cannot step down either.
    assertUserError(await asSecond(UPDATE, { id: second.id, input: { role: 'MEMBER' } }), 'updateAssociate', 'CONFLICT', ['input', 'role']);
  });

  test('two admins demoting each other at once leave one ADMIN', async () => {
    const tenant = await createTenant(`pair-${Date.now()}`);
    const first = client(app.url, tenant.apiKey);
    const other = await createAssociate(first, { name: 'Other Admin', email: 'other@example.com', role: 'ADMIN' });
    const second = client(app.url, (await createApiKey(first, { name: 'other', associateId: other.id })).key);
    const [a, b] = await Promise.all([
      first(UPDATE, { id: other.id, input: { role: 'MEMBER' } }),
      second(UPDATE, { id: tenant.associateId, input: { role: 'MEMBER' } }),
    ]);
    const outcomes = [a.data.updateAssociate.userErrors[0]?.code ?? 'ok', b.data.updateAssociate.userErrors[0]?.code ?? 'ok'].sort();
    // One wins. The other is refused: CONFLICT when both ran at once, or
    // FORBIDDEN when the winner had already made its maker a MEMBER.
    assert.equal(outcomes.filter((o) => o === 'ok').length, 1, JSON.stringify(outcomes));
    assert.ok(['CONFLICT', 'FORBIDDEN'].includes(outcomes[0]), JSON.stringify(outcomes));
    const roles = okData(await first('{ associates { role } }')).associates.map((x: any) => x.role);
    assert.equal(roles.filter((r: string) => r === 'ADMIN').length, 1);
  });
});

describe('deleteAssociate', () => {
  test('refused with CONFLICT, naming what they own, unless reassignTo is given', async () => {
    const owner = await person('MEMBER', 'Olga Owner');
    await createWebhook(gql, { ownerId: owner.id });
    await createWebhook(gql, { ownerId: owner.id });
    await createApiKey(gql, { name: 'olga key', associateId: owner.id });
    const events = await recorded(async () => {
      const err = assertUserError(await gql(DELETE, { id: owner.id }), 'deleteAssociate', 'CONFLICT', ['reassignTo']);
      assert.equal(
        err.message,
        'Olga Owner owns 2 webhooks and 1 API key; pass reassignTo with the id of the associate who takes them over',
      );
    });
    assert.deepEqual(events, []);
    assert.ok(okData(await gql('{ associates { id } }')).associates.some((a: any) => a.id === owner.id));
  });

  test('with reassignTo: webhooks and keys move, links are revoked, history keeps the name, associate.deleted is recorded', async () => {
    const leaver = await person('ADMIN', 'Lea Leaver');
    const heir = await person('MEMBER', 'Hal Heir');
    const leaverKey = await createApiKey(gql, { name: 'leaver key', associateId: leaver.id });
    const asLeaver = client(app.url, leaverKey.key);
    // Registered by the leaver, owned by the leaver.
    const { webhook } = await createWebhook(asLeaver);
    const { url } = payloadOk(
      await asLeaver(`mutation { createConsoleLink(input: { role: MEMBER }) { url userErrors { message } } }`),
      'createConsoleLink',
    );
    const asLink = client(app.url, decodeURIComponent(url.split('#link=')[1]));
    assert.equal(okData(await asLink('{ viewer { id } }')).viewer.id, leaver.id);

    let payload: any;
    const events = await recorded(async () => {
      payload = payloadOk(await gql(DELETE, { id: leaver.id, reassignTo: heir.id }), 'deleteAssociate');
    });
    assert.equal(payload.success, true);
    assert.equal(payload.deletedAssociateId, leaver.id);
    assert.deepEqual(payload.reassignedWebhookIds, [webhook.id]);
    assert.deepEqual(payload.reassignedApiKeyIds, [leaverKey.apiKey.id]);
    // Recorded in one transaction, at one instant.
    const byType = new Map(events.map((e) => [e.type, e.payload]));
    assert.deepEqual([...byType.keys()].sort(), ['associate.deleted', 'webhook.updated']);
    assert.equal(byType.get('webhook.updated').webhook.ownerId, heir.id);
    assert.deepEqual(byType.get('associate.deleted'), {
      associate: { id: leaver.id, name: 'Lea Leaver', email: leaver.email, role: 'ADMIN' },
      reassignedTo: heir.id,
      reassignedWebhookIds: [webhook.id],
      reassignedApiKeyIds: [leaverKey.apiKey.id],
    });

    // Gone from the account's people; history still names them.
    assert.ok(!okData(await gql('{ associates { id } }')).associates.some((a: any) => a.id === leaver.id));
    const read = okData(
      await gql(`query($id: ID!) { webhook(id: $id) { owner { id } registeredAssociate { id name deletedAt } updatedAssociate { id } } }`, {
        id: webhook.id,
      }),
    ).webhook;
    assert.equal(read.owner.id, heir.id);
    assert.equal(read.registeredAssociate.id, leaver.id);
    assert.equal(read.registeredAssociate.name, 'Lea Leaver');
    assert.ok(read.registeredAssociate.deletedAt);
    assert.equal(read.updatedAssociate.id, admin.id, 'the reassignment is a change the deleting admin made');
    // The key now acts as the heir, with the heir's role; the link no longer works.
    assert.equal(okData(await asLeaver('{ viewer { id } }')).viewer.id, heir.id);
    assert.equal(await canCreateWebhook(asLeaver), 'FORBIDDEN');
    assert.equal((await asLink('{ viewer { id } }')).status, 401);
    // Their email can be given to someone new; a second delete finds nobody.
    await createAssociate(gql, { name: 'New Lea', email: leaver.email, role: 'MEMBER' });
    assertUserError(await gql(DELETE, { id: leaver.id, reassignTo: heir.id }), 'deleteAssociate', 'NOT_FOUND', ['id']);
    // Nobody can be given a deleted associate's things.
    assertUserError(await gql(UPDATE, { id: leaver.id, input: { name: 'Back' } }), 'updateAssociate', 'NOT_FOUND', ['id']);
    assertUserError(await gql(CREATE_WEBHOOK, { input: webhookInput({ ownerId: leaver.id }) }), 'createWebhook', 'NOT_FOUND', [
      'input',
      'ownerId',
    ]);
    assert.equal(okData(await gql(GET_WEBHOOK, { id: webhook.id })).webhook.owner.id, heir.id);
  });

  test('someone who owns nothing is deleted without reassignTo; bad reassignTo values are refused', async () => {
    const plain = await person('MEMBER');
    const target = await person('MEMBER');
    await createWebhook(gql, { ownerId: target.id });
    assertUserError(await gql(DELETE, { id: target.id, reassignTo: target.id }), 'deleteAssociate', 'INVALID', ['reassignTo']);
    assertUserError(await gql(DELETE, { id: target.id, reassignTo: 'missing0000000000000000' }), 'deleteAssociate', 'NOT_FOUND', [
      'reassignTo',
    ]);
    const done = payloadOk(await gql(DELETE, { id: plain.id }), 'deleteAssociate');
    assert.deepEqual([done.success, done.reassignedWebhookIds, done.reassignedApiKeyIds], [true, [], []]);
    // A deleted associate cannot take anything over.
    assertUserError(await gql(DELETE, { id: target.id, reassignTo: plain.id }), 'deleteAssociate', 'NOT_FOUND', ['reassignTo']);
  });

  test("another account's associates can be neither changed, deleted nor given anything", async () => {
    const tenant = await createTenant(`foreign-${Date.now()}`);
    const foreign = client(app.url, tenant.apiKey);
    const mine = await person('MEMBER');
    await createWebhook(gql, { ownerId: mine.id });
    assertUserError(await foreign(UPDATE, { id: mine.id, input: { name: 'Hijacked' } }), 'updateAssociate', 'NOT_FOUND', ['id']);
    assertUserError(await foreign(DELETE, { id: mine.id, reassignTo: tenant.associateId }), 'deleteAssociate', 'NOT_FOUND', ['id']);
    assertUserError(await gql(DELETE, { id: mine.id, reassignTo: tenant.associateId }), 'deleteAssociate', 'NOT_FOUND', ['reassignTo']);
    const still = okData(await gql('{ associates { id name } }')).associates.find((a: any) => a.id === mine.id);
    assert.equal(still.name, mine.name);
  });
});
