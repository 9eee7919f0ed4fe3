import type { Statement } from 'better-sqlite3';
import type { Database } from './database.js';
import { normalizePaging, type Page, type Paging } from './page.js';

/** One optional condition of a list query; it applies when `value(query)` is not undefined. */
export interface ListFilter<Q> {
  /** Named parameter the condition uses, written `@name` in `where`. */
  name: string;
  where: string;
  value(query: Q): string | number | undefined;
}

interface Statements {
  select: Statement;
  count: Statement;
}

/**
 * A filtered, paged list over a table that keeps the whole object as JSON in `body`.
 *
 * Each combination of filters present gets its own SQL, prepared the first time it is used and kept
 * (at most 2^filters statements). One statement with `@x IS NULL OR col = @x` for every filter
 * would be prepared only once, but SQLite cannot use an index through such an OR, and every list
 * would become a full scan.
 */
export class PagedListQuery<Q extends Paging, T> {
  private readonly statements = new Map<number, Statements>();
  private readonly readPage: (query: Q) => Page<T>;

  constructor(
    private readonly db: Database,
    private readonly table: string,
    private readonly orderBy: string,
    private readonly filters: readonly ListFilter<Q>[],
  ) {
    // count and items from one read transaction: the same snapshot even while the engine writes.
    this.readPage = db.transaction((query: Q) => this.readPageNow(query));
  }

  run(query: Q): Page<T> {
    return this.readPage(query);
  }

  private readPageNow(query: Q): Page<T> {
    const { limit, offset } = normalizePaging(query);
    const params: Record<string, string | number> = {};
    let shape = 0;
    for (let i = 0; i < this.filters.length; i++) {
      const filter = this.filters[i];
      const value = filter.value(query);
      if (value === undefined) continue;
      shape |= 1 << i;
      params[filter.name] = value;
    }
    const { select, count } = this.statementsFor(shape);
    const total = count.get(params) as number;
    const items = limit === 0 || offset >= total
      ? []
      : (select.all({ ...params, limit, offset }) as string[]).map((body) => JSON.parse(body) as T);
    return { items, total, limit, offset };
  }

  private statementsFor(shape: number): Statements {
    let statements = this.statements.get(shape);
    if (statements) return statements;
    const conditions = this.filters.filter((_, i) => (shape & (1 << i)) !== 0).map((f) => `(${f.where})`);
    const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
    statements = {
      select: this.db
        .prepare(`SELECT body FROM ${this.table}${where} ORDER BY ${this.orderBy} LIMIT @limit OFFSET @offset`)
        .pluck(),
      count: this.db.prepare(`SELECT count(*) FROM ${this.table}${where}`).pluck(),
    };
    this.statements.set(shape, statements);
    return statements;
  }
}

/** `column` is one of the listed values; an empty list means "no filter". */
export function oneOf<Q>(name: string, column: string, pick: (query: Q) => string | readonly string[] | undefined): ListFilter<Q> {
  return {
    name,
    // json_each turns one bound JSON array into rows, so any number of values shares one statement.
    where: `${column} IN (SELECT value FROM json_each(@${name}))`,
    value(query) {
      const picked = pick(query);
      if (picked === undefined) return undefined;
      if (typeof picked === 'string') return JSON.stringify([picked]);
      return picked.length === 0 ? undefined : JSON.stringify(picked);
    },
  };
}

/** `column` equals the value. */
export function equals<Q>(name: string, column: string, pick: (query: Q) => string | undefined): ListFilter<Q> {
  return { name, where: `${column} = @${name}`, value: pick };
}

/** Any of `columns` equals the value: a place id matches at every level of the hierarchy. */
export function anyColumnEquals<Q>(name: string, columns: readonly string[], pick: (query: Q) => string | undefined): ListFilter<Q> {
  return { name, where: columns.map((c) => `${c} = @${name}`).join(' OR '), value: pick };
}

/** Half-open time range on `column`: `from ≤ column < to`. */
export function timeRange<Q>(column: string, from: (query: Q) => number | undefined, to: (query: Q) => number | undefined): ListFilter<Q>[] {
  return [
    { name: 'from', where: `${column} >= @from`, value: from },
    { name: 'to', where: `${column} < @to`, value: to },
  ];
}
