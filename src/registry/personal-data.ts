import type { Subject } from '../contracts/registry.js';

/**
 * Key names that look like a resident's personal data, compared case-insensitively with `_` and
 * `-` removed. They are allowed only under a subject's `personal` (and a place's `responsible`),
 * so nobody parks a phone number in `attributes`, where scenario filters, alerts and logs see it.
 */
const PERSONAL_LOOKING_KEYS = new Set([
  'name', 'fullname', 'realname', 'firstname', 'lastname', 'surname',
  'phone', 'phonenumber', 'mobile', 'mobilephone', 'cellphone', 'tel', 'telephone',
  'idnumber', 'idno', 'idcard', 'idcardnumber', 'identitynumber', 'identitycard', 'nationalid',
  'address', 'homeaddress', 'addr',
]);

export function isPersonalLookingKey(key: string): boolean {
  return PERSONAL_LOOKING_KEYS.has(key.replace(/[_-]/g, '').toLowerCase());
}

/**
 * The path of the first personal-looking key inside `value`, or undefined. `skip` names top-level
 * keys not to look into (a subject's `personal` block). Walks any JSON-like value, so it can run on
 * unvalidated input.
 */
export function findPersonalLookingKey(
  value: unknown,
  skip: ReadonlySet<string> = NO_SKIP,
  path: (string | number)[] = [],
): (string | number)[] | undefined {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findPersonalLookingKey(value[i], NO_SKIP, [...path, i]);
      if (found) return found;
    }
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, child] of Object.entries(value)) {
    if (skip.has(key)) continue;
    if (isPersonalLookingKey(key)) return [...path, key];
    const found = findPersonalLookingKey(child, NO_SKIP, [...path, key]);
    if (found) return found;
  }
  return undefined;
}

const NO_SKIP: ReadonlySet<string> = new Set();

/** A subject without its personal data: what may be logged, shown in alerts or sent to CEL. */
export function redactPersonal(subject: Subject): Omit<Subject, 'personal'> {
  const { personal: _personal, ...rest } = subject;
  return rest;
}

/**
 * pino `redact.paths` covering every place personal data can sit in the engine's objects:
 * `subject.personal` (also inside `ctx` / `reading.ctx`), `place.responsible.{person,phone}`
 * (also as `ctx.grid` / `ctx.community` / `ctx.street`), an order's `assignee.{person,phone}` and
 * `subject.contact`. Paths are matched at the top level and up to four levels down, which covers
 * `log.info({ readings })` → `readings[0].ctx.subject.personal`. Deeper nesting is not redacted: log
 * ids, not whole contexts.
 */
export const PERSONAL_FIELD_PATHS: readonly string[] = [
  ...nested('personal', 4),
  ...nested('contact', 3),
  ...nested('responsible.person', 4),
  ...nested('responsible.phone', 4),
  ...nested('assignee.person', 2),
  ...nested('assignee.phone', 2),
];

function nested(path: string, depth: number): string[] {
  const paths = [path];
  for (let i = 1; i <= depth; i++) paths.push(`${'*.'.repeat(i)}${path}`);
  return paths;
}
