import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures after the Standard Webhooks specification
 * (https://www.standardwebhooks.com, spec/standard-webhooks.md, "Signature scheme"): the sender
 * signs `{webhook-id}.{webhook-timestamp}.{body}` with HMAC-SHA256 and sends
 *
 *   webhook-id:        the event's unique id — here the idempotency key, the CloudEvent id `{orderId}:{version}`
 *   webhook-timestamp: the attempt's time, integer unix seconds (a retry carries a new one)
 *   webhook-signature: `v1,<base64 signature>`; several, space-separated, during a key rotation
 *
 * Receivers verify with any Standard Webhooks library or with `verifyWebhook` below. Signing the
 * id and the timestamp with the body is what makes a captured request useless for a replay later.
 */

export const WEBHOOK_ID_HEADER = 'webhook-id';
export const WEBHOOK_TIMESTAMP_HEADER = 'webhook-timestamp';
export const WEBHOOK_SIGNATURE_HEADER = 'webhook-signature';
/** The same id under the name idempotency-aware HTTP stacks look for (IETF draft `Idempotency-Key`). */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** The body is a structured-mode CloudEvent (CloudEvents HTTP binding, section 3.1). */
export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json; charset=utf-8';

/** The spec's secret serialisation: `whsec_` + base64 of the key bytes. */
const SECRET_PREFIX = 'whsec_';
const SIGNATURE_VERSION = 'v1';
/** The spec's suggested replay window: five minutes either way. */
const DEFAULT_TOLERANCE_SECONDS = 300;

/**
 * The HMAC key: a `whsec_…` secret is base64-decoded as the spec serialises it; any other secret
 * (a passphrase in riskwatch.yaml) is used as its UTF-8 bytes.
 */
export function webhookKey(secret: string): Buffer {
  return secret.startsWith(SECRET_PREFIX)
    ? Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64')
    : Buffer.from(secret, 'utf8');
}

function hmac(key: Buffer, id: string, timestampSeconds: number, body: string | Uint8Array): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestampSeconds}.`).update(body).digest();
}

/** The `webhook-signature` value for one attempt: `v1,<base64 HMAC-SHA256>`. */
export function signWebhook(secret: string | Buffer, id: string, timestampSeconds: number, body: string | Uint8Array): string {
  const key = typeof secret === 'string' ? webhookKey(secret) : secret;
  return `${SIGNATURE_VERSION},${hmac(key, id, timestampSeconds, body).toString('base64')}`;
}

/** The headers of one delivery attempt (names lower-case, as HTTP/2 and Node's parser use them). */
export function webhookHeaders(
  secret: string | Buffer, id: string, timestampSeconds: number, body: string,
): Record<string, string> {
  return {
    'content-type': CLOUDEVENTS_CONTENT_TYPE,
    [WEBHOOK_ID_HEADER]: id,
    [WEBHOOK_TIMESTAMP_HEADER]: String(timestampSeconds),
    [WEBHOOK_SIGNATURE_HEADER]: signWebhook(secret, id, timestampSeconds, body),
    [IDEMPOTENCY_KEY_HEADER]: id,
  };
}

/** A fetch `Headers` object or Node's `IncomingHttpHeaders` (lower-case names). */
export type ReceivedHeaders = Headers | Record<string, string | string[] | undefined>;

function header(headers: ReceivedHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const value = (headers as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? value.join(' ') : value;
}

/**
 * Checks a received webhook: the three headers are present, the timestamp is within
 * `toleranceSeconds` of `nowSeconds` (either way: stale requests are replays, far-future ones
 * forged), and one of the `v1` signatures matches — compared in constant time, so response timing
 * reveals nothing about the expected signature. `body` must be the raw bytes as received: JSON
 * parsed and serialised again rarely matches byte for byte.
 */
export function verifyWebhook(
  secret: string | Buffer,
  headers: ReceivedHeaders,
  body: string | Uint8Array,
  nowSeconds: number,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): boolean {
  const id = header(headers, WEBHOOK_ID_HEADER);
  const timestamp = header(headers, WEBHOOK_TIMESTAMP_HEADER);
  const signatures = header(headers, WEBHOOK_SIGNATURE_HEADER);
  if (!id || !timestamp || !signatures || !/^[0-9]{1,15}$/.test(timestamp)) return false;
  const timestampSeconds = Number(timestamp);
  if (Math.abs(nowSeconds - timestampSeconds) > toleranceSeconds) return false;
  const key = typeof secret === 'string' ? webhookKey(secret) : secret;
  const expected = hmac(key, id, timestampSeconds, body);
  let matched = false;
  for (const candidate of signatures.split(' ')) {
    const comma = candidate.indexOf(',');
    if (comma < 0 || candidate.slice(0, comma) !== SIGNATURE_VERSION) continue;
    const given = Buffer.from(candidate.slice(comma + 1), 'base64');
    // timingSafeEqual needs equal lengths; a length mismatch says nothing about the key.
    if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true;
  }
  return matched;
}
