// Relay's object identification: any object by its id, whatever its type,
// within the caller's account and with what the caller may read.
import type { Caller } from '../base/caller.js';
import { nodeRows, nodeTables, type NodeTable } from '../db/stores/nodes.js';
import { BUILT_IN_EVENT_TYPES, customInfo } from './catalog.js';
import type { Deps } from './deps.js';

/** The GraphQL type of an object found by id: each table's name is its type's name. */
export type NodeType = NodeTable;

export interface FoundNode {
  type: NodeType;
  value: { id: string };
}

export const MAX_NODES = 100;

const builtInById = new Map(BUILT_IN_EVENT_TYPES.map((e) => [e.id, e]));

/**
 * The objects with these ids, in order; null for an id that is unknown, in
 * another account, or of something the caller may not read (console links
 * are for admins, as the consoleLinks query is). One statement finds the
 * tables, then one reads each table found.
 */
export async function findNodes(deps: Pick<Deps, 'sql'>, caller: Caller, ids: readonly string[]): Promise<(FoundNode | null)[]> {
  const stored = [...new Set(ids.filter((id) => !builtInById.has(id)))];
  const tables = stored.length ? await nodeTables(deps.sql, caller.accountId, stored) : new Map<string, NodeTable>();
  const byTable = new Map<NodeTable, string[]>();
  for (const [id, table] of tables) {
    if (table === 'ConsoleLink' && caller.role !== 'ADMIN') continue;
    byTable.set(table, [...(byTable.get(table) ?? []), id]);
  }
  const found = new Map<string, FoundNode>();
  await Promise.all(
    [...byTable].map(async ([table, tableIds]) => {
      for (const row of await nodeRows(deps.sql, table, caller.accountId, tableIds)) {
        found.set(row.id, { type: table, value: table === 'EventType' ? customInfo(row as never) : row });
      }
    }),
  );
  return ids.map((id) => {
    const builtIn = builtInById.get(id);
    return builtIn ? { type: 'EventType', value: builtIn } : (found.get(id) ?? null);
  });
}
