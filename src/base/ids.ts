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

/** Characters of time at the front of an id: 62^8 ms lasts until the year 8888. */
const TIME_CHARS = 8;

/** `ms` as TIME_CHARS base62 digits, most significant first (so text order is time order). */
export function timePrefix(ms: number): string {
  let out = '';
  for (let i = 0; i < TIME_CHARS; i++) {
    out = ALPHABET[ms % 62] + out;
    ms = Math.floor(ms / 62);
  }
  return out;
}

/**
 * An id: 24 alphanumeric characters, the creation time in milliseconds (8)
 * then 16 random ones (about 95 bits, unguessable). Ids made one after the
 * other sort together, so every index keyed by id (each table's primary key,
 * the attempts' delivery index, …) takes new rows at its right edge instead
 * of on a random page: a batch of 64 deliveries dirties a few index pages
 * instead of about 64 per index, which SQLite writes to its WAL on every
 * commit (the delivery path's largest cost, see BENCHMARKS.md). The ids of
 * Svix (KSUID) and Stripe-like services are time-ordered for the same
 * reason. Older, fully random ids keep working: only their format is shared.
 */
export function newId(now = Date.now()): string {
  return timePrefix(now) + randomAlphanumeric(24 - TIME_CHARS);
}

let lastMs = -1;
let lastRandom = '';

/** `s` (base62, most significant first) plus one, wrapping at all "z". */
function increment(s: string): string {
  const chars = s.split('');
  for (let i = chars.length - 1; i >= 0; i--) {
    const d = ALPHABET.indexOf(chars[i]);
    if (d < 61) {
      chars[i] = ALPHABET[d + 1];
      return chars.join('');
    }
    chars[i] = '0';
  }
  return chars.join('');
}

/**
 * An id like newId() that also sorts after every id this thread made
 * before, even within one millisecond (the random part of the previous id
 * plus one, as monotonic ULIDs do). Delivery attempts use it: the log's
 * cursors order by (createdAt, id), and a live stream sends a thread's
 * attempts in the order they were made, so ties must break the same way.
 */
export function newMonotonicId(now = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    lastRandom = randomAlphanumeric(24 - TIME_CHARS);
  } else {
    lastRandom = increment(lastRandom);
  }
  return timePrefix(lastMs) + lastRandom;
}
