/**
 * PROTOCOL §1.2 origin matching, one policy for WebSocket and CORS (§12 item 22):
 * an empty list or ["*"] allows every origin; otherwise an exact entry or a
 * `scheme://*.domain` wildcard must match. A request without Origin is allowed.
 */
export class OriginPolicy {
  readonly #any: boolean;

  constructor(private readonly allowed: readonly string[]) {
    this.#any = allowed.length === 0 || (allowed.length === 1 && allowed[0] === '*');
  }

  allows(origin: string | undefined): boolean {
    if (!origin) return true;
    if (this.#any) return true;
    return this.allowed.some((entry) => entry === origin || wildcardMatch(entry, origin));
  }
}

function wildcardMatch(entry: string, origin: string): boolean {
  const m = /^([a-z][a-z0-9+.-]*):\/\/\*\.(.+)$/i.exec(entry);
  if (!m) return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  const domain = (m[2] ?? '').replace(/:\d+$/, '').toLowerCase();
  const host = url.hostname.toLowerCase();
  return url.protocol === `${m[1]?.toLowerCase()}:` && host.endsWith('.' + domain) && host.length > domain.length + 1;
}
