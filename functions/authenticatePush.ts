/**
 * The first thing each push endpoint does: make sure the delivery comes from our push subscriptions.
 *
 * 401 without a genuine Google token, 403 with one meant for another endpoint or account. Nothing is
 * written and the reason is logged; Pub/Sub redelivers until the subscription dead-letters the message,
 * which is what a misconfigured push deserves (its dead letter can be redriven once the push is fixed).
 */
import type { Request, Response } from '@google-cloud/functions-framework';
import type { Logger } from '../src/logger.ts';
import { PushForbiddenError, PushUnauthenticatedError, type PushAuthenticator } from '../src/pubsub/pushAuthentication.ts';

/** True when the push may be handled; otherwise the response has been sent. */
export async function authenticatePush(
  req: Request,
  res: Response,
  authenticator: PushAuthenticator,
  logger: Logger,
  context: Record<string, unknown>,
): Promise<boolean> {
  try {
    await authenticator.authenticate(req.get('authorization'), endpointUrl(req));
    return true;
  } catch (error) {
    if (!(error instanceof PushUnauthenticatedError || error instanceof PushForbiddenError)) {
      logger.error({ ...context, err: error }, 'could not check who pushed; Pub/Sub will redeliver');
      throw error;
    }
    logger.warn({ ...context, code: error.code, reason: error.message }, 'refused a push delivery');
    if (error instanceof PushUnauthenticatedError) res.set('WWW-Authenticate', 'Bearer');
    // The reason stays in the log: a caller without the right token learns nothing about what would pass.
    res.status(error instanceof PushUnauthenticatedError ? 401 : 403).json({ error: { code: error.code } });
    return false;
  }
}

/**
 * The URL this request was sent to: what Pub/Sub puts in the token when the subscription names no
 * audience (its push endpoint). req.protocol follows X-Forwarded-Proto (the framework trusts the proxy, and
 * Cloud Run ends TLS in front of the function); the host is the Host header, which Google's front end
 * routes on, never X-Forwarded-Host, which a caller could set to another endpoint's name.
 */
function endpointUrl(req: Request): string {
  return `${req.protocol}://${req.headers.host}${req.originalUrl}`;
}
