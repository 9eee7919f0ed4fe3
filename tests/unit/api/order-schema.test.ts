import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { ORDER_EVENT_SCHEMA_ID, publishedOrderEventSchema } from '../../../src/api/schemas/order-event.js';
import { ORDER_SCHEMA_ID, orderSchema, publishedOrderSchema } from '../../../src/api/schemas/order.js';
import type { DispatchOrder } from '../../../src/contracts/order.js';
import { RFC3339_PATTERN } from '../../../src/ingest/rfc3339.js';
import { cloudEvent } from '../../../src/sinks/cloud-event.js';
import { makeOrder } from '../../helpers/store-fixtures.js';
import { fullOrder } from '../../helpers/full-order.js';

const published = (file: string): string => readFileSync(`schemas/${file}`, 'utf8');

function compiledValidators() {
  const ajv = new Ajv2020({ strict: true, strictTypes: true, allErrors: true, logger: false });
  ajv.addFormat('date-time', new RegExp(RFC3339_PATTERN, 'u'));
  ajv.addSchema(JSON.parse(published('order.schema.json')) as object);
  ajv.addSchema(JSON.parse(published('order-event.schema.json')) as object);
  return {
    order: ajv.getSchema(ORDER_SCHEMA_ID)!,
    event: ajv.getSchema(ORDER_EVENT_SCHEMA_ID)!,
  };
}

/** Plain JSON, as a consumer parses it. */
const asJson = (value: unknown): Record<string, any> => JSON.parse(JSON.stringify(value)) as Record<string, any>;

describe('published order schemas', () => {
  it('schemas/order.schema.json and order-event.schema.json are the TS consts, as written', () => {
    // Regenerate after a schema change: JSON.stringify(schema, null, 2) + '\n' of the two consts.
    expect(published('order.schema.json')).toBe(JSON.stringify(publishedOrderSchema, null, 2) + '\n');
    expect(published('order-event.schema.json')).toBe(JSON.stringify(publishedOrderEventSchema, null, 2) + '\n');
  });

  it('the order schema is the API schema with a $schema (draft 2020-12) and an $id', () => {
    const { $schema, $id, title, description, ...apiSchema } = publishedOrderSchema;
    expect(apiSchema).toEqual(orderSchema);
    expect($schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect($id).toBe(ORDER_SCHEMA_ID);
    expect([typeof title, typeof description]).toEqual(['string', 'string']);
  });

  it('accepts a realistic order and an order with every optional field', () => {
    const { order } = compiledValidators();
    for (const candidate of [makeOrder(), fullOrder()]) {
      expect(order(asJson(candidate)), JSON.stringify(order.errors)).toBe(true);
    }
  });

  it('declares every field of an order, nested ones included, with a description', () => {
    const undeclared: string[] = [];
    const visit = (value: unknown, schema: Record<string, any>, where: string) => {
      if (Array.isArray(value)) {
        value.forEach((item, i) => visit(item, schema.items as Record<string, any>, `${where}[${i}]`));
        return;
      }
      if (typeof value !== 'object' || value === null) return;
      const branches = (schema.oneOf as Record<string, any>[] | undefined) ?? [schema];
      for (const [key, child] of Object.entries(value)) {
        const declared = branches.map((b) => b.properties?.[key] as Record<string, any> | undefined).find(Boolean);
        if (!declared) undeclared.push(`${where}.${key}`);
        else if (typeof declared.description !== 'string') undeclared.push(`${where}.${key} (no description)`);
        else visit(child, declared, `${where}.${key}`);
      }
    };
    const full = asJson(fullOrder());
    visit(full, orderSchema, 'order');
    expect(undeclared).toEqual([]);
    // The walk reached the nested fields.
    expect(full.supervision[0].nextDueAt).toBeTypeOf('number');
    expect(full.sla.resolveWithin.workingDays).toBe(3);
  });

  it('rejects orders that break the contract, naming the field', () => {
    const { order } = compiledValidators();
    const broken: [string, (o: Record<string, any>) => void][] = [
      ['/level', (o) => { o.level = 'purple'; }],
      ['', (o) => { delete o.sla; }],
      ['/version', (o) => { o.version = 1.5; }],
      ['/supervision/0/to', (o) => { o.supervision[0].to = 'district'; }],
      ['/sla/respondWithin', (o) => { o.sla.respondWithin = { ms: 1000, workingDays: 1 }; }],
      ['/history/0/type', (o) => { o.history[0].type = 'teleported'; }],
      ['/subject/livingAlone', (o) => { o.subject.livingAlone = 'yes'; }],
    ];
    for (const [path, breakIt] of broken) {
      const candidate = asJson(fullOrder());
      breakIt(candidate);
      expect(order(candidate), path).toBe(false);
      expect(order.errors?.map((e) => e.instancePath), path).toContain(path);
    }
  });

  it('validates the CloudEvent of an order as published, and rejects one with a foreign type or a broken order', () => {
    const { event } = compiledValidators();
    const order: DispatchOrder = fullOrder();
    const envelope = asJson(cloudEvent('riskwatch.order.overdue', `${order.id}:${order.version}`, order.id, order.updatedAt, order));
    expect(event(envelope), JSON.stringify(event.errors)).toBe(true);
    expect(envelope.dataschema).toBe(ORDER_SCHEMA_ID);

    expect(event({ ...envelope, type: 'riskwatch.order.teleported' })).toBe(false);
    expect(event({ ...envelope, time: '22 Nov 2024' })).toBe(false);
    expect(event({ ...envelope, data: { ...envelope.data, tier: 'district' } })).toBe(false);
    expect(event.errors?.map((e) => e.instancePath)).toContain('/data/tier');
  });
});
