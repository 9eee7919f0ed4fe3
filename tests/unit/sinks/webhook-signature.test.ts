import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook, webhookHeaders, webhookKey } from '../../../src/sinks/webhook-signature.js';

// The Standard Webhooks reference vector (libraries/javascript/src/webhook.test.ts, "sign function works").
const SPEC = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

const ID = 'ord-7:3';
const NOW = 1_732_300_000;
const BODY = '{"specversion":"1.0","id":"ord-7:3","subject":"ord-7","data":{"note":"住户 张三"}}';
const SECRET = 'whsec_' + Buffer.from('a 32-byte key for riskwatch test').toString('base64');

function signed(overrides: Record<string, string> = {}): Record<string, string> {
  return { ...webhookHeaders(SECRET, ID, NOW, BODY), ...overrides };
}

describe('signWebhook', () => {
  it('matches the Standard Webhooks reference vector', () => {
    expect(signWebhook(SPEC.secret, SPEC.id, SPEC.timestamp, SPEC.body)).toBe(SPEC.signature);
  });

  it('uses a secret without the whsec_ prefix as its UTF-8 bytes', () => {
    const expected = createHmac('sha256', Buffer.from('correct horse 电池', 'utf8')).update(`${ID}.${NOW}.${BODY}`).digest('base64');
    expect(signWebhook('correct horse 电池', ID, NOW, BODY)).toBe(`v1,${expected}`);
    expect(webhookKey('correct horse 电池')).toEqual(Buffer.from('correct horse 电池', 'utf8'));
    expect(webhookKey(SPEC.secret)).toEqual(Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64'));
  });

  it('signs the body bytes: a string and its UTF-8 encoding sign alike', () => {
    expect(signWebhook(SECRET, ID, NOW, Buffer.from(BODY, 'utf8'))).toBe(signWebhook(SECRET, ID, NOW, BODY));
  });
});

describe('webhookHeaders', () => {
  it('carries the id as webhook-id and Idempotency-Key, the timestamp, the signature and the CloudEvents type', () => {
    expect(webhookHeaders(SPEC.secret, SPEC.id, SPEC.timestamp, SPEC.body)).toEqual({
      'content-type': 'application/cloudevents+json; charset=utf-8',
      'webhook-id': SPEC.id,
      'webhook-timestamp': String(SPEC.timestamp),
      'webhook-signature': SPEC.signature,
      'idempotency-key': SPEC.id,
    });
  });
});

describe('verifyWebhook', () => {
  it('accepts a request signed with the secret, from plain headers or a fetch Headers object', () => {
    expect(verifyWebhook(SECRET, signed(), BODY, NOW)).toBe(true);
    expect(verifyWebhook(SECRET, new Headers(signed()), Buffer.from(BODY), NOW)).toBe(true);
    expect(verifyWebhook(SPEC.secret, webhookHeaders(SPEC.secret, SPEC.id, SPEC.timestamp, SPEC.body), SPEC.body, SPEC.timestamp)).toBe(true);
  });

  it('rejects a wrong secret, a changed body, id or timestamp', () => {
    expect(verifyWebhook('whsec_' + Buffer.from('another key').toString('base64'), signed(), BODY, NOW)).toBe(false);
    expect(verifyWebhook(SECRET, signed(), BODY.replace('ord-7', 'ord-8'), NOW)).toBe(false);
    expect(verifyWebhook(SECRET, signed({ 'webhook-id': 'ord-7:4' }), BODY, NOW)).toBe(false);
    expect(verifyWebhook(SECRET, signed({ 'webhook-timestamp': String(NOW - 1) }), BODY, NOW)).toBe(false);
  });

  it('rejects timestamps outside the tolerance, either way (replays and forgeries)', () => {
    expect(verifyWebhook(SECRET, signed(), BODY, NOW + 300)).toBe(true);
    expect(verifyWebhook(SECRET, signed(), BODY, NOW - 300)).toBe(true);
    expect(verifyWebhook(SECRET, signed(), BODY, NOW + 301)).toBe(false);
    expect(verifyWebhook(SECRET, signed(), BODY, NOW - 301)).toBe(false);
    expect(verifyWebhook(SECRET, signed(), BODY, NOW + 30, 10)).toBe(false);
  });

  it('rejects missing headers, a malformed timestamp and truncated or unversioned signatures', () => {
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
      const headers: Record<string, string> = signed();
      delete headers[name];
      expect(verifyWebhook(SECRET, headers, BODY, NOW)).toBe(false);
    }
    expect(verifyWebhook(SECRET, signed({ 'webhook-timestamp': `${NOW}.5` }), BODY, NOW)).toBe(false);
    const value = signed()['webhook-signature']!;
    expect(verifyWebhook(SECRET, signed({ 'webhook-signature': value.slice(0, 10) }), BODY, NOW)).toBe(false);
    expect(verifyWebhook(SECRET, signed({ 'webhook-signature': 'v1,' }), BODY, NOW)).toBe(false);
    expect(verifyWebhook(SECRET, signed({ 'webhook-signature': value.slice(3) }), BODY, NOW)).toBe(false);
    expect(verifyWebhook(SECRET, signed({ 'webhook-signature': value.replace('v1,', 'v2,') }), BODY, NOW)).toBe(false);
  });

  it('accepts a list of signatures when one of them matches (key rotation)', () => {
    const value = signed()['webhook-signature']!;
    const old = signWebhook('whsec_' + Buffer.from('the retired key').toString('base64'), ID, NOW, BODY);
    expect(verifyWebhook(SECRET, signed({ 'webhook-signature': `${old} v1a,bm90IGNoZWNrZWQ= ${value}` }), BODY, NOW)).toBe(true);
    expect(verifyWebhook(SECRET, signed({ 'webhook-signature': `${old} v1a,bm90IGNoZWNrZWQ=` }), BODY, NOW)).toBe(false);
  });
});
