/**
 * CloudEvents 1.0, structured JSON mode: the envelope downstream systems already know how to route
 * (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md). `id` is unique per
 * announced state, so a consumer can drop a redelivered copy (QoS 1 is at-least-once).
 */
export interface CloudEvent<T> {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: T;
}

export const EVENT_SOURCE = 'riskwatch';

export function cloudEvent<T>(type: string, id: string, subject: string, at: number, data: T): CloudEvent<T> {
  return { specversion: '1.0', id, source: EVENT_SOURCE, type, subject, time: new Date(at).toISOString(), datacontenttype: 'application/json', data };
}
