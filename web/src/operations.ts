// Every operation the console sends. Only the public GraphQL API.
import { graphql } from './graphql';

export const USER_ERRORS = graphql(`
  fragment UserErrors on UserError {
    field
    message
    code
  }
`);

export const VIEWER = graphql(`
  query Viewer {
    viewer {
      id
      name
      email
      role
    }
    credential {
      kind
      role
      application
      expiresAt
    }
  }
`);

export const CATALOG = graphql(`
  query Catalog {
    eventTypes {
      id
      name
      group
      description
      builtIn
    }
  }
`);

export const ASSOCIATES = graphql(`
  query Associates {
    associates {
      id
      name
      email
      role
      createdAt
    }
  }
`);

export const WEBHOOK_ROW = graphql(`
  fragment WebhookRow on Webhook {
    id
    name
    targetUrl
    events
    state
    isActive
    stateReason
    stateChangedAt
    registered
    isApplicationManaged
    managingApplication
    owner {
      id
      name
    }
    eventTypes {
      name
      group
    }
  }
`);

export const WEBHOOKS_PAGE = graphql(
  `
    query WebhooksPage($filter: WebhookFilter, $orderBy: WebhookOrder, $page: Int, $limit: Int) {
      webhooksPage(filter: $filter, orderBy: $orderBy, page: $page, limit: $limit) {
        page
        limit
        totalCount
        items {
          ...WebhookRow
        }
      }
    }
  `,
  [WEBHOOK_ROW],
);

export const WEBHOOK_DETAIL = graphql(
  `
    query WebhookDetail($id: ID!) {
      webhook(id: $id) {
        ...WebhookRow
        type
        headers
        properties
        sensitiveHeaders
        updated
        registeredAssociate {
          id
          name
        }
        updatedAssociate {
          id
          name
        }
        stats {
          consecutiveFailures
          failedCount
          succeededCount
          pendingCount
          lastAttemptAt
          lastSuccessAt
        }
      }
    }
  `,
  [WEBHOOK_ROW],
);

export const CREATE_WEBHOOK = graphql(
  `
    mutation CreateWebhook($input: CreateWebhookInput!) {
      createWebhook(input: $input) {
        secret
        webhook {
          ...WebhookRow
        }
        userErrors {
          ...UserErrors
        }
      }
    }
  `,
  [WEBHOOK_ROW, USER_ERRORS],
);

export const UPDATE_WEBHOOK = graphql(
  `
    mutation UpdateWebhook($id: ID!, $input: UpdateWebhookInput!) {
      updateWebhook(id: $id, input: $input) {
        webhook {
          ...WebhookRow
          headers
          properties
        }
        userErrors {
          ...UserErrors
        }
      }
    }
  `,
  [WEBHOOK_ROW, USER_ERRORS],
);

export const SET_ACTIVE = graphql(
  `
    mutation SetWebhookActive($id: ID!, $active: Boolean!) {
      setWebhookActive(id: $id, active: $active) {
        webhook {
          ...WebhookRow
        }
        userErrors {
          ...UserErrors
        }
      }
    }
  `,
  [WEBHOOK_ROW, USER_ERRORS],
);

export const DELETE_WEBHOOK = graphql(
  `
    mutation DeleteWebhook($id: ID!) {
      deleteWebhook(id: $id) {
        deletedWebhookId
        userErrors {
          ...UserErrors
        }
      }
    }
  `,
  [USER_ERRORS],
);

export const DELETE_BY_URL = graphql(
  `
    mutation DeleteWebhooksByUrl($url: String!) {
      deleteWebhooksByUrl(url: $url) {
        deletedWebhookIds
        userErrors {
          ...UserErrors
        }
      }
    }
  `,
  [USER_ERRORS],
);

export const ROTATE_SECRET = graphql(
  `
    mutation RotateSecret($id: ID!) {
      rotateWebhookSecret(id: $id) {
        secret
        webhook {
          id
        }
        userErrors {
          ...UserErrors
        }
      }
    }
  `,
  [USER_ERRORS],
);

export const ATTEMPT_ROW = graphql(`
  fragment AttemptRow on DeliveryAttempt {
    id
    cursor
    deliveryId
    webhookId
    status
    responseStatus
    durationMs
    trigger
    attemptNumber
    createdAt
    error
  }
`);

export const ATTEMPT_DETAIL = graphql(
  `
    query AttemptDetail($id: ID!) {
      deliveryAttempt(id: $id) {
        ...AttemptRow
        requestUrl
        requestHeaders
        requestBody
        responseHeaders
        responseBody
        nextAttemptAt
      }
    }
  `,
  [ATTEMPT_ROW],
);

export const LOG_PAGE = graphql(
  `
    query LogPage($first: Int, $after: String, $filter: DeliveryAttemptFilter) {
      deliveryAttempts(first: $first, after: $after, filter: $filter) {
        pageInfo {
          hasNextPage
          endCursor
        }
        nodes {
          ...AttemptRow
        }
      }
    }
  `,
  [ATTEMPT_ROW],
);

// With after (the newest attempt shown), the server sends every stored
// attempt after it first, then the live ones: none missed, none twice.
export const ATTEMPTS_STREAM = graphql(
  `
    subscription AttemptsStream($after: String, $filter: DeliveryAttemptFilter) {
      deliveryAttempts(after: $after, filter: $filter) {
        ...AttemptRow
      }
    }
  `,
  [ATTEMPT_ROW],
);

export const PING = graphql(
  `
    mutation Ping($id: ID!) {
      pingWebhook(id: $id) {
        attempt {
          ...AttemptRow
        }
        userErrors {
          ...UserErrors
        }
      }
    }
  `,
  [ATTEMPT_ROW, USER_ERRORS],
);

export const REDELIVER = graphql(
  `
    mutation Redeliver($deliveryId: ID!) {
      redeliver(deliveryId: $deliveryId) {
        attempt {
          ...AttemptRow
        }
        userErrors {
          ...UserErrors
        }
      }
    }
  `,
  [ATTEMPT_ROW, USER_ERRORS],
);

export const RECOVER = graphql(
  `
    mutation Recover($id: ID!, $since: DateTime!) {
      recoverWebhook(id: $id, since: $since) {
        requeuedCount
        userErrors {
          ...UserErrors
        }
      }
    }
  `,
  [USER_ERRORS],
);

export const API_KEYS = graphql(`
  query ApiKeys {
    apiKeys {
      id
      name
      application
      prefix
      lastFour
      revoked
      revokedAt
      createdAt
      associate {
        id
        name
        role
      }
    }
  }
`);

export const CREATE_API_KEY = graphql(
  `
    mutation CreateApiKey($input: CreateApiKeyInput!) {
      createApiKey(input: $input) {
        key
        apiKey {
          id
        }
        userErrors {
          ...UserErrors
        }
      }
    }
  `,
  [USER_ERRORS],
);

export const REVOKE_API_KEY = graphql(
  `
    mutation RevokeApiKey($id: ID!) {
      revokeApiKey(id: $id) {
        apiKey {
          id
          revoked
          revokedAt
        }
        userErrors {
          ...UserErrors
        }
      }
    }
  `,
  [USER_ERRORS],
);

export const CREATE_ASSOCIATE = graphql(
  `
    mutation CreateAssociate($input: CreateAssociateInput!) {
      createAssociate(input: $input) {
        associate {
          id
        }
        userErrors {
          ...UserErrors
        }
      }
    }
  `,
  [USER_ERRORS],
);

export const CREATE_EVENT_TYPE = graphql(
  `
    mutation CreateEventType($input: CreateEventTypeInput!) {
      createEventType(input: $input) {
        eventType {
          id
        }
        userErrors {
          ...UserErrors
        }
      }
    }
  `,
  [USER_ERRORS],
);

export const CONSOLE_LINKS = graphql(`
  query ConsoleLinks {
    consoleLinks {
      id
      role
      createdAt
      expiresAt
      revokedAt
      createdBy {
        id
        name
      }
    }
  }
`);

export const CREATE_CONSOLE_LINK = graphql(
  `
    mutation CreateConsoleLink($input: CreateConsoleLinkInput!) {
      createConsoleLink(input: $input) {
        url
        consoleLink {
          id
        }
        userErrors {
          ...UserErrors
        }
      }
    }
  `,
  [USER_ERRORS],
);

export const REVOKE_CONSOLE_LINK = graphql(
  `
    mutation RevokeConsoleLink($id: ID!) {
      revokeConsoleLink(id: $id) {
        consoleLink {
          id
          revokedAt
        }
        userErrors {
          ...UserErrors
        }
      }
    }
  `,
  [USER_ERRORS],
);
