import { describe, expect, it } from 'vitest';
import type { Alert } from '../../../src/contracts/alert.js';
import type { EvidenceReading } from '../../../src/contracts/detection.js';
import type { DispatchOrder } from '../../../src/contracts/order.js';
import type { OrderTimeline } from '../../../src/contracts/timeline.js';
import { buildOrderTimeline, localName } from '../../../src/reports/order-timeline.js';
import { timelineAsText } from '../../../src/api/timeline-text.js';
import { makeAlert, makeOrder } from '../../helpers/store-fixtures.js';

const TZ = 'Asia/Shanghai';
const MIN = 60_000;
/** 2026-09-30 HH:MM in Shanghai (UTC+8, no DST). */
const at = (hhmm: string) => Date.parse(`2026-09-30T${hhmm}:00+08:00`);

/** Every personal value of the story: none may appear in any timeline. */
const PERSONAL = {
  residentName: '王奶奶',
  residentPhone: '13900000002',
  residentId: '110101194201010027',
  residentAddress: '阳光小区3栋2单元101',
  officialName: '陈红',
  officialPhone: '13800000001',
  reporter: 'grid-member-李娜',
};

/**
 * A gas leak in the home of an elderly resident: readings climb, the alert opens yellow (order to
 * the grid) and escalates to orange (the policy keeps the grid and adds the gas company), nobody
 * responds in 30 min (warning at 80 %, then the miss: supervision up to the community, which takes
 * the order), the community accepts, works on it, the readings recover, it is resolved and closed.
 */
function gasLeakStory(): { order: DispatchOrder; alert: Alert } {
  const readings: EvidenceReading[] = [
    // Out of order on purpose: the timeline sorts them.
    { deviceId: 'gd-0020', ts: at('16:59'), metrics: { gas_lel_pct: 12.5, co_ppm: 3 } },
    { deviceId: 'gd-0020', ts: at('16:48'), metrics: { gas_lel_pct: 3 } },
    { deviceId: 'gd-0020', ts: at('16:50'), metrics: { gas_lel_pct: 5.2 } },
    { deviceId: 'gd-0020', ts: at('16:52'), metrics: { gas_lel_pct: 5.5 } },
    { deviceId: 'gd-0020', ts: at('16:54'), metrics: { gas_lel_pct: 6.1 } },
    { deviceId: 'gd-0020', ts: at('16:55'), metrics: { gas_lel_pct: 6.4 } },
    { deviceId: 'gd-0020', ts: at('16:57'), metrics: { gas_lel_pct: 9.8, battery_pct: 87 } },
  ];
  const alert = makeAlert({
    id: 'alert-gas', scenarioId: 'gas-concentration', scenarioName: 'Combustible gas concentration', category: 'gas',
    key: 'gd-0020', deviceId: 'gd-0020', level: 'orange', peakLevel: 'orange', status: 'cleared',
    openedAt: at('16:55'), updatedAt: at('18:10'), clearedAt: at('18:10'),
    placeId: 'gr-yg-01', gridId: 'gr-yg-01', communityId: 'cm-yangguang', streetId: 'st-xinhua',
    summary: 'gas_lel_pct 1.2: no level condition holds',
    evidence: { readings, facts: {} },
    history: [
      { at: at('16:55'), type: 'opened', to: 'yellow', summary: 'gas_lel_pct 6.4 ≥ yellow condition (value >= 5)' },
      { at: at('16:59'), type: 'escalated', from: 'yellow', to: 'orange', summary: 'gas_lel_pct 12.5 ≥ orange condition (value >= 10)' },
      { at: at('18:10'), type: 'cleared', from: 'orange', summary: 'gas_lel_pct 1.2: no level condition holds' },
    ],
  });
  const order = makeOrder({
    id: 'order-gas', alertId: 'alert-gas', scenarioId: 'gas-concentration', scenarioName: 'Combustible gas concentration',
    category: 'gas', level: 'orange', priority: 4, tier: 'community', status: 'closed',
    deviceId: 'gd-0020', placeId: 'gr-yg-01', gridId: 'gr-yg-01', communityId: 'cm-yangguang', streetId: 'st-xinhua',
    assignee: {
      tier: 'community', placeId: 'cm-yangguang', placeName: 'Yangguang Community / 阳光社区', office: '阳光社区居委会',
      person: `社区书记 ${PERSONAL.officialName}`, phone: PERSONAL.officialPhone,
    },
    department: { id: 'dept-gas', name: '城市燃气公司', phone: '96777' },
    notify: ['community'],
    subject: {
      id: 'hh-0020', kind: 'household', livingAlone: true, age: 83,
      contact: { name: PERSONAL.residentName, phone: PERSONAL.residentPhone, idNumber: PERSONAL.residentId, address: PERSONAL.residentAddress },
    },
    createdAt: at('16:55'), updatedAt: at('19:00'),
    responseDueAt: at('17:55'), resolutionDueAt: Date.parse('2026-10-01T16:55:00+08:00'),
    acceptedAt: at('17:40'), resolvedAt: at('18:30'), closedAt: at('19:00'),
    sla: { respondWithin: { ms: 30 * MIN }, resolveWithin: { ms: 24 * 60 * MIN }, warnAt: 0.8, remindEvery: 60 * MIN },
    warned: { response: at('17:25') },
    overdueCount: 1,
    supervision: [{ at: at('17:25'), deadline: 'response', dueAt: at('17:25'), from: 'grid', to: 'community', priority: 4, nextDueAt: at('17:55') }],
    history: [
      { at: at('16:55'), type: 'created', status: 'dispatched', tier: 'grid', level: 'yellow' },
      { at: at('16:59'), type: 'escalated', level: 'orange', tier: 'grid' },
      { at: at('17:19'), type: 'deadline_warning', deadline: 'response', note: 'response deadline in 6 min' },
      { at: at('17:25'), type: 'overdue', deadline: 'response', tier: 'community', note: 'response deadline missed; escalated to community' },
      {
        at: at('17:40'), type: 'status', status: 'accepted', by: PERSONAL.reporter,
        note: `已电话联系住户${PERSONAL.residentName}（${PERSONAL.residentPhone}），马上上门`,
      },
      { at: at('17:50'), type: 'status', status: 'in_progress', note: '已上门，关闭燃气阀门，老人安好' },
      { at: at('18:10'), type: 'alert_cleared', note: 'alert cleared: readings back to normal' },
      {
        at: at('18:30'), type: 'status', status: 'resolved',
        note: `更换燃气软管，${PERSONAL.residentAddress}已复查；家属电话 137-1234-5678，身份证 11010519491231002X`,
      },
      { at: at('19:00'), type: 'status', status: 'closed' },
    ],
  });
  return { order, alert };
}

const gridName = (id: string) => (id === 'gr-yg-01' ? 'Yangguang Grid 1 / 阳光社区第一网格' : undefined);

function expectNoPersonalData(timeline: OrderTimeline): void {
  const text = JSON.stringify(timeline) + timelineAsText(timeline);
  for (const value of Object.values(PERSONAL)) expect(text).not.toContain(value);
  // Any form of the stray numbers in the notes, too.
  for (const digits of ['13712345678', '137-1234-5678', '11010519491231002X', '96777']) expect(text).not.toContain(digits);
}

describe('buildOrderTimeline: the whole story of one order', () => {
  const { order, alert } = gasLeakStory();

  it('tells it in Chinese, oldest first, each line at the place\'s local time', () => {
    const timeline = buildOrderTimeline(order, alert, 'zh', TZ, { placeName: gridName });
    expect(timeline).toMatchObject({ orderId: 'order-gas', lang: 'zh', timeZone: TZ });
    expect(timeline.entries.map((e) => [e.time, e.kind, e.text])).toEqual([
      ['2026-09-30T16:48:00+08:00', 'readings_omitted', '另有 2 条更早的读数未列出'],
      ['2026-09-30T16:52:00+08:00', 'reading', '设备 gd-0020 读数：可燃气体浓度 5.5 %LEL'],
      ['2026-09-30T16:54:00+08:00', 'reading', '设备 gd-0020 读数：可燃气体浓度 6.1 %LEL'],
      ['2026-09-30T16:55:00+08:00', 'reading', '设备 gd-0020 读数：可燃气体浓度 6.4 %LEL'],
      ['2026-09-30T16:55:00+08:00', 'alert_opened', '「Combustible gas concentration」触发黄色预警：gas_lel_pct 6.4 ≥ yellow condition (value >= 5)'],
      // Deadlines moved later (the miss): the dispatch line does not state ones that no longer hold.
      ['2026-09-30T16:55:00+08:00', 'dispatched', '黄色预警工单派至阳光社区第一网格'],
      ['2026-09-30T16:57:00+08:00', 'reading', '设备 gd-0020 读数：可燃气体浓度 9.8 %LEL，电量 87 %'],
      ['2026-09-30T16:59:00+08:00', 'reading', '设备 gd-0020 读数：可燃气体浓度 12.5 %LEL，一氧化碳 3 ppm'],
      ['2026-09-30T16:59:00+08:00', 'alert_escalated', '预警由黄色预警升级为橙色预警：gas_lel_pct 12.5 ≥ orange condition (value >= 10)'],
      ['2026-09-30T16:59:00+08:00', 'escalated', '工单升级为橙色预警，协同单位：城市燃气公司'],
      ['2026-09-30T17:19:00+08:00', 'deadline_warning', '响应时限即将到期（2026-09-30 17:25）'],
      ['2026-09-30T17:25:00+08:00', 'overdue', '超时未响应（时限 2026-09-30 17:25）'],
      ['2026-09-30T17:25:00+08:00', 'supervision', '督办：响应超时，由网格升至社区（阳光社区），优先级升为 4，新响应时限 2026-09-30 17:55'],
      ['2026-09-30T17:40:00+08:00', 'accepted', '阳光社区 接单（处置反馈：已电话联系住户［已隐去］（［已隐去］），马上上门）'],
      ['2026-09-30T17:50:00+08:00', 'in_progress', '阳光社区 开始处置（处置反馈：已上门，关闭燃气阀门，老人安好）'],
      ['2026-09-30T18:10:00+08:00', 'alert_cleared', '预警解除：gas_lel_pct 1.2: no level condition holds'],
      ['2026-09-30T18:30:00+08:00', 'resolved', '阳光社区 处置完毕（处置反馈：更换燃气软管，［已隐去］已复查；家属电话 ［已隐去］，身份证 ［已隐去］）'],
      ['2026-09-30T19:00:00+08:00', 'closed', '工单关闭归档'],
    ]);
    expect(timeline.entries.map((e) => e.at)).toEqual(timeline.entries.map((e) => Date.parse(e.time)));
  });

  it('tells the same story in English', () => {
    const timeline = buildOrderTimeline(order, alert, 'en', TZ, { placeName: gridName });
    expect(timeline.lang).toBe('en');
    const lines = timeline.entries.map((e) => e.text);
    expect(lines).toEqual([
      '2 earlier readings not listed',
      'device gd-0020 reported combustible gas 5.5 %LEL',
      'device gd-0020 reported combustible gas 6.1 %LEL',
      'device gd-0020 reported combustible gas 6.4 %LEL',
      'yellow alert from "Combustible gas concentration": gas_lel_pct 6.4 ≥ yellow condition (value >= 5)',
      'yellow-level order dispatched to Yangguang Grid 1',
      'device gd-0020 reported combustible gas 9.8 %LEL, battery 87 %',
      'device gd-0020 reported combustible gas 12.5 %LEL, carbon monoxide 3 ppm',
      'alert escalated from yellow to orange: gas_lel_pct 12.5 ≥ orange condition (value >= 10)',
      'order escalated to orange, with 城市燃气公司',
      'response deadline approaching (due 2026-09-30 17:25)',
      'response deadline missed (was due 2026-09-30 17:25)',
      'supervision (督办): response overdue, raised from grid to community (Yangguang Community), priority now 4, new response deadline 2026-09-30 17:55',
      "Yangguang Community accepted the order (handler's note: 已电话联系住户[redacted]（[redacted]），马上上门)",
      "Yangguang Community started work (handler's note: 已上门，关闭燃气阀门，老人安好)",
      'alert cleared: gas_lel_pct 1.2: no level condition holds',
      "Yangguang Community resolved it (handler's note: 更换燃气软管，[redacted]已复查；家属电话 [redacted]，身份证 [redacted])",
      'order closed',
    ]);
  });

  it('is chronological and keeps cause before effect at the same instant', () => {
    for (const lang of ['zh', 'en'] as const) {
      const entries = buildOrderTimeline(order, alert, lang, TZ).entries;
      for (let i = 1; i < entries.length; i++) expect(entries[i]!.at).toBeGreaterThanOrEqual(entries[i - 1]!.at);
      const at1655 = entries.filter((e) => e.at === at('16:55')).map((e) => e.kind);
      expect(at1655).toEqual(['reading', 'alert_opened', 'dispatched']);
      const at1725 = entries.filter((e) => e.at === at('17:25')).map((e) => e.kind);
      expect(at1725).toEqual(['overdue', 'supervision']);
    }
  });

  it('carries no personal data in either language: not the resident\'s, the official\'s or the reporter\'s', () => {
    for (const lang of ['zh', 'en'] as const) {
      expectNoPersonalData(buildOrderTimeline(order, alert, lang, TZ, { placeName: gridName }));
      expectNoPersonalData(buildOrderTimeline(order, alert, lang, TZ));
      expectNoPersonalData(buildOrderTimeline(order, undefined, lang, TZ));
    }
  });

  it('names a former handler by tier and id when no place names are given', () => {
    const zh = buildOrderTimeline(order, alert, 'zh', TZ).entries.find((e) => e.kind === 'dispatched');
    const en = buildOrderTimeline(order, alert, 'en', TZ).entries.find((e) => e.kind === 'dispatched');
    expect(zh?.text).toBe('黄色预警工单派至网格（gr-yg-01）');
    expect(en?.text).toBe('yellow-level order dispatched to grid gr-yg-01');
  });

  it('renders one line per entry as text, with the local date and time first', () => {
    const timeline = buildOrderTimeline(order, alert, 'zh', TZ, { placeName: gridName });
    const lines = timelineAsText(timeline).split('\n');
    expect(lines.pop()).toBe(''); // ends with a newline
    expect(lines).toHaveLength(timeline.entries.length);
    expect(lines[13]).toBe('2026-09-30 17:40 阳光社区 接单（处置反馈：已电话联系住户［已隐去］（［已隐去］），马上上门）');
  });
});

describe('buildOrderTimeline: other paths of the lifecycle', () => {
  it('states the deadlines and the parties at dispatch while they still hold', () => {
    const order = makeOrder({
      createdAt: at('09:00'), responseDueAt: at('09:15'), resolutionDueAt: Date.parse('2026-10-01T09:00:00+08:00'),
      level: 'red', tier: 'street', streetId: 'st-xinhua', notify: ['leadership'], department: { id: 'fire', name: 'Fire brigade / 消防救援站' },
      assignee: { tier: 'street', placeId: 'st-xinhua', placeName: 'Xinhua Street / 新华街道', office: '新华街道办事处 城市运行中心', person: '周明', phone: '13700000000' },
      history: [{ at: at('09:00'), type: 'created', status: 'dispatched', tier: 'street', level: 'red' }],
    });
    const zh = buildOrderTimeline(order, undefined, 'zh', TZ).entries;
    const en = buildOrderTimeline(order, undefined, 'en', TZ).entries;
    expect(zh.map((e) => e.text)).toEqual([
      '红色预警工单派至新华街道（新华街道办事处 城市运行中心），协同单位：消防救援站，同时报告街道领导；须于 2026-09-30 09:15 前响应，2026-10-01 09:00 前办结',
    ]);
    expect(en.map((e) => e.text)).toEqual([
      'red-level order dispatched to Xinhua Street (新华街道办事处 城市运行中心), with Fire brigade; street leadership informed; respond by 2026-09-30 09:15, resolve by 2026-10-01 09:00',
    ]);
  });

  it('tells a rejection, the re-route, a false alarm and the close', () => {
    const order = makeOrder({
      createdAt: at('08:00'), status: 'closed', tier: 'grid', gridId: 'gr-yg-01', communityId: 'cm-yangguang', streetId: 'st-xinhua',
      assignee: { tier: 'grid', placeId: 'gr-yg-02', placeName: 'Yangguang Grid 2 / 阳光社区第二网格', office: '阳光社区第二网格工作站' },
      rejectedBy: ['gr-yg-01'],
      history: [
        { at: at('08:00'), type: 'created', status: 'dispatched', tier: 'grid', level: 'yellow' },
        { at: at('08:20'), type: 'status', status: 'rejected', note: '不属本网格', by: '张三' },
        { at: at('08:20'), type: 'rerouted', status: 'dispatched', tier: 'grid', assigneePlaceId: 'gr-yg-02', note: 're-routed to Yangguang Grid 2 after a rejection' },
        { at: at('08:40'), type: 'status', status: 'accepted' },
        { at: at('09:10'), type: 'status', status: 'false_alarm', note: '住户外出旅游，家中无人' },
        { at: at('09:30'), type: 'status', status: 'closed' },
      ],
    });
    const zh = buildOrderTimeline(order, undefined, 'zh', TZ, { placeName: gridName }).entries;
    expect(zh.map((e) => [e.kind, e.text])).toEqual([
      ['dispatched', '黄色预警工单派至阳光社区第一网格'],
      ['rejected', '阳光社区第一网格 退回工单（处置反馈：不属本网格）'],
      ['rerouted', '改派至阳光社区第二网格（阳光社区第二网格工作站）'],
      ['accepted', '阳光社区第二网格 接单'],
      ['false_alarm', '阳光社区第二网格 反馈为误报（处置反馈：住户外出旅游，家中无人）'],
      ['closed', '工单关闭归档'],
    ]);
    const en = buildOrderTimeline(order, undefined, 'en', TZ, { placeName: gridName }).entries;
    expect(en.map((e) => e.text)).toEqual([
      'yellow-level order dispatched to Yangguang Grid 1',
      "Yangguang Grid 1 rejected the order (handler's note: 不属本网格)",
      're-routed to Yangguang Grid 2 (阳光社区第二网格工作站)',
      'Yangguang Grid 2 accepted the order',
      "Yangguang Grid 2 reported a false alarm (handler's note: 住户外出旅游，家中无人)",
      'order closed',
    ]);
    expect(JSON.stringify(en)).not.toContain('张三');
  });

  it('tells a cancellation, and the alert notes the order keeps when the alert itself is gone', () => {
    const order = makeOrder({
      createdAt: at('10:00'), status: 'cancelled',
      history: [
        { at: at('10:00'), type: 'created', status: 'dispatched', tier: 'community', level: 'orange' },
        { at: at('10:30'), type: 'alert_level', level: 'yellow', note: 'alert lowered to yellow' },
        { at: at('10:45'), type: 'cancelled', status: 'cancelled', note: 'alert withdrawn before acceptance: readings back to normal' },
      ],
    });
    expect(buildOrderTimeline(order, undefined, 'zh', TZ).entries.map((e) => [e.kind, e.text])).toEqual([
      ['dispatched', '橙色预警工单派至阳光社区（阳光社区居委会）；须于 2026-09-30 10:30 前响应，2026-10-01 10:00 前办结'],
      ['alert_level', '预警降为黄色预警'],
      ['cancelled', '预警已撤销，工单取消'],
    ]);
    expect(buildOrderTimeline(order, undefined, 'en', TZ).entries.map((e) => e.text)).toEqual([
      'orange-level order dispatched to 阳光社区 (阳光社区居委会); respond by 2026-09-30 10:30, resolve by 2026-10-01 10:00',
      'alert lowered to yellow',
      'order cancelled: the alert was withdrawn',
    ]);
  });

  it('lists every reading when there are few, with units and states in words', () => {
    const alert = makeAlert({
      openedAt: at('12:00'),
      evidence: { readings: [{ deviceId: 'wm-101', ts: at('04:00'), metrics: { flow_lpm: 0, total_m3: 12.3456, valve_open: true } }], facts: {} },
      history: [],
    });
    const order = makeOrder({ createdAt: at('12:00'), history: [] });
    expect(buildOrderTimeline(order, alert, 'zh', TZ).entries.map((e) => e.text)).toEqual([
      '设备 wm-101 读数：流量 0 L/min，表底读数 12.346 m³，阀门开启',
    ]);
    expect(buildOrderTimeline(order, alert, 'en', TZ).entries.map((e) => e.text)).toEqual([
      'device wm-101 reported flow 0 L/min, meter total 12.346 m³, valve open',
    ]);
  });

  it('writes times in the place\'s zone, whatever the zone', () => {
    const order = makeOrder({ createdAt: Date.UTC(2026, 6, 1, 12, 0), history: [{ at: Date.UTC(2026, 6, 1, 12, 0), type: 'created', tier: 'community', level: 'orange' }] });
    expect(buildOrderTimeline(order, undefined, 'en', 'America/New_York').entries[0]!.time).toBe('2026-07-01T08:00:00-04:00');
    expect(buildOrderTimeline(order, undefined, 'en', 'Asia/Kolkata').entries[0]!.time).toBe('2026-07-01T17:30:00+05:30');
    expect(buildOrderTimeline(order, undefined, 'en', 'UTC').entries[0]!.time).toBe('2026-07-01T12:00:00+00:00');
  });

  it('leaves dates and meter figures in notes alone while hiding phone and ID numbers', () => {
    const order = makeOrder({
      createdAt: at('08:00'),
      history: [{ at: at('09:00'), type: 'status', status: 'resolved', note: '2026-09-30 复查，表底 12345.678，联系电话 021-62345678，手机 +86 138 1234 5678' }],
    });
    expect(buildOrderTimeline(order, undefined, 'zh', TZ).entries[0]!.text)
      .toBe('阳光社区 处置完毕（处置反馈：2026-09-30 复查，表底 12345.678，联系电话 ［已隐去］，手机 ［已隐去］）');
  });
});

describe('localName', () => {
  it('picks the half of a bilingual registry name for the language', () => {
    expect(localName('Yangguang Grid 1 / 阳光社区第一网格', 'zh')).toBe('阳光社区第一网格');
    expect(localName('Yangguang Grid 1 / 阳光社区第一网格', 'en')).toBe('Yangguang Grid 1');
    expect(localName('阳光社区居委会', 'en')).toBe('阳光社区居委会');
    expect(localName('A / B', 'zh')).toBe('A / B');
  });
});
