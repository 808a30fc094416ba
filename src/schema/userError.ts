import { builder } from './builder.js';
import type { Result, UserError } from '../base/errors.js';

export const UserErrorCodeEnum = builder.enumType('UserErrorCode', {
  description: 'Why a mutation was refused',
  values: {
    INVALID: { description: 'The input broke a validation rule' },
    NOT_FOUND: { description: 'No such object in your account' },
    CONFLICT: { description: 'The change clashes with existing data, such as a duplicate name' },
    FORBIDDEN: { description: 'Your role or application may not make this change' },
  } as const,
});

export const UserErrorRef = builder.objectRef<UserError>('UserError').implement({
  description: 'An expected failure: bad input, a missing object or a refused change',
  fields: (t) => ({
    field: t.exposeStringList('field', { nullable: true, description: 'Path to the input field at fault' }),
    message: t.exposeString('message'),
    code: t.field({ type: UserErrorCodeEnum, resolve: (e) => e.code }),
  }),
});

export type Payload<P extends object> = Partial<P> & { userErrors: UserError[] };

type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

/** The `userErrors` field every mutation payload has. */
export const userErrorsField = <P extends { userErrors: UserError[] }>(t: PothosSchemaTypes.ObjectFieldBuilder<Types, P>) =>
  t.field({
    type: [UserErrorRef],
    description: 'Why the mutation was refused; empty on success',
    resolve: (p) => p.userErrors,
  });

/**
 * `success` on delete payloads (WhautoChat's DeleteResponse): true when the
 * delete went through, so a client need not read userErrors to know.
 */
export const successField = <P extends { userErrors: UserError[] }>(t: PothosSchemaTypes.ObjectFieldBuilder<Types, P>) =>
  t.boolean({
    description: 'True when the delete went through (userErrors is then empty)',
    resolve: (p) => p.userErrors.length === 0,
  });

/** Shapes a service result as a mutation payload: the value's fields, or userErrors. */
export function toPayload<T, P extends object>(result: Result<T>, shape: (value: T) => P): Payload<P> {
  return result.ok ? { ...shape(result.value), userErrors: [] } : ({ userErrors: result.errors } as Payload<P>);
}
