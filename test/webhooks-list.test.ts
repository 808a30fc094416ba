// Listing webhooks: every sort order in both directions, filters, Relay
// pagination both ways, the page-size bound and limit/page paging.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import { createAssociate, createWebhook, okData } from './helpers/webhooks.js';

let app: TestApp;
let gql: Gql;

interface Row {
  id: string;
  name: string;
  targetUrl: string;
  state: string;
  registered: string;
  events: string[];
  owner: { name: string };
}

/** Every webhook created in before(), as the API returned it after set-up. */
let rows: Row[] = [];

const NODE = 'id name targetUrl state registered events owner { name }';
const LIST = `query($first: Int, $after: String, $last: Int, $before: String, $filter: WebhookFilter, $orderBy: WebhookOrder) {
  webhooks(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
    totalCount
    edges { cursor node { ${NODE} } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;
const PAGE = `query($limit: Int, $page: Int, $filter: WebhookFilter, $orderBy: WebhookOrder) {
  webhooksPage(limit: $limit, page: $page, filter: $filter, orderBy: $orderBy) { page limit totalCount items { id } }
}`;

const FIELDS = ['NAME', 'TARGET_URL', 'OWNER', 'REGISTERED', 'STATE'] as const;
type Field = (typeof FIELDS)[number];

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const sortKey: Record<Field, (r: Row) => string> = {
  NAME: (r) => r.name.toLowerCase(),
  TARGET_URL: (r) => r.targetUrl,
  OWNER: (r) => r.owner.name,
  REGISTERED: (r) => r.registered, // ISO 8601 in UTC with milliseconds sorts as text
  STATE: (r) => r.state,
};

/** The expected order: the sort value, then the id as a tie-breaker, both in the given direction. */
function expectedIds(field: Field, direction: 'ASC' | 'DESC', subset = rows): string[] {
  const sorted = [...subset].sort((a, b) => cmp(sortKey[field](a), sortKey[field](b)) || cmp(a.id, b.id));
  if (direction === 'DESC') sorted.reverse();
  return sorted.map((r) => r.id);
}

async function list(vars: Record<string, unknown>) {
  return okData(await gql(LIST, vars)).webhooks;
}

before(async () => {
  app = await startTestApp({ WORKER_ENABLED: 'false' });
  gql = client(app.url, BOOTSTRAP_KEY);
  const ann = await createAssociate(gql, { name: 'Ann Archer', email: 'ann@example.com', role: 'MEMBER' });
  const bob = await createAssociate(gql, { name: 'Bob Baker', email: 'bob@example.com', role: 'ADMIN' });
  const cy = await createAssociate(gql, { name: 'Cy Cole', email: 'cy@example.com', role: 'MEMBER' });
  // Name order, URL order, owner order and state order all differ, and lower-
  // and upper-case names interleave so a case-sensitive name sort would show.
  const specs = [
    { name: 'alpha', path: 'm', owner: cy.id, events: ['webhook.created'] },
    { name: 'Bravo', path: 'c', owner: ann.id, events: ['webhook.deleted'], isActive: false },
    { name: 'charlie', path: 'x', owner: null, events: ['webhook.created', 'webhook.deleted'] },
    { name: 'Delta', path: 'a', owner: bob.id, events: ['*'] },
    { name: 'echo', path: 'q', owner: ann.id, events: ['webhook.updated'], isActive: false },
    { name: 'Foxtrot', path: 'b', owner: cy.id, events: ['webhook.created'] },
    { name: 'golf', path: 'z', owner: bob.id, events: ['associate.created'] },
    { name: 'Hotel', path: 'k', owner: null, events: ['webhook.created'] },
  ];
  const ids: string[] = [];
  for (const s of specs) {
    const { webhook } = await createWebhook(gql, {
      name: s.name,
      targetUrl: `https://hooks.example.com/${s.path}`,
      events: s.events,
      ...(s.owner ? { ownerId: s.owner } : {}),
      ...(s.isActive === false ? { isActive: false } : {}),
    });
    ids.push(webhook.id);
  }
  // The dispatcher sets TOO_MANY_ERRORS; here the row is set directly.
  const { prisma } = (await import('./helpers/app.js')).testDb();
  await prisma.webhook.update({ where: { id: ids[6] }, data: { state: 'TOO_MANY_ERRORS', stateReason: 'failures' } });
  rows = (await list({ first: 100 })).edges.map((e: any) => e.node);
  assert.equal(rows.length, specs.length);
});
after(() => app.stop());

describe('sorting', () => {
  for (const field of FIELDS) {
    for (const direction of ['ASC', 'DESC'] as const) {
      test(`orderBy ${field} ${direction}`, async () => {
        const conn = await list({ first: 100, orderBy: { field, direction } });
        assert.deepEqual(
          conn.edges.map((e: any) => e.node.id),
          expectedIds(field, direction),
        );
        assert.equal(conn.totalCount, rows.length);
      });

      test(`orderBy ${field} ${direction}: pages of 3 forwards and backwards give the same order`, async () => {
        const want = expectedIds(field, direction);
        const forward: string[] = [];
        let after: string | null = null;
        for (let i = 0; i < 10; i += 1) {
          const conn: any = await list({ first: 3, after, orderBy: { field, direction } });
          forward.push(...conn.edges.map((e: any) => e.node.id));
          assert.equal(conn.pageInfo.hasPreviousPage, after !== null);
          if (!conn.pageInfo.hasNextPage) break;
          after = conn.pageInfo.endCursor;
        }
        assert.deepEqual(forward, want);

        const backward: string[][] = [];
        let before: string | null = null;
        for (let i = 0; i < 10; i += 1) {
          const conn: any = await list({ last: 3, before, orderBy: { field, direction } });
          backward.unshift(conn.edges.map((e: any) => e.node.id));
          assert.equal(conn.pageInfo.hasNextPage, before !== null);
          if (!conn.pageInfo.hasPreviousPage) break;
          before = conn.pageInfo.startCursor;
        }
        assert.deepEqual(backward.flat(), want);
      });
    }
  }

  test('OWNER sorts by the owner name, not by id', async () => {
    const conn = await list({ first: 100, orderBy: { field: 'OWNER', direction: 'ASC' } });
    const names = conn.edges.map((e: any) => e.node.owner.name);
    assert.deepEqual(names, ['Admin', 'Admin', 'Ann Archer', 'Ann Archer', 'Bob Baker', 'Bob Baker', 'Cy Cole', 'Cy Cole']);
  });

  test('NAME ignores case', async () => {
    const conn = await list({ first: 100, orderBy: { field: 'NAME', direction: 'ASC' } });
    assert.deepEqual(
      conn.edges.map((e: any) => e.node.name),
      ['alpha', 'Bravo', 'charlie', 'Delta', 'echo', 'Foxtrot', 'golf', 'Hotel'],
    );
  });

  test('the default order is newest first', async () => {
    const conn = await list({ first: 100 });
    assert.deepEqual(
      conn.edges.map((e: any) => e.node.id),
      expectedIds('REGISTERED', 'DESC'),
    );
  });
});

describe('filters', () => {
  test('state', async () => {
    for (const state of ['ACTIVE', 'STOPPED', 'TOO_MANY_ERRORS']) {
      const conn = await list({ first: 100, filter: { state }, orderBy: { field: 'NAME', direction: 'ASC' } });
      const want = rows.filter((r) => r.state === state);
      assert.ok(want.length > 0);
      assert.deepEqual(
        conn.edges.map((e: any) => e.node.id),
        expectedIds('NAME', 'ASC', want),
      );
      assert.equal(conn.totalCount, want.length);
    }
  });

  test('event: subscribers of that type, including "*" subscribers', async () => {
    const conn = await list({ first: 100, filter: { event: 'webhook.deleted' }, orderBy: { field: 'NAME', direction: 'ASC' } });
    assert.deepEqual(
      conn.edges.map((e: any) => e.node.name),
      ['Bravo', 'charlie', 'Delta'],
    );
    assert.equal(conn.totalCount, 3);
    const none = await list({ first: 100, filter: { event: 'associate.deleted' }, orderBy: { field: 'NAME', direction: 'ASC' } });
    assert.deepEqual(
      none.edges.map((e: any) => e.node.name),
      ['Delta'],
    );
  });

  test('search: a substring of the name (any case) or of the URL', async () => {
    const byName = await list({ first: 100, filter: { search: 'HARL' } });
    assert.deepEqual(
      byName.edges.map((e: any) => e.node.name),
      ['charlie'],
    );
    const byUrl = await list({ first: 100, filter: { search: 'example.com/q' } });
    assert.deepEqual(
      byUrl.edges.map((e: any) => e.node.name),
      ['echo'],
    );
    const all = await list({ first: 100, filter: { search: 'hooks.example' } });
    assert.equal(all.totalCount, rows.length);
    const nothing = await list({ first: 100, filter: { search: 'no-such-thing' } });
    assert.deepEqual(nothing.edges, []);
    assert.equal(nothing.totalCount, 0);
  });

  test('search treats SQL wildcards literally', async () => {
    for (const search of ['%', '_', 'a%o', 'h_tel']) {
      const conn = await list({ first: 100, filter: { search } });
      assert.equal(conn.totalCount, 0, `search ${JSON.stringify(search)} matched ${conn.totalCount}`);
    }
    // ...and still finds names and URLs that hold them literally.
    const { webhook } = await createWebhook(gql, { name: 'Under_score 100%', targetUrl: 'https://hooks.example.com/p%20q_r' });
    try {
      for (const search of ['_SCORE', 'e 100%', '%20q_', 'P%20Q']) {
        const conn = await list({ first: 100, filter: { search } });
        assert.deepEqual(
          conn.edges.map((e: any) => e.node.id),
          [webhook.id],
          `search ${JSON.stringify(search)}`,
        );
        assert.equal(conn.totalCount, 1);
      }
    } finally {
      await gql('mutation($id: ID!) { deleteWebhook(id: $id) { deletedWebhookId } }', { id: webhook.id });
    }
  });

  test('filters combine, and paging and totalCount respect them', async () => {
    const filter = { state: 'ACTIVE', event: 'webhook.created' };
    const want = rows.filter((r) => r.state === 'ACTIVE' && (r.events.includes('webhook.created') || r.events.includes('*')));
    assert.equal(want.length, 5);
    const p1 = await list({ first: 2, filter, orderBy: { field: 'NAME', direction: 'DESC' } });
    assert.equal(p1.totalCount, 5);
    const p2 = await list({ first: 10, after: p1.pageInfo.endCursor, filter, orderBy: { field: 'NAME', direction: 'DESC' } });
    assert.equal(p2.totalCount, 5);
    assert.equal(p2.pageInfo.hasNextPage, false);
    assert.deepEqual(
      [...p1.edges, ...p2.edges].map((e: any) => e.node.id),
      expectedIds('NAME', 'DESC', want),
    );
  });
});

describe('Relay pagination', () => {
  test('first/after: pageInfo and cursors', async () => {
    const orderBy = { field: 'TARGET_URL', direction: 'ASC' };
    const want = expectedIds('TARGET_URL', 'ASC');
    const p1 = await list({ first: 5, orderBy });
    assert.equal(p1.totalCount, 8);
    assert.deepEqual(
      p1.edges.map((e: any) => e.node.id),
      want.slice(0, 5),
    );
    assert.deepEqual(p1.pageInfo, {
      hasNextPage: true,
      hasPreviousPage: false,
      startCursor: p1.edges[0].cursor,
      endCursor: p1.edges[4].cursor,
    });
    const p2 = await list({ first: 5, after: p1.pageInfo.endCursor, orderBy });
    assert.deepEqual(
      p2.edges.map((e: any) => e.node.id),
      want.slice(5),
    );
    assert.equal(p2.pageInfo.hasNextPage, false);
    assert.equal(p2.pageInfo.hasPreviousPage, true);
    assert.equal(p2.totalCount, 8);
    // Any edge's cursor resumes right after that edge.
    const p3 = await list({ first: 2, after: p1.edges[1].cursor, orderBy });
    assert.deepEqual(
      p3.edges.map((e: any) => e.node.id),
      want.slice(2, 4),
    );
  });

  test('last/before: pageInfo and cursors', async () => {
    const orderBy = { field: 'NAME', direction: 'ASC' };
    const want = expectedIds('NAME', 'ASC');
    const tail = await list({ last: 3, orderBy });
    assert.deepEqual(
      tail.edges.map((e: any) => e.node.id),
      want.slice(5),
    );
    assert.equal(tail.pageInfo.hasPreviousPage, true);
    assert.equal(tail.pageInfo.hasNextPage, false);
    assert.equal(tail.pageInfo.startCursor, tail.edges[0].cursor);
    assert.equal(tail.pageInfo.endCursor, tail.edges[2].cursor);
    const mid = await list({ last: 3, before: tail.pageInfo.startCursor, orderBy });
    assert.deepEqual(
      mid.edges.map((e: any) => e.node.id),
      want.slice(2, 5),
    );
    assert.equal(mid.pageInfo.hasPreviousPage, true);
    assert.equal(mid.pageInfo.hasNextPage, true);
    const head = await list({ last: 3, before: mid.pageInfo.startCursor, orderBy });
    assert.deepEqual(
      head.edges.map((e: any) => e.node.id),
      want.slice(0, 2),
    );
    assert.equal(head.pageInfo.hasPreviousPage, false);
    assert.equal(head.totalCount, 8);
  });

  test('a page after the last row is empty', async () => {
    const all = await list({ first: 100, orderBy: { field: 'STATE', direction: 'DESC' } });
    const beyond = await list({ first: 5, after: all.pageInfo.endCursor, orderBy: { field: 'STATE', direction: 'DESC' } });
    assert.deepEqual(beyond.edges, []);
    assert.equal(beyond.pageInfo.hasNextPage, false);
    assert.equal(beyond.pageInfo.startCursor, null);
    assert.equal(beyond.pageInfo.endCursor, null);
  });

  test('first over 100 is refused with a clear error, and 100 is allowed', async () => {
    const ok = await gql(LIST, { first: 100 });
    assert.equal(okData(ok).webhooks.totalCount, 8);
    for (const vars of [{ first: 101 }, { last: 101 }, { first: -1 }]) {
      const res = await gql(LIST, vars);
      assert.equal(res.status, 200);
      assert.ok(res.errors?.length, `${JSON.stringify(vars)} was accepted`);
      assert.match(res.errors![0].message, /(first|last) must be between 0 and 100/);
      assert.equal(res.errors![0].extensions?.code, 'BAD_USER_INPUT');
    }
  });

  test('a cursor from another sort order or a garbage cursor is refused clearly', async () => {
    const byName = await list({ first: 1, orderBy: { field: 'NAME', direction: 'ASC' } });
    const wrong = await gql(LIST, { first: 1, after: byName.pageInfo.endCursor, orderBy: { field: 'OWNER', direction: 'ASC' } });
    assert.equal(wrong.status, 200);
    assert.match(wrong.errors![0].message, /after is not a cursor/);
    const garbage = await gql(LIST, { first: 1, before: 'not a cursor!' });
    assert.equal(garbage.status, 200);
    assert.match(garbage.errors![0].message, /before is not a cursor/);
    // Well-formed cursors with values of the wrong kind are refused too, not a 500.
    const forge = (c: unknown) => Buffer.from(JSON.stringify(c)).toString('base64url');
    for (const [field, v] of [
      ['STATE', 'NOT_A_STATE'],
      ['REGISTERED', 'yesterday'],
      ['NAME', 42],
    ] as const) {
      const res = await gql(LIST, { first: 1, after: forge({ f: field, v, i: 'x' }), orderBy: { field, direction: 'ASC' } });
      assert.equal(res.status, 200);
      assert.match(res.errors?.[0]?.message ?? '', /after is not a cursor/, `${field} cursor with ${v}`);
    }
  });
});

describe('webhooksPage (limit/page)', () => {
  test('pages through in the requested order with page, limit and totalCount', async () => {
    const orderBy = { field: 'OWNER', direction: 'DESC' };
    const want = expectedIds('OWNER', 'DESC');
    const seen: string[] = [];
    for (const page of [1, 2, 3]) {
      const p = okData(await gql(PAGE, { limit: 3, page, orderBy })).webhooksPage;
      assert.equal(p.page, page);
      assert.equal(p.limit, 3);
      assert.equal(p.totalCount, 8);
      seen.push(...p.items.map((i: any) => i.id));
    }
    assert.deepEqual(seen, want);
    const beyond = okData(await gql(PAGE, { limit: 3, page: 4, orderBy })).webhooksPage;
    assert.deepEqual(beyond.items, []);
    assert.equal(beyond.totalCount, 8);
  });

  test('defaults to page 1, newest first, and honours filters', async () => {
    const p = okData(await gql(PAGE, {})).webhooksPage;
    assert.equal(p.page, 1);
    assert.ok(p.limit >= 8);
    assert.deepEqual(
      p.items.map((i: any) => i.id),
      expectedIds('REGISTERED', 'DESC'),
    );
    const stopped = okData(await gql(PAGE, { filter: { state: 'STOPPED' }, orderBy: { field: 'NAME', direction: 'ASC' } })).webhooksPage;
    assert.deepEqual(
      stopped.items.map((i: any) => i.id),
      expectedIds(
        'NAME',
        'ASC',
        rows.filter((r) => r.state === 'STOPPED'),
      ),
    );
    assert.equal(stopped.totalCount, 2);
  });

  test('limit over 100 or page below 1 is refused clearly', async () => {
    const big = await gql(PAGE, { limit: 101 });
    assert.equal(big.status, 200);
    assert.match(big.errors![0].message, /limit must be between 1 and 100/);
    const zero = await gql(PAGE, { page: 0 });
    assert.match(zero.errors![0].message, /page must be 1 or more/);
  });
});
