// The event payload every delivery scenario publishes (Hookline and the queue
// baselines alike), in a module of its own so the baseline roles can load it
// without the GraphQL client.

/** A realistic, ~300-byte event payload. */
export function samplePayload(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    orderId: 'ord_8f14e45fceea167a5a36dedd4bea2543',
    customer: { id: 'cus_42', email: 'ada@example.com', name: 'Ada Lovelace' },
    total: { amount: 12950, currency: 'EUR' },
    items: [
      { sku: 'HL-001', qty: 2, price: 4975 },
      { sku: 'HL-002', qty: 1, price: 3000 },
    ],
    placedAt: '2026-01-31T12:00:00.000Z',
    ...extra,
  };
}
