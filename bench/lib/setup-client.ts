import { connect, isSuccess, type Ctrl, type MvchatClient } from '../../client/index.js';

/**
 * A client for setting a run up. No compression, as the load workers; no
 * reply timeout, since sign-up is slow by design (Argon2) on a busy machine.
 */
export function openSetupClient(url: string): Promise<MvchatClient> {
  return connect(url, { timeoutMs: 0, ws: { perMessageDeflate: false } });
}

/** Throws with the server's answer unless the ctrl is a success. */
export function expectOk(ctrl: Ctrl, what: string): Ctrl {
  if (!isSuccess(ctrl)) throw new Error(`${what}: ${ctrl.code} ${ctrl.text}`);
  return ctrl;
}
