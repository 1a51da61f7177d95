/**
 * The baseline of (g), and nothing else: a TokenVerifier that verifies nothing and answers every token with
 * one fixed principal. Only the bench may wire it; an API built with it lets anyone act as that principal.
 */
import type { Principal, TokenVerifier } from '../src/auth/principal.ts';

export class FixedPrincipalVerifier implements TokenVerifier {
  constructor(private readonly principal: Principal) {}

  verify(_token: string): Promise<Principal> {
    return Promise.resolve(this.principal);
  }
}
