/**
 * Who is calling: the verified identity behind a request, and the roles it holds. Every signed-in user
 * is a customer, whose customer id is their uid; staff roles come as the `roles` custom claim of their
 * Firebase Authentication / Identity Platform account.
 */
import { EventloomError } from '../core/errors.ts';

const STAFF_ROLES = ['catalog', 'fulfilment', 'operator'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];
export type Role = 'customer' | StaffRole;

export interface Principal {
  /** The account's uid; for the `customer` role it is also the customer id. */
  readonly uid: string;
  readonly email: string | null;
  /** `customer` always, plus the staff roles the account's `roles` claim grants. */
  readonly roles: ReadonlySet<Role>;
  /** When the token it came from expires: a WebSocket authenticated with it is closed then. */
  readonly expiresAt: Date;
}

function isStaffRole(value: unknown): value is StaffRole {
  return typeof value === 'string' && (STAFF_ROLES as readonly string[]).includes(value);
}

/** The principal's roles from a token's `roles` claim; anything that is not a known staff role is ignored. */
export function rolesFromClaim(claim: unknown): ReadonlySet<Role> {
  const staff = Array.isArray(claim) ? claim.filter(isStaffRole) : [];
  return new Set<Role>(['customer', ...staff]);
}

/** Verifies a bearer token and says who it belongs to. */
export interface TokenVerifier {
  /** The principal of a valid token; UnauthenticatedError for anything else (expired, forged, revoked). */
  verify(token: string): Promise<Principal>;
}

/** No credentials, or credentials that do not prove who the caller is. */
export class UnauthenticatedError extends EventloomError {
  readonly code = 'AUTH.UNAUTHENTICATED';

  constructor(message = 'Sign in first: send a Firebase ID token as `Authorization: Bearer <token>`.', options?: ErrorOptions) {
    super(message, options);
  }
}
