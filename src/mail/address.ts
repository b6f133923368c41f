/** Bare addresses we accept: a local part and a dotted domain, no spaces, quotes or angle brackets. */
const ADDRESS = /^[^\s@<>()",;:\\[\]]{1,64}@[^\s@<>()",;:\\[\].]+(?:\.[^\s@<>()",;:\\[\].]+)+$/;
/** Any control character (CR and LF above all) would let a value break out of a mail header. */
const CONTROL = /[\u0000-\u001f\u007f]/;
const NAME_FORM = /^([^<>]*)<([^<>]*)>$/;

export const MAX_EMAIL_CHARS = 255;

/**
 * Normalizes an invite address (PROTOCOL §3.17 create step 1): trimmed,
 * lower-cased, either bare or in `Name <addr>` form; returns the bare
 * address, or null when it is not one we can safely mail.
 */
export function parseEmailAddress(input: string): string | null {
  if (CONTROL.test(input)) return null;
  const text = input.trim().toLowerCase();
  const named = NAME_FORM.exec(text);
  const addr = (named ? (named[2] ?? '') : text).trim();
  if (addr.length > MAX_EMAIL_CHARS || !ADDRESS.test(addr)) return null;
  return addr;
}

/** True when `s` holds a character that must never reach a mail header. */
export function hasControlChars(s: string): boolean {
  return CONTROL.test(s);
}
