import { metricSpec } from '../catalogue/device-catalogue.js';
import type { Alert } from '../contracts/alert.js';
import type { EvidenceReading } from '../contracts/detection.js';
import type { Level } from '../contracts/level.js';
import type {
  DeadlineKind, DispatchOrder, OrderHistoryEntry, OrderStatus, SupervisionEntry, SupervisionTier,
} from '../contracts/order.js';
import type { MetricValue } from '../contracts/reading.js';
import type { Tier } from '../contracts/registry.js';
import type { OrderTimeline, TimelineEntry, TimelineKind, TimelineLang } from '../contracts/timeline.js';
import { localIsoTime } from '../core/local-time.js';

/**
 * The narrative timeline of an order (治理叙事): what a grid member or a leader reads to learn what
 * happened — the readings that triggered the alert, its level changes, dispatch, acceptance,
 * deadlines and supervision, the handler's feedback — in Chinese or English, oldest first.
 *
 * No personal data: the resident's contact and the duty official's name and phone are never
 * written, `by` (who reported a status) is left out, and handlers' notes — free text, the one way a
 * name or a number could slip in — have the order's personal values and anything shaped like a
 * phone or ID number replaced.
 */

export interface OrderTimelineOptions {
  /**
   * The display name of a place or department by id, for handlers other than the current assignee
   * (an order escalated from the grid to the community names the grid from here). Without it such
   * handlers are named by tier and id.
   */
  placeName?(id: string): string | undefined;
  /** Triggering readings listed one by one (the latest); earlier ones are counted in one line. Default 5. */
  maxReadings?: number;
}

const DEFAULT_MAX_READINGS = 5;

export function buildOrderTimeline(
  order: DispatchOrder,
  alert: Alert | undefined,
  lang: TimelineLang,
  timeZone: string,
  options: OrderTimelineOptions = {},
): OrderTimeline {
  const writer = new TimelineWriter(order, PHRASES[lang], timeZone, options);
  if (alert) {
    writer.readings(alert.evidence.readings, options.maxReadings ?? DEFAULT_MAX_READINGS);
    writer.alertHistory(alert);
  }
  writer.orderHistory(alert !== undefined);
  writer.supervision();
  return { orderId: order.id, lang, timeZone, entries: writer.entries() };
}


// --- local time ------------------------------------------------------------------------------

interface LocalTime {
  /** ISO 8601 with the zone's offset: 2026-09-30T17:00:00+08:00. */
  iso: string;
  /** For sentences: 2026-09-30 17:00. */
  short: string;
}

function localTime(at: number, timeZone: string): LocalTime {
  const iso = localIsoTime(at, timeZone);
  return { iso, short: `${iso.slice(0, 10)} ${iso.slice(11, 16)}` };
}

// --- names -----------------------------------------------------------------------------------

const CJK = /[\u3400-\u9fff]/;

/**
 * Registry names may be bilingual, `Yangguang Grid 1 / 阳光社区第一网格`: each language gets its half
 * (the half with Chinese characters for zh, the other for en); other names are used as they are.
 */
export function localName(name: string, lang: TimelineLang): string {
  const halves = name.split(' / ');
  if (halves.length !== 2) return name;
  const zhHalf = halves.find((h) => CJK.test(h));
  const enHalf = halves.find((h) => !CJK.test(h));
  if (!zhHalf || !enHalf) return name;
  return (lang === 'zh' ? zhHalf : enHalf).trim();
}

// --- personal data in notes ------------------------------------------------------------------

// Backstops for values not on the order (a relative's phone number): mainland mobile numbers,
// landlines with an area code and 18-character resident ID numbers. (?<!\d) and (?!\d) keep them off
// longer digit runs such as meter totals.
const PERSONAL_PATTERNS = [
  /(?<![\d+])(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)/g,
  /(?<!\d)0\d{2,3}-\d{7,8}(?!\d)/g,
  /(?<!\d)[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![\dXx])/g,
];

/**
 * The personal values an order carries, and the forms a note may use them in: as registered, without
 * a parenthesised remark (`王秀兰（虚构）` → `王秀兰`) and, for a titled name (`网格员 李娜`), the last word.
 */
function personalValuesOf(order: DispatchOrder): string[] {
  const raw = [
    order.subject?.contact?.name, order.subject?.contact?.phone, order.subject?.contact?.idNumber,
    order.subject?.contact?.address, order.assignee.person, order.assignee.phone,
  ];
  const values = new Set<string>();
  for (const value of raw) {
    if (!value) continue;
    const bare = value.replace(/[（(][^）)]*[）)]/g, '').trim();
    const words = bare.split(/\s+/);
    for (const form of [value.trim(), bare, words[words.length - 1] ?? '']) if (form.length >= 2) values.add(form);
  }
  // Longest first, so a full value is replaced before a part of it.
  return [...values].sort((a, b) => b.length - a.length);
}

function redact(text: string, personal: readonly string[], replacement: string): string {
  let out = text;
  for (const value of personal) out = out.split(value).join(replacement);
  for (const pattern of PERSONAL_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

// --- metrics ---------------------------------------------------------------------------------

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(3)));
}

/**
 * `阀门开启`, `valve open`, `流量 0 L/min`: the device catalogue's label, unit and words for the
 * metric (catalogue/device-types.yaml). A metric it does not declare (a reading stored before the
 * catalogue changed) keeps its own name.
 */
function formatMetric(name: string, value: MetricValue, lang: TimelineLang): string {
  const spec = metricSpec(name);
  if (typeof value === 'boolean') {
    if (spec?.states) return `${spec.label[lang]}${lang === 'zh' ? '' : ' '}${spec.states[value ? 'true' : 'false'][lang]}`;
    return `${spec?.label[lang] ?? name} ${String(value)}`;
  }
  const unit = spec?.unit;
  return `${spec?.label[lang] ?? name} ${formatNumber(value)}${unit ? ` ${unit}` : ''}`;
}

// --- phrases ---------------------------------------------------------------------------------

interface DispatchFacts {
  level?: Level;
  handler: string;
  office?: string;
  department?: string;
  leadership: boolean;
  respondBy?: string;
  resolveBy?: string;
}

interface SupervisionFacts {
  kind: DeadlineKind;
  from: SupervisionTier;
  to: SupervisionTier;
  toName?: string;
  priority: number;
  nextDue: string;
}

/** Everything the timeline says, once per language. Sentences never end in a full stop. */
interface Phrases {
  lang: TimelineLang;
  redacted: string;
  level(level: Level): string;
  tier(tier: SupervisionTier): string;
  unknownPlace(tier: Tier, id: string | undefined): string;
  reading(deviceId: string, metrics: string[]): string;
  readingsOmitted(count: number): string;
  alertOpened(scenario: string, level: Level, summary: string): string;
  alertEscalated(from: Level, to: Level, summary: string): string;
  alertDeescalated(from: Level, to: Level, summary: string): string;
  alertCleared(summary: string): string;
  alertFlapping(): string;
  alertSuppressed(): string;
  alertLowered(level: Level | undefined): string;
  alertClearedNote(): string;
  dispatched(facts: DispatchFacts): string;
  redispatched(handler: string): string;
  escalated(level: Level | undefined, handler: string | undefined, office: string | undefined, department: string | undefined): string;
  rerouted(handler: string, office: string | undefined, department: string | undefined): string;
  status(status: OrderStatus, handler: string, note: string | undefined): string;
  cancelled(byEngine: boolean, note: string | undefined): string;
  deadlineWarning(kind: DeadlineKind, due: string | undefined): string;
  overdue(kind: DeadlineKind, due: string | undefined): string;
  supervision(facts: SupervisionFacts): string;
}

const ZH_LEVELS: Record<Level, string> = { blue: '蓝色预警', yellow: '黄色预警', orange: '橙色预警', red: '红色预警' };
const ZH_TIERS: Record<SupervisionTier, string> = { grid: '网格', community: '社区', street: '街道', leadership: '街道领导' };
const ZH_DEADLINES: Record<DeadlineKind, string> = { response: '响应', resolution: '办结' };
const EN_TIERS: Record<SupervisionTier, string> = { grid: 'grid', community: 'community', street: 'street', leadership: 'street leadership' };

const ZH: Phrases = {
  lang: 'zh',
  redacted: '［已隐去］',
  level: (level) => ZH_LEVELS[level],
  tier: (tier) => ZH_TIERS[tier],
  unknownPlace: (tier, id) => (id ? `${ZH_TIERS[tier]}（${id}）` : ZH_TIERS[tier]),
  reading: (deviceId, metrics) => `设备 ${deviceId} 读数：${metrics.join('，')}`,
  readingsOmitted: (count) => `另有 ${count} 条更早的读数未列出`,
  alertOpened: (scenario, level, summary) => `「${scenario}」触发${ZH_LEVELS[level]}：${summary}`,
  alertEscalated: (from, to, summary) => `预警由${ZH_LEVELS[from]}升级为${ZH_LEVELS[to]}：${summary}`,
  alertDeescalated: (from, to, summary) => `预警由${ZH_LEVELS[from]}降为${ZH_LEVELS[to]}：${summary}`,
  alertCleared: (summary) => `预警解除：${summary}`,
  alertFlapping: () => '预警反复波动，暂缓降级和解除',
  alertSuppressed: () => '冷却期内再次触发，未重复预警',
  alertLowered: (level) => (level ? `预警降为${ZH_LEVELS[level]}` : '预警降级'),
  alertClearedNote: () => '预警解除，读数恢复正常',
  dispatched: (f) =>
    `${f.level ? `${ZH_LEVELS[f.level]}工单` : '工单'}派至${f.handler}${f.office ? `（${f.office}）` : ''}`
    + (f.department ? `，协同单位：${f.department}` : '')
    + (f.leadership ? '，同时报告街道领导' : '')
    + (f.respondBy && f.resolveBy ? `；须于 ${f.respondBy} 前响应，${f.resolveBy} 前办结` : ''),
  redispatched: (handler) => `重新派单至${handler}`,
  escalated: (level, handler, office, department) =>
    `工单升级${level ? `为${ZH_LEVELS[level]}` : ''}`
    + (handler ? `，改由${handler}${office ? `（${office}）` : ''}处置` : '')
    + (department ? `，协同单位：${department}` : ''),
  rerouted: (handler, office, department) =>
    `改派至${handler}${office ? `（${office}）` : ''}${department ? `，协同单位：${department}` : ''}`,
  status: (status, handler, note) => {
    const feedback = note ? `（处置反馈：${note}）` : '';
    switch (status) {
      case 'accepted': return `${handler} 接单${feedback}`;
      case 'in_progress': return `${handler} 开始处置${feedback}`;
      case 'resolved': return `${handler} 处置完毕${feedback}`;
      case 'false_alarm': return `${handler} 反馈为误报${feedback}`;
      case 'rejected': return `${handler} 退回工单${feedback}`;
      case 'closed': return `工单关闭归档${feedback}`;
      default: return `工单状态变为 ${status}${feedback}`;
    }
  },
  cancelled: (byEngine, note) => (byEngine ? '预警已撤销，工单取消' : `工单撤销${note ? `（说明：${note}）` : ''}`),
  deadlineWarning: (kind, due) => `${ZH_DEADLINES[kind]}时限即将到期${due ? `（${due}）` : ''}`,
  overdue: (kind, due) => `超时未${ZH_DEADLINES[kind]}${due ? `（时限 ${due}）` : ''}`,
  supervision: (f) =>
    `督办：${ZH_DEADLINES[f.kind]}超时，由${ZH_TIERS[f.from]}升至${ZH_TIERS[f.to]}${f.toName ? `（${f.toName}）` : ''}`
    + `，优先级升为 ${f.priority}，新${ZH_DEADLINES[f.kind]}时限 ${f.nextDue}`,
};

const EN: Phrases = {
  lang: 'en',
  redacted: '[redacted]',
  level: (level) => level,
  tier: (tier) => EN_TIERS[tier],
  unknownPlace: (tier, id) => (id ? `${tier} ${id}` : `the ${tier}`),
  reading: (deviceId, metrics) => `device ${deviceId} reported ${metrics.join(', ')}`,
  readingsOmitted: (count) => `${count} earlier ${count === 1 ? 'reading' : 'readings'} not listed`,
  alertOpened: (scenario, level, summary) => `${level} alert from "${scenario}": ${summary}`,
  alertEscalated: (from, to, summary) => `alert escalated from ${from} to ${to}: ${summary}`,
  alertDeescalated: (from, to, summary) => `alert lowered from ${from} to ${to}: ${summary}`,
  alertCleared: (summary) => `alert cleared: ${summary}`,
  alertFlapping: () => 'alert flapping: lowering and clearing held back',
  alertSuppressed: () => 'raised again within the cooldown: suppressed',
  alertLowered: (level) => (level ? `alert lowered to ${level}` : 'alert lowered'),
  alertClearedNote: () => 'alert cleared: readings back to normal',
  dispatched: (f) =>
    `${f.level ? `${f.level}-level order` : 'order'} dispatched to ${f.handler}${f.office ? ` (${f.office})` : ''}`
    + (f.department ? `, with ${f.department}` : '')
    + (f.leadership ? '; street leadership informed' : '')
    + (f.respondBy && f.resolveBy ? `; respond by ${f.respondBy}, resolve by ${f.resolveBy}` : ''),
  redispatched: (handler) => `order dispatched again to ${handler}`,
  escalated: (level, handler, office, department) =>
    `order escalated${level ? ` to ${level}` : ''}`
    + (handler ? `; now handled by ${handler}${office ? ` (${office})` : ''}` : '')
    + (department ? `, with ${department}` : ''),
  rerouted: (handler, office, department) =>
    `re-routed to ${handler}${office ? ` (${office})` : ''}${department ? `, with ${department}` : ''}`,
  status: (status, handler, note) => {
    const feedback = note ? ` (handler's note: ${note})` : '';
    switch (status) {
      case 'accepted': return `${handler} accepted the order${feedback}`;
      case 'in_progress': return `${handler} started work${feedback}`;
      case 'resolved': return `${handler} resolved it${feedback}`;
      case 'false_alarm': return `${handler} reported a false alarm${feedback}`;
      case 'rejected': return `${handler} rejected the order${feedback}`;
      case 'closed': return `order closed${feedback}`;
      default: return `order status: ${status}${feedback}`;
    }
  },
  cancelled: (byEngine, note) =>
    (byEngine ? 'order cancelled: the alert was withdrawn' : `order cancelled${note ? ` (note: ${note})` : ''}`),
  deadlineWarning: (kind, due) => `${kind} deadline approaching${due ? ` (due ${due})` : ''}`,
  overdue: (kind, due) => `${kind} deadline missed${due ? ` (was due ${due})` : ''}`,
  supervision: (f) =>
    `supervision (督办): ${f.kind} overdue, raised from ${EN_TIERS[f.from]} to ${EN_TIERS[f.to]}${f.toName ? ` (${f.toName})` : ''}`
    + `, priority now ${f.priority}, new ${f.kind} deadline ${f.nextDue}`,
};

const PHRASES: Record<TimelineLang, Phrases> = { zh: ZH, en: EN };

// --- the writer ------------------------------------------------------------------------------

/** Where entries at the same instant go: what caused something before what it caused. */
const Source = { Reading: 0, Alert: 1, Order: 2, Supervision: 3 } as const;
type Source = (typeof Source)[keyof typeof Source];

interface Draft {
  at: number;
  source: Source;
  kind: TimelineKind;
  text: string;
}

/** Who handles the order at a point of its history. */
interface Handler {
  tier: Tier;
  placeId: string | undefined;
}

/** Entry types after which the deadlines (and parties) an order was given may have changed. */
const DEADLINE_MOVERS: ReadonlySet<OrderHistoryEntry['type']> = new Set(['escalated', 'rerouted', 'overdue']);
const ROUTING: ReadonlySet<OrderHistoryEntry['type']> = new Set(['created', 'escalated', 'rerouted']);

class TimelineWriter {
  private readonly drafts: Draft[] = [];
  private readonly personal: string[];
  private readonly localCache = new Map<number, LocalTime>();

  constructor(
    private readonly order: DispatchOrder,
    private readonly p: Phrases,
    private readonly timeZone: string,
    private readonly options: OrderTimelineOptions,
  ) {
    this.personal = personalValuesOf(order);
  }

  readings(readings: readonly EvidenceReading[], max: number): void {
    const sorted = [...readings].sort((a, b) => a.ts - b.ts);
    const shown = max > 0 ? sorted.slice(-max) : [];
    const omitted = sorted.length - shown.length;
    if (omitted > 0) this.add(sorted[0]!.ts, Source.Reading, 'readings_omitted', this.p.readingsOmitted(omitted));
    for (const r of shown) {
      const metrics = Object.entries(r.metrics).map(([name, value]) => formatMetric(name, value, this.p.lang));
      this.add(r.ts, Source.Reading, 'reading', this.p.reading(r.deviceId, metrics));
    }
  }

  alertHistory(alert: Alert): void {
    const p = this.p;
    for (const e of alert.history) {
      const to = e.to ?? alert.level;
      const from = e.from ?? alert.level;
      switch (e.type) {
        case 'opened': this.add(e.at, Source.Alert, 'alert_opened', p.alertOpened(alert.scenarioName, to, e.summary)); break;
        case 'escalated': this.add(e.at, Source.Alert, 'alert_escalated', p.alertEscalated(from, to, e.summary)); break;
        case 'deescalated': this.add(e.at, Source.Alert, 'alert_deescalated', p.alertDeescalated(from, to, e.summary)); break;
        case 'cleared': this.add(e.at, Source.Alert, 'alert_cleared', p.alertCleared(e.summary)); break;
        case 'flapping': this.add(e.at, Source.Alert, 'alert_flapping', p.alertFlapping()); break;
        case 'suppressed': this.add(e.at, Source.Alert, 'alert_suppressed', p.alertSuppressed()); break;
        // Entry types added later are left out rather than failing the whole timeline.
        default: break;
      }
    }
  }

  /**
   * Walks the order's history, following who handles it: the created tier, then each escalation,
   * re-route and missed response deadline (the entries that carry a new tier or place).
   *
   * `withAlert`: the alert's own history tells its level changes and clear; the order's notes of
   * them are left out to avoid saying it twice.
   */
  orderHistory(withAlert: boolean): void {
    const { order, p } = this;
    const history = order.history;
    let lastRouting = -1;
    history.forEach((e, i) => {
      if (ROUTING.has(e.type)) lastRouting = i;
    });
    // The order carries its current deadlines and parties only: the dispatch line states them while
    // nothing has changed them since, and leaves them out (rather than misstate them) otherwise.
    const changedSinceDispatch = order.supervision.length > 0 || history.some((e) => DEADLINE_MOVERS.has(e.type));
    let handler: Handler = { tier: order.assignee.tier, placeId: order.assignee.placeId };
    history.forEach((e, i) => {
      const department = i === lastRouting && order.department ? localName(order.department.name, p.lang) : undefined;
      switch (e.type) {
        case 'created': {
          handler = this.handlerAtTier(e.tier ?? order.tier);
          this.add(e.at, Source.Order, 'dispatched', p.dispatched({
            level: e.level ?? order.level,
            handler: this.nameOf(handler),
            office: this.officeOf(handler),
            department,
            leadership: order.notify.includes('leadership') && !changedSinceDispatch,
            respondBy: changedSinceDispatch ? undefined : this.short(order.responseDueAt),
            resolveBy: changedSinceDispatch ? undefined : this.short(order.resolutionDueAt),
          }));
          break;
        }
        case 'escalated': {
          const moved = e.tier !== undefined && e.tier !== handler.tier;
          if (moved) handler = this.handlerAtTier(e.tier!);
          this.add(e.at, Source.Order, 'escalated', p.escalated(
            e.level, moved ? this.nameOf(handler) : undefined, moved ? this.officeOf(handler) : undefined, department));
          break;
        }
        case 'rerouted': {
          handler = e.assigneePlaceId
            ? { tier: e.tier ?? handler.tier, placeId: e.assigneePlaceId }
            : this.handlerAtTier(e.tier ?? handler.tier);
          this.add(e.at, Source.Order, 'rerouted', p.rerouted(this.nameOf(handler), this.officeOf(handler), department));
          break;
        }
        case 'overdue': {
          // A missed response moves the order to the tier above; a missed resolution keeps the handler.
          if (e.tier !== undefined && e.tier !== handler.tier) handler = this.handlerAtTier(e.tier);
          const kind = e.deadline ?? 'response';
          const missed = order.supervision.find((s) => s.at === e.at && s.deadline === kind);
          this.add(e.at, Source.Order, 'overdue', p.overdue(kind, missed ? this.short(missed.dueAt) : undefined));
          break;
        }
        case 'deadline_warning': {
          const kind = e.deadline ?? 'response';
          const due = this.warnedDeadline(e.at, kind);
          this.add(e.at, Source.Order, 'deadline_warning', p.deadlineWarning(kind, due === undefined ? undefined : this.short(due)));
          break;
        }
        case 'status':
          this.statusEntry(e, handler);
          break;
        case 'cancelled':
          this.add(e.at, Source.Order, 'cancelled', p.cancelled(true, undefined));
          break;
        case 'alert_level':
          if (!withAlert) this.add(e.at, Source.Order, 'alert_level', p.alertLowered(e.level));
          break;
        case 'alert_cleared':
          if (!withAlert) this.add(e.at, Source.Order, 'alert_cleared', p.alertClearedNote());
          break;
        default:
          break; // entry types added later: left out rather than failing the whole timeline
      }
    });
  }

  supervision(): void {
    for (const s of this.order.supervision) this.add(s.at, Source.Supervision, 'supervision', this.p.supervision(this.supervisionFacts(s)));
  }

  entries(): TimelineEntry[] {
    // Array#sort is stable (ES2019): entries at the same instant keep their source's order.
    const sorted = [...this.drafts].sort((a, b) => a.at - b.at || a.source - b.source);
    return sorted.map((d) => ({ at: d.at, time: this.local(d.at).iso, kind: d.kind, text: d.text }));
  }

  private statusEntry(e: OrderHistoryEntry, handler: Handler): void {
    const status = e.status ?? this.order.status;
    // Only handlers' reports carry their words; `by` is who reported, possibly a person, never shown.
    const note = e.note ? redact(e.note, this.personal, this.p.redacted) : undefined;
    const name = this.nameOf(handler);
    switch (status) {
      case 'accepted': case 'in_progress': case 'resolved': case 'false_alarm': case 'rejected': case 'closed':
        this.add(e.at, Source.Order, status, this.p.status(status, name, note));
        break;
      case 'dispatched':
        this.add(e.at, Source.Order, 'dispatched', this.p.redispatched(name));
        break;
      case 'cancelled':
        this.add(e.at, Source.Order, 'cancelled', this.p.cancelled(false, note));
        break;
      default:
        this.add(e.at, Source.Order, 'status', this.p.status(status, name, note));
    }
  }

  private supervisionFacts(s: SupervisionEntry): SupervisionFacts {
    const facts: SupervisionFacts = {
      kind: s.deadline, from: s.from, to: s.to, priority: s.priority, nextDue: this.short(s.nextDueAt),
    };
    if (s.to !== 'leadership') facts.toName = this.nameOf(this.handlerAtTier(s.to));
    return facts;
  }

  /**
   * The deadline a warning was about: the one later missed (its supervision entry says when it was
   * due), else the one still in force. Unknown (undefined) when an escalation or re-route in between
   * may have moved it: better no time than a wrong one.
   */
  private warnedDeadline(at: number, kind: DeadlineKind): number | undefined {
    const missed = this.order.supervision.find((s) => s.deadline === kind && s.at >= at);
    const until = missed ? missed.at : Infinity;
    if (this.order.history.some((e) => DEADLINE_MOVERS.has(e.type) && e.at > at && e.at < until)) return undefined;
    if (missed) return missed.dueAt;
    return kind === 'response' ? this.order.responseDueAt : this.order.resolutionDueAt;
  }

  /** The office of a tier for this order's device: its grid, community or street. */
  private handlerAtTier(tier: Tier): Handler {
    const o = this.order;
    const byTier: Record<Tier, string | undefined> = { grid: o.gridId, community: o.communityId, street: o.streetId };
    return { tier, placeId: byTier[tier] ?? (tier === o.assignee.tier ? o.assignee.placeId : undefined) };
  }

  private nameOf(handler: Handler): string {
    const { order, p } = this;
    const id = handler.placeId;
    if (id !== undefined) {
      if (id === order.assignee.placeId) return localName(order.assignee.placeName, p.lang);
      if (id === order.department?.id) return localName(order.department.name, p.lang);
      const known = this.options.placeName?.(id);
      if (known) return localName(known, p.lang);
    }
    return p.unknownPlace(handler.tier, id);
  }

  /** The office is known for the current assignee only (the order carries no other). */
  private officeOf(handler: Handler): string | undefined {
    const { assignee } = this.order;
    return handler.placeId === assignee.placeId && assignee.office ? localName(assignee.office, this.p.lang) : undefined;
  }

  private add(at: number, source: Source, kind: TimelineKind, text: string): void {
    this.drafts.push({ at, source, kind, text });
  }

  private short(at: number): string {
    return this.local(at).short;
  }

  private local(at: number): LocalTime {
    let t = this.localCache.get(at);
    if (!t) {
      t = localTime(at, this.timeZone);
      this.localCache.set(at, t);
    }
    return t;
  }
}

