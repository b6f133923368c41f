/** Keys whose value is free-form JSON: an explicit null there is data (PROTOCOL §0). */
const FREE_FORM = new Set(['content', 'public', 'private']);

/**
 * Removes `null` values (= "not given") everywhere except inside free-form
 * JSON. Keys are the client's text: `__proto__` stays an ordinary own key
 * (never the object's prototype), like JSON.parse makes it.
 */
export function dropNulls(value: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null && !FREE_FORM.has(k)) continue;
    const kept = v !== null && typeof v === 'object' && !Array.isArray(v) && !FREE_FORM.has(k) ? dropNulls(v) : v;
    if (k === '__proto__') Object.defineProperty(out, k, { value: kept, enumerable: true, writable: true, configurable: true });
    else out[k] = kept;
  }
  return out;
}
