// Every environment setting, declared once: its parser (a zod schema from the
// raw string to the typed value), the default the README shows and what it
// means. src/base/config.ts parses the environment with SETTINGS, and
// scripts/settings-table.ts writes the README's settings table from it (a
// test fails when the table is stale), so a setting cannot be added,
// renamed or given a new default in one place and not the other.
//
// The parsers keep their own messages ("expected a whole number, got …")
// rather than zod's defaults: start-up prints them as one line,
// `hookline: Invalid PORT: …`, and users and tests rely on the wording.
import { z } from 'zod';

/** What the README's table shows for a setting: its default, and what it means. */
export interface SettingDoc {
  /** A literal default, shown in backticks; or null when `defaultText` says it in words. */
  default: string | null;
  /** The default in words (`unset`, `generated`), when it is not one literal value. */
  defaultText?: string;
  description: string;
}

/** The registry that holds each setting's documentation (zod's metadata, typed). */
export const settingDocs = z.registry<SettingDoc>();

type Ctx = z.core.$RefinementCtx<string | undefined>;

/** A setting's parser: undefined or '' means the default; anything else is parsed or refused with `message`. */
function setting<T>(parse: (raw: string, fail: (message: string) => never) => T, fallback: () => T) {
  return z
    .string()
    .optional()
    .transform((raw, ctx: Ctx): T => {
      if (raw === undefined || raw === '') return fallback();
      try {
        return parse(raw, (message) => {
          throw new Refused(message);
        });
      } catch (err) {
        if (!(err instanceof Refused)) throw err;
        ctx.addIssue({ code: 'custom', message: err.message });
        return z.NEVER;
      }
    });
}

class Refused extends Error {}

/** Plain text, taken as given. */
export function text(fallback: string) {
  return setting(
    (raw) => raw,
    () => fallback,
  );
}

/** A value that may be left unset (null); `parse` turns the text into it, or refuses it. */
export function optional<T = string>(parse: (raw: string, fail: (message: string) => never) => T | null = (raw) => raw as T) {
  return setting<T | null>(parse, () => null);
}

/** A whole number between min and max (inclusive); surrounding spaces and leading zeros are fine. */
export function wholeNumber(fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) {
  return setting(
    (raw, fail) => {
      if (!/^-?\d+$/.test(raw.trim())) fail(`expected a whole number, got "${raw}"`);
      const n = Number(raw);
      if (n < min || n > max) fail(`must be between ${min} and ${max}, got ${n}`);
      return n;
    },
    () => fallback,
  );
}

/** true/1/yes/on or false/0/no/off, in any case. */
export function flag(fallback: boolean) {
  return setting(
    (raw, fail) => {
      const v = raw.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(v)) return true;
      if (['false', '0', 'no', 'off'].includes(v)) return false;
      return fail(`expected true or false, got "${raw}"`);
    },
    () => fallback,
  );
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Plain seconds ("86400") or a unit suffix ("24h", "30m", "500ms"), in milliseconds; null when it is not one. */
export function durationMs(raw: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(raw.trim());
  return m ? Math.round(Number(m[1]) * DURATION_UNITS[m[2] ?? 's']) : null;
}

export const DURATION_HINT = 'expected a duration such as 86400, 30m or 24h';

/** A duration, in milliseconds. */
export function duration(fallback: string) {
  const parse = (raw: string, fail: (message: string) => never) => durationMs(raw) ?? fail(`${DURATION_HINT}, got "${raw}"`);
  const ms = durationMs(fallback)!;
  return setting(parse, () => ms);
}

/** One of a fixed set of words. */
export function oneOf<const T extends string>(fallback: T, values: readonly T[]) {
  return setting(
    (raw, fail) => (values.includes(raw as T) ? (raw as T) : fail(`must be one of ${values.join(', ')}, got "${raw}"`)),
    () => fallback,
  );
}

/** A setting with its README entry. */
export function documented<S extends z.ZodType>(schema: S, doc: SettingDoc): S {
  settingDocs.add(schema, doc);
  return schema;
}
