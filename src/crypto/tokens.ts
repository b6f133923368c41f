import { SignJWT, errors, jwtVerify } from 'jose';

export interface VerifiedToken {
  userId: string;
  epoch: number;
  issuedAt: number;
  expiresAt: number;
}

export class TokenError extends Error {
  constructor(readonly reason: 'invalid' | 'expired') {
    super(reason === 'expired' ? 'token expired' : 'invalid token');
    this.name = 'TokenError';
  }
}

export class TokenService {
  constructor(
    private readonly key: Uint8Array,
    private readonly lifetimeSeconds: number,
    private readonly issuer = 'mvchat',
  ) {
    if (key.length === 0) throw new Error('token key must not be empty');
    if (!Number.isInteger(lifetimeSeconds) || lifetimeSeconds <= 0) {
      throw new Error('token lifetime must be a positive integer');
    }
  }

  async issue(userId: string, epoch: number, now = new Date()): Promise<{ token: string; expires: Date }> {
    if (!Number.isSafeInteger(epoch) || epoch < 0) throw new Error('token epoch must be a non-negative integer');
    const iat = Math.floor(now.getTime() / 1000);
    const exp = iat + this.lifetimeSeconds;
    // Epoch 0 is left out so the token is claim-for-claim what the reference server issues.
    const claims: Record<string, unknown> = epoch === 0 ? { uid: userId } : { uid: userId, te: epoch };
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(this.issuer)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(this.key);
    return { token, expires: new Date(exp * 1000) };
  }

  async verify(token: string, now = new Date()): Promise<VerifiedToken> {
    let payload;
    try {
      // HS256 only: the reference also took HS384/HS512, but nothing legitimate ever produced them.
      ({ payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        currentDate: now,
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      throw new TokenError(err instanceof errors.JWTExpired ? 'expired' : 'invalid');
    }
    const { uid, te, iat, exp } = payload;
    if (typeof uid !== 'string' || uid === '') throw new TokenError('invalid');
    if (te !== undefined && !(Number.isSafeInteger(te) && (te as number) >= 0)) throw new TokenError('invalid');
    if (typeof exp !== 'number') throw new TokenError('invalid');
    return {
      userId: uid,
      epoch: (te as number | undefined) ?? 0,
      issuedAt: typeof iat === 'number' ? iat : 0,
      expiresAt: exp,
    };
  }
}
