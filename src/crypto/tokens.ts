import { createSigner, createVerifier, TokenError as JwtError } from 'fast-jwt';

export interface VerifiedToken {
  userId: string;
  epoch: number;
  /** The session the token belongs to (`sid`); absent on tokens of the reference server and of older mvchat. */
  session?: string | undefined;
  issuedAt: number;
  expiresAt: number;
}

export class TokenError extends Error {
  constructor(readonly reason: 'invalid' | 'expired') {
    super(reason === 'expired' ? 'token expired' : 'invalid token');
    this.name = 'TokenError';
  }
}

type Verify = (token: string) => Record<string, unknown>;

/**
 * HS256 tokens shaped like the reference server's (`uid`, `iss`, `iat`, `exp`,
 * plus `te` for a non-zero token epoch). Signing and verifying are synchronous
 * HMACs from node:crypto (fast-jwt): a token login costs microseconds, not a
 * WebCrypto job each way.
 */
export class TokenService {
  readonly #sign: (payload: Record<string, unknown>) => string;
  readonly #verify: Verify;
  readonly #key: Buffer;

  constructor(
    key: Uint8Array,
    private readonly lifetimeSeconds: number,
    private readonly issuer = 'mvchat',
  ) {
    if (key.length === 0) throw new Error('token key must not be empty');
    if (!Number.isInteger(lifetimeSeconds) || lifetimeSeconds <= 0) {
      throw new Error('token lifetime must be a positive integer');
    }
    this.#key = Buffer.from(key);
    this.#sign = createSigner({ key: this.#key, algorithm: 'HS256' });
    this.#verify = this.#verifier(undefined);
  }

  // HS256 only: the reference also took HS384/HS512, but nothing legitimate ever produced them.
  #verifier(clockTimestamp: number | undefined): Verify {
    return createVerifier({ key: this.#key, algorithms: ['HS256'], requiredClaims: ['exp'], clockTimestamp }) as Verify;
  }

  /**
   * `session` is written as `sid`; `notAfter` caps the expiry (a session's
   * absolute lifetime), so a token never outlives its session.
   */
  async issue(userId: string, epoch: number, now = new Date(), opts: { session?: string; notAfter?: Date } = {}): Promise<{ token: string; expires: Date }> {
    if (!Number.isSafeInteger(epoch) || epoch < 0) throw new Error('token epoch must be a non-negative integer');
    const iat = Math.floor(now.getTime() / 1000);
    const cap = opts.notAfter ? Math.floor(opts.notAfter.getTime() / 1000) : Number.POSITIVE_INFINITY;
    const exp = Math.max(iat + 1, Math.min(iat + this.lifetimeSeconds, cap));
    // Epoch 0 is left out so the token is claim-for-claim what the reference server issues.
    const claims: Record<string, unknown> = epoch === 0 ? { uid: userId } : { uid: userId, te: epoch };
    if (opts.session) claims.sid = opts.session;
    const token = this.#sign({ ...claims, iss: this.issuer, iat, exp });
    return { token, expires: new Date(exp * 1000) };
  }

  /** `now` is for tests; the server always verifies against the clock. */
  async verify(token: string, now?: Date): Promise<VerifiedToken> {
    let payload: Record<string, unknown>;
    try {
      payload = (now ? this.#verifier(now.getTime()) : this.#verify)(token);
    } catch (err) {
      throw new TokenError(err instanceof JwtError && err.code === JwtError.codes.expired ? 'expired' : 'invalid');
    }
    const { uid, te, iat, exp, sid } = payload;
    if (typeof uid !== 'string' || uid === '') throw new TokenError('invalid');
    if (te !== undefined && !(Number.isSafeInteger(te) && (te as number) >= 0)) throw new TokenError('invalid');
    if (typeof exp !== 'number') throw new TokenError('invalid');
    if (sid !== undefined && (typeof sid !== 'string' || sid === '' || sid.length > 64)) throw new TokenError('invalid');
    return {
      userId: uid,
      epoch: (te as number | undefined) ?? 0,
      ...(sid !== undefined ? { session: sid as string } : {}),
      issuedAt: typeof iat === 'number' ? iat : 0,
      expiresAt: exp,
    };
  }
}
