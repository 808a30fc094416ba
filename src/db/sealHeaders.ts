// The start-up half of the migration that sealed webhooks' custom headers
// (prisma/*migrations/20261124100000_webhook_sealed_headers): SQL cannot
// encrypt, so it left existing headers as "plain:<JSON>" (and masked the
// sensitive values earlier attempts recorded). This seals each such row. Each
// update applies only if the row is still unsealed, so instances starting
// together, or a start interrupted half-way, are safe.
import { LEGACY_PLAIN_PREFIX, openHeaders, sealHeaders } from '../base/customHeaders.js';
import type { SecretBox } from '../base/secrets.js';
import type { Sql } from './sql.js';

/** Seals every webhook row still holding plain-text headers; returns how many it sealed. */
export async function sealLegacyHeaders(sql: Sql, box: SecretBox): Promise<number> {
  const rows = await sql.all<{ id: string; headersCiphertext: string }>(
    `SELECT "id", "headersCiphertext" FROM "Webhook" WHERE "headersCiphertext" LIKE ?`,
    [`${LEGACY_PLAIN_PREFIX}%`],
  );
  let sealed = 0;
  for (const row of rows) {
    const headers = openHeaders(box, row.headersCiphertext);
    const done = await sql.tx(async (tx) => {
      const changed = await tx.run(`UPDATE "Webhook" SET "headersCiphertext" = ? WHERE "id" = ? AND "headersCiphertext" = ?`, [
        sealHeaders(box, headers),
        row.id,
        row.headersCiphertext,
      ]);
      if (!changed) return false; // another instance sealed it first
      tx.afterCommit('webhook.changed', { id: row.id });
      return true;
    });
    if (done) sealed++;
  }
  return sealed;
}
