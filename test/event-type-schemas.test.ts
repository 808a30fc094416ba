// Event types (issue 11): the names the seed products use, payload schemas
// and example payloads, updates and deletes. publishEvent validates against
// the schema (errors name the failing path); pingWebhook(type:) and
// sendExampleEvent send the example to a real receiver. SQLite and PostgreSQL.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { assertUserError, payloadOk } from './helpers/webhooks.js';

let app: TestApp;
let gql: Gql;
let receiver: Receiver;

const EVENT_TYPE_FIELDS = 'id name group description builtIn schema example';
const CREATE_TYPE = `mutation($input: CreateEventTypeInput!) {
  createEventType(input: $input) { eventType { ${EVENT_TYPE_FIELDS} } userErrors { field message code } }
}`;
const UPDATE_TYPE = `mutation($id: ID!, $input: UpdateEventTypeInput!) {
  updateEventType(id: $id, input: $input) { eventType { ${EVENT_TYPE_FIELDS} } userErrors { field message code } }
}`;
const DELETE_TYPE = `mutation($id: ID!) { deleteEventType(id: $id) { deletedEventTypeId userErrors { field message code } } }`;
const PUBLISH = `mutation($input: PublishEventInput!) { publishEvent(input: $input) { deliveryCount event { id } userErrors { field message code } } }`;
const CREATE_WEBHOOK = `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { webhook { id } userErrors { field message code } } }`;

const CITA_SCHEMA = {
  type: 'object',
  required: ['id', 'patient', 'startsAt'],
  properties: {
    id: { type: 'integer' },
    startsAt: { type: 'string', format: 'date-time' },
    patient: { type: 'object', required: ['email'], properties: { name: { type: 'string' }, email: { type: 'string', format: 'email' } } },
  },
};
const CITA_EXAMPLE = { id: 1042, startsAt: '2026-12-01T09:30:00Z', patient: { name: 'Ana Ruiz', email: 'ana@example.com' } };

let citaId: string;

before(async () => {
  app = await startTestApp({ ALLOW_PRIVATE_TARGETS: 'true' });
  gql = client(app.url, BOOTSTRAP_KEY);
  receiver = await startReceiver();
});
after(async () => {
  await app.stop();
  await receiver.close();
});

test('the catalog takes the names the seed products use, with a schema and an example', async () => {
  const cita = payloadOk(
    await gql(CREATE_TYPE, { input: { name: 'CITA_CREATED', group: 'Citas', schema: CITA_SCHEMA, example: CITA_EXAMPLE } }),
    'createEventType',
  ).eventType;
  citaId = cita.id;
  assert.deepEqual(cita.schema, CITA_SCHEMA);
  assert.deepEqual(cita.example, CITA_EXAMPLE);
  for (const name of ['contact_created', 'incoming_whatsapp_message', 'billing:invoice-paid.v2']) {
    payloadOk(await gql(CREATE_TYPE, { input: { name, group: 'Seeds' } }), 'createEventType');
  }
  const listed = (await gql(`{ eventTypes(group: "Seeds") { name schema example } }`)).data.eventTypes;
  assert.deepEqual(
    listed.map((e: any) => e.name),
    ['billing:invoice-paid.v2', 'contact_created', 'incoming_whatsapp_message'],
  );
  assert.equal(listed[0].schema, null);
  for (const bad of ['has space', 'a/b', '', 'x'.repeat(101), '*']) {
    assertUserError(await gql(CREATE_TYPE, { input: { name: bad, group: 'Seeds' } }), 'createEventType', 'INVALID', ['input', 'name']);
  }
  assertUserError(await gql(CREATE_TYPE, { input: { name: 'CITA_CREATED', group: 'Citas' } }), 'createEventType', 'CONFLICT', [
    'input',
    'name',
  ]);
});

test('schemas and examples are checked when saved, errors naming the path', async () => {
  const create = (input: Record<string, unknown>) =>
    gql(CREATE_TYPE, { input: { name: `t.${Math.random().toString(36).slice(2)}`, group: 'Bad', ...input } });
  assertUserError(await create({ schema: { type: 'object', properties: { q: { type: 'strin' } } } }), 'createEventType', 'INVALID', [
    'input',
    'schema',
    'properties',
    'q',
    'type',
  ]);
  assertUserError(
    await create({ schema: { properties: { code: { type: 'string', pattern: '^(a+)+$' } } } }),
    'createEventType',
    'INVALID',
    ['input', 'schema', 'properties', 'code', 'pattern'],
    /regular expression/,
  );
  assertUserError(await create({ schema: { $ref: 'https://example.com/s.json' } }), 'createEventType', 'INVALID', [
    'input',
    'schema',
    '$ref',
  ]);
  assertUserError(await create({ schema: CITA_SCHEMA, example: { ...CITA_EXAMPLE, id: 'x' } }), 'createEventType', 'INVALID', [
    'input',
    'example',
    'id',
  ]);
  assertUserError(await create({ example: [1] }), 'createEventType', 'INVALID', ['input', 'example']);
});

test('publishEvent validates the payload against the schema; the error names the failing path', async () => {
  const publish = (payload: unknown) => gql(PUBLISH, { input: { type: 'CITA_CREATED', payload } });
  payloadOk(await publish(CITA_EXAMPLE), 'publishEvent');
  const email = assertUserError(await publish({ ...CITA_EXAMPLE, patient: { email: 'not-an-email' } }), 'publishEvent', 'INVALID', [
    'input',
    'payload',
    'patient',
    'email',
  ]);
  assert.match(email.message, /payload\.patient\.email must match format "email"/);
  assertUserError(
    await publish({ id: 1, patient: { email: 'a@b.co' } }),
    'publishEvent',
    'INVALID',
    ['input', 'payload', 'startsAt'],
    /is required/,
  );
  assertUserError(await publish({ ...CITA_EXAMPLE, id: 1.5 }), 'publishEvent', 'INVALID', ['input', 'payload', 'id'], /must be integer/);
  // Nothing was stored for the refused ones.
  const events = (await gql(`{ events(type: "CITA_CREATED") { totalCount } }`)).data.events;
  assert.equal(events.totalCount, 1);
});

test('updateEventType changes description, group, schema and example; the schema in force changes at once', async () => {
  const updated = payloadOk(
    await gql(UPDATE_TYPE, { id: citaId, input: { description: 'An appointment was booked', group: 'Agenda' } }),
    'updateEventType',
  ).eventType;
  assert.equal(updated.description, 'An appointment was booked');
  assert.equal(updated.group, 'Agenda');
  assert.deepEqual(updated.schema, CITA_SCHEMA, 'left-out fields stay');
  // A schema the saved example does not match is refused.
  const stricter = { ...CITA_SCHEMA, required: [...CITA_SCHEMA.required, 'room'] };
  assertUserError(
    await gql(UPDATE_TYPE, { id: citaId, input: { schema: stricter } }),
    'updateEventType',
    'INVALID',
    ['input', 'schema'],
    /saved example/,
  );
  // With a matching example it is taken, and publishing follows it.
  const example = { ...CITA_EXAMPLE, room: 'B2' };
  payloadOk(await gql(UPDATE_TYPE, { id: citaId, input: { schema: stricter, example } }), 'updateEventType');
  assertUserError(await gql(PUBLISH, { input: { type: 'CITA_CREATED', payload: CITA_EXAMPLE } }), 'publishEvent', 'INVALID', [
    'input',
    'payload',
    'room',
  ]);
  payloadOk(await gql(PUBLISH, { input: { type: 'CITA_CREATED', payload: example } }), 'publishEvent');
  // Removing the schema accepts any object again.
  const open = payloadOk(await gql(UPDATE_TYPE, { id: citaId, input: { schema: null } }), 'updateEventType').eventType;
  assert.equal(open.schema, null);
  assert.deepEqual(open.example, example);
  payloadOk(await gql(PUBLISH, { input: { type: 'CITA_CREATED', payload: { anything: true } } }), 'publishEvent');
  payloadOk(await gql(UPDATE_TYPE, { id: citaId, input: { schema: stricter } }), 'updateEventType');

  const builtIn = (await gql(`{ eventTypes(group: "Webhooks") { id } }`)).data.eventTypes[0].id;
  assertUserError(await gql(UPDATE_TYPE, { id: builtIn, input: { description: 'x' } }), 'updateEventType', 'INVALID', ['id']);
  assertUserError(await gql(UPDATE_TYPE, { id: 'nope', input: { description: 'x' } }), 'updateEventType', 'NOT_FOUND', ['id']);
});

test('pingWebhook(type:) and sendExampleEvent send the example to a real receiver', async () => {
  // Subscribed to something else: the example goes whatever the webhook subscribes to.
  const hook = payloadOk(
    await gql(CREATE_WEBHOOK, { input: { name: 'Agenda', targetUrl: receiver.url, events: ['contact_created'], filter: { never: true } } }),
    'createWebhook',
  ).webhook;
  const ping = payloadOk(
    await gql(
      `mutation($id: ID!, $type: String) { pingWebhook(id: $id, type: $type) { attempt { status trigger } userErrors { field message code } } }`,
      {
        id: hook.id,
        type: 'CITA_CREATED',
      },
    ),
    'pingWebhook',
  );
  assert.deepEqual(ping.attempt, { status: 'SUCCEEDED', trigger: 'PING' });
  const [pinged] = await receiver.waitFor(1);
  assert.equal(pinged.json.type, 'CITA_CREATED');
  assert.equal(pinged.headers['x-hookline-event'], 'CITA_CREATED');
  assert.deepEqual(pinged.json.data, { ...CITA_EXAMPLE, room: 'B2' });

  const sent = payloadOk(
    await gql(
      `mutation($id: ID!, $type: String!) { sendExampleEvent(webhookId: $id, type: $type) { event { id type payload } delivery { id status webhookId } userErrors { field message code } } }`,
      { id: hook.id, type: 'CITA_CREATED' },
    ),
    'sendExampleEvent',
  );
  assert.equal(sent.event.type, 'CITA_CREATED');
  assert.deepEqual(sent.event.payload, { ...CITA_EXAMPLE, room: 'B2' });
  assert.equal(sent.delivery.webhookId, hook.id);
  const got = await receiver.waitFor(2);
  assert.equal(got[1].headers['webhook-id'], sent.event.id, 'delivered by the worker as an ordinary delivery');
  assert.deepEqual(got[1].json.data, { ...CITA_EXAMPLE, room: 'B2' });

  // A type without an example, or unknown: typed errors.
  assertUserError(
    await gql(`mutation($id: ID!) { sendExampleEvent(webhookId: $id, type: "contact_created") { userErrors { field message code } } }`, {
      id: hook.id,
    }),
    'sendExampleEvent',
    'INVALID',
    ['type'],
    /no example/,
  );
  assertUserError(
    await gql(`mutation($id: ID!) { pingWebhook(id: $id, type: "nope") { userErrors { field message code } } }`, { id: hook.id }),
    'pingWebhook',
    'NOT_FOUND',
    ['type'],
  );
  // Without a type, pingWebhook sends webhook.ping as before.
  payloadOk(
    await gql(`mutation($id: ID!) { pingWebhook(id: $id) { attempt { status } userErrors { message } } }`, { id: hook.id }),
    'pingWebhook',
  );
  const [, , plain] = await receiver.waitFor(3);
  assert.equal(plain.json.type, 'webhook.ping');
});

test('deleteEventType is refused with CONFLICT while a webhook subscribes to the type', async () => {
  const types = (await gql(`{ eventTypes(group: "Seeds") { id name } }`)).data.eventTypes;
  const contact = types.find((t: any) => t.name === 'contact_created');
  const whatsapp = types.find((t: any) => t.name === 'incoming_whatsapp_message');
  const conflict = assertUserError(await gql(DELETE_TYPE, { id: contact.id }), 'deleteEventType', 'CONFLICT', ['id']);
  assert.match(conflict.message, /1 webhook subscribes to "contact_created"/);
  // A "*" subscriber does not hold a type.
  payloadOk(await gql(CREATE_WEBHOOK, { input: { name: 'Everything', targetUrl: receiver.url, events: ['*'] } }), 'createWebhook');
  assert.equal(payloadOk(await gql(DELETE_TYPE, { id: whatsapp.id }), 'deleteEventType').deletedEventTypeId, whatsapp.id);
  assertUserError(await gql(PUBLISH, { input: { type: 'incoming_whatsapp_message', payload: {} } }), 'publishEvent', 'INVALID', [
    'input',
    'type',
  ]);
  assertUserError(await gql(DELETE_TYPE, { id: whatsapp.id }), 'deleteEventType', 'NOT_FOUND', ['id']);
  const builtIn = (await gql(`{ eventTypes(group: "Webhooks") { id } }`)).data.eventTypes[0].id;
  assertUserError(await gql(DELETE_TYPE, { id: builtIn }), 'deleteEventType', 'INVALID', ['id']);
});
