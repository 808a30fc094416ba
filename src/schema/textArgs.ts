// One check for every argument of every query and mutation: no string in it,
// however deeply nested in an input object or JSON value, may contain the NUL
// character (src/base/text.ts says why). A mutation answers with a userError
// naming the field, as its own validation would; a query with a
// BAD_USER_INPUT error naming the argument. Nothing else runs.
import { defaultFieldResolver, GraphQLError, type GraphQLSchema } from 'graphql';
import type { UserError } from '../base/errors.js';
import { findNul, NUL_MESSAGE } from '../base/text.js';

export function refuseNulInArguments(schema: GraphQLSchema): GraphQLSchema {
  const mutationType = schema.getMutationType();
  for (const type of [schema.getQueryType(), mutationType]) {
    for (const field of Object.values(type?.getFields() ?? {})) {
      if (field.args.length === 0) continue;
      const resolve = field.resolve ?? defaultFieldResolver;
      const isMutation = type === mutationType;
      field.resolve = (source, args: Record<string, unknown>, ctx, info) => {
        const path = findNul(args);
        if (!path) return resolve(source, args, ctx, info);
        const message = `${path.join('.')} ${NUL_MESSAGE}`;
        // Every mutation returns a payload whose fields default when absent (src/schema/userError.ts toPayload).
        if (isMutation) return { userErrors: [{ code: 'INVALID', message, field: path } satisfies UserError] };
        throw new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', field: path } });
      };
    }
  }
  return schema;
}
