// UUID parsing in every form the reference server's parser accepts (spec §0):
// hyphenated in either case, 32 bare hex digits, a `urn:uuid:` prefix (any
// case) or braces around the hyphenated form. No version/variant check, no
// surrounding whitespace. The output is always the canonical lowercase,
// hyphenated, 36-character form, so ids compare with plain string equality.

const HYPHENATED = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BARE_HEX = /^[0-9a-f]{32}$/i;
const URN_PREFIX = 'urn:uuid:';

export function parseUuid(s: string): string | null {
  if (typeof s !== 'string') return null;
  let body = s;
  switch (s.length) {
    case 36:
      break;
    case 32:
      if (!BARE_HEX.test(s)) return null;
      body = `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
      break;
    case 38:
      if (s[0] !== '{' || s[37] !== '}') return null;
      body = s.slice(1, 37);
      break;
    case 45:
      if (s.slice(0, URN_PREFIX.length).toLowerCase() !== URN_PREFIX) return null;
      body = s.slice(URN_PREFIX.length);
      break;
    default:
      return null;
  }
  return HYPHENATED.test(body) ? body.toLowerCase() : null;
}
