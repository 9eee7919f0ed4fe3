import type { AlertEvent } from '../contracts/alert.js';
import type { Level } from '../contracts/level.js';
import type { DispatchOrder } from '../contracts/order.js';
import type { Engine } from '../engine.js';
import type { OrderChange } from '../dispatch/order-manager.js';

const COLOUR: Record<Level, string> = { blue: '\x1b[34m', yellow: '\x1b[33m', orange: '\x1b[38;5;208m', red: '\x1b[31m' };
const RESET = '\x1b[0m';
const DIM = '\x1b[2m';

function clock(at: number): string {
  return new Date(at).toLocaleTimeString('en-GB', { hour12: false });
}

function deadline(at: number, now: number): string {
  const d = new Date(at);
  const sameDay = new Date(now).toDateString() === d.toDateString();
  return sameDay ? d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' }) : d.toLocaleString('en-GB', { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/**
 * Readable alert and order lines for the demo terminal. Place names and ids only: the resident's
 * contact details stay inside the order and are not printed.
 */
export function printEngineEvents(engine: Engine, write: (line: string) => void, colour: boolean): void {
  const paint = (level: Level, text: string) => (colour ? `${COLOUR[level]}${text}${RESET}` : text);
  const dim = (text: string) => (colour ? `${DIM}${text}${RESET}` : text);
  // "Grid 1 · Yangguang Community": the handling units, short enough for one line. Bilingual
  // registry names ("Yangguang Grid 1 / 阳光社区第一网格") print their first form only.
  const short = (name: string) => name.split(' / ')[0]!;
  const placeOf = (placeId: string) => {
    const place = engine.registry.place(placeId);
    if (!place) return placeId;
    const parent = place.parentId ? engine.registry.place(place.parentId) : undefined;
    return parent ? `${short(place.name)} · ${short(parent.name)}` : short(place.name);
  };

  engine.on('alert', (event: AlertEvent) => {
    const a = event.alert;
    const level = event.type === 'cleared' ? (event.from ?? a.level) : a.level;
    const label = event.type === 'cleared' ? 'CLEARED' : level.toUpperCase();
    const change = event.type === 'escalated' || event.type === 'deescalated' ? ` (${event.from} → ${event.to})` : '';
    write(`${dim(clock(event.at))}  ALERT  ${paint(level, `● ${label.padEnd(7)}`)} ${a.scenarioId.padEnd(28)} ${placeOf(a.placeId)}  ${dim(`${a.deviceId}${change}`)}\n${' '.repeat(17)}${a.summary}`);
  });

  // The changes a watcher of the demo cares about; status reports and notes are in the API.
  const VERBS: Partial<Record<OrderChange, string>> = {
    created: 'NEW', escalated: 'ESCALATED', overdue: 'OVERDUE', deadline_warning: 'DUE SOON', rerouted: 'REROUTED', cancelled: 'CANCELLED',
  };
  engine.on('order', (order: DispatchOrder, change: OrderChange) => {
    const verb = VERBS[change];
    if (!verb) return;
    const to = order.assignee.office ?? short(order.assignee.placeName);
    const department = order.department ? ` + ${order.department.name}` : '';
    const notify = order.notify.length ? `, notify ${order.notify.join(', ')}` : '';
    write(
      `${dim(clock(order.updatedAt))}  ORDER  ${paint(order.level, `▶ ${verb.padEnd(9)}`)} → ${order.tier} "${to}"${department}${notify}; respond by ${deadline(order.responseDueAt, order.updatedAt)}, resolve by ${deadline(order.resolutionDueAt, order.updatedAt)}  ${dim(order.id.slice(0, 8))}`,
    );
  });
}
