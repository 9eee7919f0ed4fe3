import { HTTP, ValidationError } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import { ORDER_SCHEMA_ID } from '../../../src/api/schemas/order.js';
import { CloudEvent, EVENT_SOURCE, cloudEvent } from '../../../src/sinks/cloud-event.js';
import { makeAlert, makeOrder, T0 } from '../../helpers/store-fixtures.js';

describe('cloudEvent', () => {
  it('is a CloudEvents 1.0 event whose JSON is the structured mode the sinks publish', () => {
    const order = makeOrder({ version: 3, updatedAt: T0 + 5000 });
    const event = cloudEvent('riskwatch.order.status', 'order-1:3', order.id, order.updatedAt, order);
    expect(event).toBeInstanceOf(CloudEvent);
    expect(JSON.parse(JSON.stringify(event))).toEqual({
      specversion: '1.0',
      id: 'order-1:3',
      source: EVENT_SOURCE,
      type: 'riskwatch.order.status',
      subject: 'order-1',
      time: '2024-11-22T08:00:05.000Z',
      datacontenttype: 'application/json',
      dataschema: ORDER_SCHEMA_ID,
      data: JSON.parse(JSON.stringify(order)),
    });
  });

  it('names the order schema for order events only', () => {
    const alert = makeAlert();
    const event = cloudEvent('riskwatch.alert.opened', 'alert-1:1', alert.id, alert.openedAt, alert);
    expect(event.dataschema).toBeUndefined();
    expect(JSON.parse(JSON.stringify(event))).not.toHaveProperty('dataschema');
  });

  it('validates the envelope strictly: a bad event throws instead of going out', () => {
    const order = makeOrder();
    expect(() => cloudEvent('', 'x:1', order.id, T0, order)).toThrow(ValidationError);
    expect(() => cloudEvent('riskwatch.order.created', '', order.id, T0, order)).toThrow(ValidationError);
  });

  it('is what the cloudevents HTTP binding reads back in structured mode', () => {
    const order = makeOrder();
    const event = cloudEvent('riskwatch.order.created', 'order-1:1', order.id, order.updatedAt, order);
    const message = HTTP.structured(event);
    const back = HTTP.toEvent({ headers: message.headers, body: JSON.stringify(event) }) as CloudEvent<unknown>;
    expect(back.id).toBe('order-1:1');
    expect(back.dataschema).toBe(ORDER_SCHEMA_ID);
    expect(back.data).toEqual(JSON.parse(JSON.stringify(order)));
  });
});
