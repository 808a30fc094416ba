// Query.node and Query.nodes: refetch any object by its id (Relay's Global
// Object Identification; see nodeInterface.ts for why ids are used as they are).
import { GraphQLError } from 'graphql';
import { builder } from './builder.js';
import { callerOf } from '../server/context.js';
import { findNodes, MAX_NODES } from '../domain/nodes.js';
import { markNodeType, NodeRef } from './nodeInterface.js';

builder.queryFields((t) => ({
  node: t.field({
    type: NodeRef,
    nullable: true,
    description: 'Any object in your account by its id; null when there is none you may read',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, { id }, ctx) => {
      const [found] = await findNodes(ctx.app, callerOf(ctx), [id]);
      return found ? markNodeType(found.value, found.type) : null;
    },
  }),
  nodes: t.field({
    type: [NodeRef],
    nullable: { list: false, items: true },
    description: `Objects in your account by their ids (at most ${MAX_NODES}), in the same order; null for each id with none you may read`,
    args: { ids: t.arg.idList({ required: true }) },
    complexity: (args) => ({ field: 1, multiplier: Math.max(1, args.ids.length) }),
    resolve: async (_r, { ids }, ctx) => {
      if (ids.length > MAX_NODES) {
        throw new GraphQLError(`ids may hold at most ${MAX_NODES} ids`, { extensions: { code: 'BAD_USER_INPUT', field: ['ids'] } });
      }
      const found = await findNodes(ctx.app, callerOf(ctx), ids);
      return found.map((f) => (f ? markNodeType(f.value, f.type) : null));
    },
  }),
}));
