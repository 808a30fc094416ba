import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

// Random bytes are drawn from the CSPRNG in blocks: one randomFillSync per
// few hundred characters rather than one randomBytes call (and Buffer) per id.
// Every fan-out makes one id per delivery, so this is on the publish path.
const pool = Buffer.allocUnsafe(4096);
let used = pool.length;

function nextByte(): number {
  if (used === pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  return pool[used++];
}

/**
 * Random alphanumeric string. 62 does not divide 256, so bytes >= 248 are
 * rejected to keep every character equally likely.
 */
export function randomAlphanumeric(length: number): string {
  let out = '';
  while (out.length < length) {
    const b = nextByte();
    if (b < 248) out += ALPHABET[b % 62];
  }
  return out;
}

/** Unguessable alphanumeric ID: 24 characters, about 143 bits. */
export function newId(): string {
  return randomAlphanumeric(24);
}
