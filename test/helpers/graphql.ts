// A small GraphQL-over-HTTP client for tests.
export interface GqlResponse<T = any> {
  status: number;
  data: T;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

export function client(url: string, apiKey: string | null) {
  return async function gql<T = any>(
    query: string,
    variables?: Record<string, unknown>,
    headers: Record<string, string> = {},
  ): Promise<GqlResponse<T>> {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        ...(apiKey ? { 'x-api-key': apiKey } : {}),
        ...headers,
      },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data: T; errors?: GqlResponse['errors'] };
    return { status: res.status, data: body.data, errors: body.errors };
  };
}

export type Gql = ReturnType<typeof client>;

/** Creates a second tenant through the admin service, returning its admin key. */
export async function createTenant(name: string): Promise<{ accountId: string; associateId: string; apiKey: string }> {
  const { createAccount } = await import('./app.js');
  return createAccount(name);
}
