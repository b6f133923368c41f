/** Keys whose value is free-form JSON: an explicit null there is data (PROTOCOL §0). */
const FREE_FORM = new Set(['content', 'public', 'private']);

/** Removes `null` values (= "not given") everywhere except inside free-form JSON. */
export function dropNulls(value: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null && !FREE_FORM.has(k)) continue;
    out[k] = v !== null && typeof v === 'object' && !Array.isArray(v) && !FREE_FORM.has(k) ? dropNulls(v) : v;
  }
  return out;
}
