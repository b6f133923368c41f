/**
 * The `secret` of the `basic` scheme: base64 of the UTF-8 bytes of `name:password`.
 * Built from TextEncoder and btoa, which Node and browsers both have.
 */
export function basicSecret(name: string, password: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(`${name}:${password}`)) binary += String.fromCharCode(byte);
  return btoa(binary);
}
