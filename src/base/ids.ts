import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * Random alphanumeric string. 62 does not divide 256, so bytes >= 248 are
 * rejected to keep every character equally likely.
 */
export function randomAlphanumeric(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248 && out.length < length) out += ALPHABET[b % 62];
    }
  }
  return out;
}

/** Unguessable alphanumeric ID: 24 characters, about 143 bits. */
export function newId(): string {
  return randomAlphanumeric(24);
}
