// Expected failures are values, not exceptions: resolvers turn them into
// `userErrors`, so clients never see a masked "Unexpected error".

export type UserErrorCode = 'INVALID' | 'NOT_FOUND' | 'CONFLICT' | 'FORBIDDEN';

export interface UserError {
  field: string[] | null;
  message: string;
  code: UserErrorCode;
}

export type Result<T> = { ok: true; value: T } | { ok: false; errors: UserError[] };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });

export const fail = (code: UserErrorCode, message: string, field: string[] | null = null): Result<never> => ({
  ok: false,
  errors: [{ code, message, field }],
});

export const invalid = (field: string[], message: string): UserError => ({ code: 'INVALID', message, field });

export const failAll = (errors: UserError[]): Result<never> => ({ ok: false, errors });
