// Relay's Node interface. Every id Hookline makes is unique across all
// types, so an object's id is its global id as it is: node(id:) takes the
// ids every other field returns and takes, and nothing a client stored
// before changes. Apollo's cache keys (__typename:id) and Relay's (id) both
// work out of the box.
import { builder } from './builder.js';

/** The type of each object node(id:)/nodes(ids:) returned (they are plain rows, so the type is recorded as they are found). */
const foundTypes = new WeakMap<object, string>();

export function markNodeType<T extends object>(value: T, type: string): T {
  foundTypes.set(value, type);
  return value;
}

export const NodeRef = builder.interfaceRef<{ id: string }>('Node').implement({
  description:
    "An object with an id unique across every type (Relay's Global Object Identification): fetch any of them again with node(id:) or nodes(ids:)",
  fields: (t) => ({
    id: t.exposeID('id'),
  }),
  resolveType: (value) => foundTypes.get(value) ?? null,
});
