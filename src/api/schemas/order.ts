import { LEVELS } from '../../contracts/level.js';
import type {
  Assignee, DeadlineKind, Department, DispatchOrder, OrderHistoryEntry, OrderSla, OrderStatus, SupervisionEntry, SupervisionTier,
  WarnedDeadlines,
} from '../../contracts/order.js';
import type { Tier } from '../../contracts/registry.js';
import { ORDER_STATUS_UPDATES } from '../../contracts/engine-api.js';
import { listPattern } from '../query-params.js';
import { idValueSchema, instantSchema, pagingProperties } from './common.js';
import { everyOf } from './every-of.js';

export const ORDER_STATUSES = everyOf<OrderStatus>()([
  'created', 'dispatched', 'accepted', 'in_progress', 'resolved', 'closed',
  'rejected', 'false_alarm', 'cancelled', 'escalated',
]);

export const TIERS = everyOf<Tier>()(['grid', 'community', 'street']);

export const SUPERVISION_TIERS = everyOf<SupervisionTier>()(['grid', 'community', 'street', 'leadership']);

export const DEADLINE_KINDS = everyOf<DeadlineKind>()(['response', 'resolution']);

export const ORDER_HISTORY_TYPES = everyOf<OrderHistoryEntry['type']>()([
  'created', 'escalated', 'status', 'alert_cleared', 'alert_level', 'rerouted', 'cancelled', 'overdue', 'deadline_warning',
]);

/**
 * An object schema declaring exactly the fields of `T` (checked with `satisfies`): a field added to
 * the contract and forgotten here fails the build instead of silently missing from the docs.
 */
type Declares<T> = { [keyword: string]: unknown; properties: Record<keyof T, unknown> };

/** The `$id` of the published order schema (`schemas/order.schema.json`); order CloudEvents name it as `dataschema`. */
export { ORDER_SCHEMA_ID } from '../../contracts/order.js';
import { ORDER_SCHEMA_ID } from '../../contracts/order.js';

const epochMs = (description: string) => ({ type: 'number', description: `${description} (epoch ms)` }) as const;

const deadlineSpecSchema = {
  description: 'A deadline as the policy states it: a fixed span in ms, or a number of working days (Chinese calendar with 调休, in the place\'s time zone).',
  oneOf: [
    {
      type: 'object', additionalProperties: false, required: ['ms'],
      properties: { ms: { type: 'number', minimum: 0, description: 'Span in milliseconds.' } },
    },
    {
      type: 'object', additionalProperties: false, required: ['workingDays'],
      properties: { workingDays: { type: 'number', minimum: 0, description: 'Number of working days.' } },
    },
  ],
} as const;

const assigneeSchema = {
  type: 'object',
  description: 'Who handles the order: the office of a grid, community or street. `person` and `phone` are personal data, carried only in orders.',
  additionalProperties: true,
  required: ['tier', 'placeId', 'placeName'],
  properties: {
    tier: { type: 'string', enum: TIERS, description: 'The assignee\'s tier.' },
    placeId: { type: 'string', description: 'Place id of the assignee (a grid, community or street).' },
    placeName: { type: 'string', description: 'Display name of that place.' },
    office: { type: 'string', description: 'The responsible office, e.g. 阳光社区居委会.' },
    person: { type: 'string', description: 'Duty person (personal data).' },
    phone: { type: 'string', description: 'Duty phone (personal data).' },
  },
} as const satisfies Declares<Assignee>;

const departmentSchema = {
  type: 'object',
  description: 'A handling department besides the tier office (gas company, water company, fire brigade), from the dispatch policy.',
  additionalProperties: true,
  required: ['id', 'name'],
  properties: {
    id: { type: 'string', description: 'Department id from the registry.' },
    name: { type: 'string', description: 'Display name.' },
    phone: { type: 'string', description: 'The department\'s duty hotline (an organisation\'s number, not personal data).' },
    kind: { type: 'string', description: 'What it handles: gas, water, fire, property, ...' },
  },
} as const satisfies Declares<Department>;

const slaSchema = {
  type: 'object',
  description: 'The SLA the policy gave the order; re-armed deadlines use the same spans.',
  additionalProperties: true,
  required: ['respondWithin', 'resolveWithin', 'warnAt', 'remindEvery'],
  properties: {
    respondWithin: { ...deadlineSpecSchema, description: 'Time to respond (accept).' },
    resolveWithin: { ...deadlineSpecSchema, description: 'Time to resolve.' },
    warnAt: { type: 'number', minimum: 0, maximum: 1, description: 'Fraction of a deadline\'s span after which a warning is published (0 = none).' },
    remindEvery: {
      type: 'number',
      exclusiveMinimum: 0,
      description: 'Once a missed deadline took the order to the top of the supervision ladder (leadership): the shortest interval between reminders, in ms (the next falls this long after a miss, or a span later if the span is longer; no warning before it).',
    },
  },
} as const satisfies Declares<OrderSla>;

const warnedSchema = {
  type: 'object',
  description: 'Per deadline kind, the deadline last warned about (its dueAt): a warning is published once per deadline, and a deadline equal to the one here has had it.',
  additionalProperties: true,
  properties: {
    response: epochMs('The response deadline last warned about'),
    resolution: epochMs('The resolution deadline last warned about'),
  },
} as const satisfies Declares<WarnedDeadlines>;

const subjectSchema = {
  type: 'object',
  description: 'The household or person concerned. `contact` is personal data: the handler needs it to reach the resident; ID numbers are never included.',
  additionalProperties: true,
  required: ['id', 'kind', 'livingAlone'],
  properties: {
    id: { type: 'string', description: 'Subject id from the registry.' },
    kind: { type: 'string', description: 'household or person.' },
    livingAlone: { type: 'boolean', description: 'Lives alone (a risk factor for the elderly).' },
    age: { type: 'integer', minimum: 0, description: 'Age in years, when known.' },
    // Not `satisfies Declares<PersonalData>`: the ID number is personal data that never leaves the
    // engine (dispatch/order-manager.ts contactOf), so the contract does not name it.
    contact: {
      type: 'object',
      description: 'How to reach the resident (personal data).',
      additionalProperties: true,
      properties: {
        name: { type: 'string', description: 'Name.' },
        phone: { type: 'string', description: 'Phone.' },
        address: { type: 'string', description: 'Address.' },
      },
    },
  },
} as const satisfies Declares<NonNullable<DispatchOrder['subject']>>;

const supervisionEntrySchema = {
  type: 'object',
  description: 'One supervision step (督办): a deadline was missed and the order went one step up grid → community → street → leadership.',
  additionalProperties: true,
  required: ['at', 'deadline', 'dueAt', 'from', 'to', 'priority', 'nextDueAt'],
  properties: {
    at: epochMs('When the miss was recorded'),
    deadline: { type: 'string', enum: DEADLINE_KINDS, description: 'Which deadline was missed.' },
    dueAt: epochMs('The deadline that was missed'),
    from: { type: 'string', enum: SUPERVISION_TIERS, description: 'Tier before the step.' },
    to: { type: 'string', enum: SUPERVISION_TIERS, description: 'Tier after the step (leadership at the top).' },
    priority: { type: 'integer', minimum: 1, maximum: 5, description: 'Priority after the step (5: supervised at the top).' },
    nextDueAt: epochMs('The new deadline of the same kind'),
  },
} as const satisfies Declares<SupervisionEntry>;

const historyEntrySchema = {
  type: 'object',
  description: 'One step of the order\'s history.',
  additionalProperties: true,
  required: ['at', 'type'],
  properties: {
    at: epochMs('When it happened'),
    type: { type: 'string', enum: ORDER_HISTORY_TYPES, description: 'What happened.' },
    status: { type: 'string', enum: ORDER_STATUSES, description: 'The status set by this step, if any.' },
    tier: { type: 'string', enum: TIERS, description: 'The tier after this step, if it changed or was set.' },
    level: { type: 'string', enum: LEVELS, description: 'The alert level at this step, if it changed or was set.' },
    deadline: { type: 'string', enum: DEADLINE_KINDS, description: 'For overdue and deadline_warning: which deadline.' },
    assigneePlaceId: { type: 'string', description: 'For rerouted: the place (or department) that now handles it.' },
    note: { type: 'string', description: 'Free text from the handler or the engine.' },
    by: { type: 'string', description: 'Who reported the step (handler or system id).' },
  },
} as const satisfies Declares<OrderHistoryEntry>;

/**
 * A dispatch order: the body of `GET /api/orders/{id}` and the CloudEvent `data` of every
 * `riskwatch.order.*` event. `schemas/order.schema.json` is this object, published (a test keeps
 * them equal). Every field of `DispatchOrder` is declared: fastify serialises responses from this
 * schema. `additionalProperties: true` keeps the contract open for fields added later, so
 * consumers validating against v1 do not break on them.
 *
 * `subject.contact` and `assignee.person/phone` are personal data: allowed here because the
 * dispatch system needs them, and the reason request and response bodies are never logged.
 */
export const orderSchema = {
  type: 'object',
  additionalProperties: true,
  required: [
    'id', 'alertId', 'scenarioId', 'scenarioName', 'category', 'level', 'priority', 'tier', 'assignee', 'notify',
    'status', 'createdAt', 'updatedAt', 'responseDueAt', 'resolutionDueAt', 'version', 'deviceId', 'placeId',
    'summary', 'sla', 'policyRules', 'warned', 'overdueCount', 'supervision', 'rejectedBy', 'history',
  ],
  properties: {
    id: { type: 'string', description: 'Order id.' },
    alertId: { type: 'string', description: 'The alert the order was born from (one order per alert).' },
    scenarioId: { type: 'string', description: 'The risk scenario that raised the alert.' },
    scenarioName: { type: 'string', description: 'Its display name.' },
    category: { type: 'string', description: 'Scenario category, e.g. gas, elderly_care.' },
    level: { type: 'string', enum: LEVELS, description: 'Alert level: blue < yellow < orange < red (warning ladder IV..I).' },
    priority: { type: 'integer', minimum: 1, maximum: 5, description: '1 (blue) .. 4 (red), 5 once a missed deadline reached leadership; only ever goes up for the same order.' },
    tier: { type: 'string', enum: TIERS, description: 'The tier that must handle it.' },
    assignee: assigneeSchema,
    notify: { type: 'array', items: { type: 'string' }, description: 'Further parties to inform, e.g. leadership for red.' },
    status: { type: 'string', enum: ORDER_STATUSES, description: 'Lifecycle status.' },
    createdAt: epochMs('Created'),
    updatedAt: epochMs('Last changed'),
    responseDueAt: epochMs('Respond (accept) by'),
    resolutionDueAt: epochMs('Resolve by'),
    version: { type: 'integer', minimum: 1, description: 'Increases with every change; (id, version) names one published state.' },
    deviceId: { type: 'string', description: 'The device whose readings raised the alert.' },
    placeId: { type: 'string', description: 'The device\'s place.' },
    gridId: { type: 'string', description: 'Grid containing the place.' },
    communityId: { type: 'string', description: 'Community containing the place.' },
    streetId: { type: 'string', description: 'Street containing the place.' },
    subject: subjectSchema,
    summary: { type: 'string', description: 'One line for the handler: what was detected.' },
    department: departmentSchema,
    sla: slaSchema,
    policyRules: { type: 'array', items: { type: 'string' }, description: 'Dispatch-policy rules that decided the routing, for audit.' },
    acceptedAt: epochMs('First accepted (or a later status implying it)'),
    resolvedAt: epochMs('Resolved or reported a false alarm'),
    closedAt: epochMs('Closed'),
    warned: warnedSchema,
    overdueCount: { type: 'integer', minimum: 0, description: 'Deadlines missed so far.' },
    supervision: { type: 'array', items: supervisionEntrySchema, description: 'Supervision steps (督办), oldest first.' },
    rejectedBy: { type: 'array', items: { type: 'string' }, description: 'Assignee places (or department ids) that rejected the order.' },
    history: { type: 'array', items: historyEntrySchema, description: 'Everything that happened to the order, oldest first.' },
  },
} as const satisfies Declares<DispatchOrder>;

/** `schemas/order.schema.json`: the order schema as a standalone JSON Schema document. */
export const publishedOrderSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: ORDER_SCHEMA_ID,
  title: 'riskwatch dispatch order',
  description: 'A dispatch order (派单) for the grid, community or street tier, born from an alert: the body of GET /api/orders/{id} and the data of every riskwatch.order.* CloudEvent (MQTT rw/orders/{tier}/{orderId}, webhooks, SSE /api/orders/stream).',
  ...orderSchema,
} as const;

export const orderListQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    level: { type: 'string', pattern: listPattern(LEVELS), description: 'comma-separated: red,orange' },
    status: { type: 'string', pattern: listPattern(ORDER_STATUSES) },
    scenario: idValueSchema,
    place: { ...idValueSchema, description: "matches the order's place, grid, community, street or assignee place" },
    tier: { type: 'string', pattern: listPattern(TIERS) },
    from: { ...instantSchema, description: 'createdAt ≥ from (epoch ms or RFC 3339)' },
    to: { ...instantSchema, description: 'createdAt < to' },
    ...pagingProperties,
  },
} as const;

export interface OrderListQuerystring {
  level?: string;
  status?: string;
  scenario?: string;
  place?: string;
  tier?: string;
  from?: string;
  to?: string;
  limit: number;
  offset: number;
}

export const orderStatusUpdateSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ORDER_STATUS_UPDATES },
    note: { type: 'string', maxLength: 2000 },
    by: { type: 'string', minLength: 1, maxLength: 200 },
  },
} as const;

export interface OrderStatusUpdateBody {
  status: (typeof ORDER_STATUS_UPDATES)[number];
  note?: string;
  by?: string;
}
