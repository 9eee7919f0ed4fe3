/**
 * The database schema as an append-only list: migration N brings `PRAGMA user_version` from N-1
 * to N. Never edit a released entry; add a new one.
 *
 * Every table keeps the whole object as JSON in `body` (what the engine and the API read back) and
 * copies the fields that queries filter or sort on into indexed columns.
 */
export interface Migration {
  /** What the migration does, for humans reading the list. */
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    description: 'alerts, dispatch orders and the transactional outbox',
    sql: `
      CREATE TABLE alerts (
        id            TEXT PRIMARY KEY,
        scenario_id   TEXT NOT NULL,
        key           TEXT NOT NULL,
        level         TEXT NOT NULL,
        status        TEXT NOT NULL,
        opened_at     INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL,
        place_id      TEXT NOT NULL,
        grid_id       TEXT,
        community_id  TEXT,
        street_id     TEXT,
        body          TEXT NOT NULL
      );
      -- list() sorts newest first: filter indexes end in (opened_at, id) so the sort can follow the index.
      -- Each index is one more page written per commit: only filters the API offers are indexed.
      CREATE INDEX alerts_opened      ON alerts (opened_at, id);
      CREATE INDEX alerts_status      ON alerts (status, opened_at, id);
      CREATE INDEX alerts_level       ON alerts (level, opened_at, id);
      CREATE INDEX alerts_scenario    ON alerts (scenario_id, opened_at, id);
      CREATE INDEX alerts_place       ON alerts (place_id, opened_at, id);
      CREATE INDEX alerts_grid        ON alerts (grid_id, opened_at, id);
      CREATE INDEX alerts_community   ON alerts (community_id, opened_at, id);
      CREATE INDEX alerts_street      ON alerts (street_id, opened_at, id);

      CREATE TABLE orders (
        id                 TEXT PRIMARY KEY,
        alert_id           TEXT NOT NULL,
        scenario_id        TEXT NOT NULL,
        level              TEXT NOT NULL,
        status             TEXT NOT NULL,
        tier               TEXT NOT NULL,
        version            INTEGER NOT NULL,
        created_at         INTEGER NOT NULL,
        updated_at         INTEGER NOT NULL,
        place_id           TEXT NOT NULL,
        grid_id            TEXT,
        community_id       TEXT,
        street_id          TEXT,
        assignee_place_id  TEXT NOT NULL,
        body               TEXT NOT NULL
      );
      CREATE INDEX orders_created     ON orders (created_at, id);
      CREATE INDEX orders_alert       ON orders (alert_id, created_at, id);
      CREATE INDEX orders_status      ON orders (status, created_at, id);
      CREATE INDEX orders_level       ON orders (level, created_at, id);
      CREATE INDEX orders_tier        ON orders (tier, created_at, id);
      CREATE INDEX orders_scenario    ON orders (scenario_id, created_at, id);
      CREATE INDEX orders_place       ON orders (place_id, created_at, id);
      CREATE INDEX orders_grid        ON orders (grid_id, created_at, id);
      CREATE INDEX orders_community   ON orders (community_id, created_at, id);
      CREATE INDEX orders_street      ON orders (street_id, created_at, id);
      CREATE INDEX orders_assignee    ON orders (assignee_place_id, created_at, id);

      -- AUTOINCREMENT: ids are never reused after pruneDelivered() empties the table, so an id
      -- names one message for good (consumers may deduplicate on it).
      CREATE TABLE outbox (
        id               INTEGER PRIMARY KEY AUTOINCREMENT,
        topic            TEXT NOT NULL,
        payload          TEXT NOT NULL,
        qos              INTEGER NOT NULL CHECK (qos IN (0, 1)),
        retain           INTEGER NOT NULL DEFAULT 0 CHECK (retain IN (0, 1)),
        ordering_key     TEXT,
        created_at       INTEGER NOT NULL,
        attempts         INTEGER NOT NULL DEFAULT 0,
        last_attempt_at  INTEGER,
        last_error       TEXT,
        delivered_at     INTEGER
      );
      -- Partial indexes stay as small as the backlog, however long delivered rows are kept.
      CREATE INDEX outbox_pending   ON outbox (id) WHERE delivered_at IS NULL;
      CREATE INDEX outbox_delivered ON outbox (delivered_at) WHERE delivered_at IS NOT NULL;
    `,
  },
  {
    description: 'model state snapshots, carried across a graceful restart',
    sql: `
      -- One row per (scenario, key), written at a graceful stop and consumed at the next start.
      -- fingerprint: the scenario's definition; a changed scenario starts from no state.
      CREATE TABLE model_state (
        scenario_id  TEXT NOT NULL,
        key          TEXT NOT NULL,
        fingerprint  TEXT NOT NULL,
        taken_at     INTEGER NOT NULL,
        state        TEXT NOT NULL,
        PRIMARY KEY (scenario_id, key)
      ) WITHOUT ROWID;
    `,
  },
  {
    description: 'dispatch closed loop: outbox sinks (webhooks), order event log (SSE), order statistics columns',
    sql: `
      -- One outbox row per (message, sink): 'mqtt' or 'webhook:{url}'. Each sink drains its own rows,
      -- so a slow or dead webhook never holds back MQTT. Rows retried later carry next_attempt_at;
      -- rows that exhausted their attempts are dead (kept for inspection and manual redelivery).
      ALTER TABLE outbox ADD COLUMN sink TEXT NOT NULL DEFAULT 'mqtt';
      ALTER TABLE outbox ADD COLUMN next_attempt_at INTEGER;
      ALTER TABLE outbox ADD COLUMN dead_at INTEGER;
      -- The receiver's deduplication key: the CloudEvent id, '{orderId}:{version}' for orders.
      ALTER TABLE outbox ADD COLUMN idempotency_key TEXT;
      DROP INDEX outbox_pending;
      CREATE INDEX outbox_pending ON outbox (sink, id) WHERE delivered_at IS NULL AND dead_at IS NULL;
      CREATE INDEX outbox_dead    ON outbox (sink, dead_at) WHERE dead_at IS NOT NULL;

      -- Every published order version, in commit order: the SSE stream's history (Last-Event-ID is
      -- the row id) and the durable record of what downstream systems were told. No secondary
      -- index: every reader goes by id, and each index is one more page in every order's commit.
      CREATE TABLE order_events (
        id        INTEGER PRIMARY KEY AUTOINCREMENT,
        order_id  TEXT NOT NULL,
        version   INTEGER NOT NULL,
        type      TEXT NOT NULL,
        at        INTEGER NOT NULL,
        payload   TEXT NOT NULL
      );

      -- Statistics and policy facts read these without parsing every body.
      ALTER TABLE orders ADD COLUMN subject_id TEXT;
      ALTER TABLE orders ADD COLUMN priority INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE orders ADD COLUMN accepted_at INTEGER;
      ALTER TABLE orders ADD COLUMN resolved_at INTEGER;
      ALTER TABLE orders ADD COLUMN response_due_at INTEGER;
      ALTER TABLE orders ADD COLUMN resolution_due_at INTEGER;
      ALTER TABLE orders ADD COLUMN overdue_count INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX orders_subject ON orders (subject_id) WHERE subject_id IS NOT NULL;

      -- Orders written before this migration: give them the new columns and the fields every
      -- order now has (an SLA of the spans they were given, no warnings, no supervision yet).
      UPDATE orders SET
        subject_id = json_extract(body, '$.subject.id'),
        priority = json_extract(body, '$.priority'),
        response_due_at = json_extract(body, '$.responseDueAt'),
        resolution_due_at = json_extract(body, '$.resolutionDueAt'),
        body = json_insert(body,
          '$.sla', json_object(
            'respondWithin', json_object('ms', json_extract(body, '$.responseDueAt') - json_extract(body, '$.createdAt')),
            'resolveWithin', json_object('ms', json_extract(body, '$.resolutionDueAt') - json_extract(body, '$.createdAt')),
            'warnAt', 0.8),
          '$.policyRules', json('[]'),
          '$.warned', json('[]'),
          '$.overdueCount', 0,
          '$.supervision', json('[]'),
          '$.rejectedBy', json('[]'));
    `,
  },
  {
    description: 'alerts: one place index instead of four (place, grid, community, street), for cheaper alert commits',
    sql: `
      -- Every alert row carried four place indexes so that a place id matched at any level of the
      -- hierarchy: four index entries per alert, and as many more index pages in every commit (an
      -- offline storm commits tens of thousands of alerts a second). Instead, each distinct place
      -- path (place, grid, community, street) is stored once in alert_places, the alert carries
      -- the path as one indexed column, and a place filter finds the paths that name the place
      -- (a small table: one row per place that ever had an alert) and then the alerts by index.
      -- path is json_array(place_id, grid_id, community_id, street_id), the same text the
      -- repository writes with JSON.stringify.
      CREATE TABLE alert_places (
        path          TEXT PRIMARY KEY,
        place_id      TEXT NOT NULL,
        grid_id       TEXT,
        community_id  TEXT,
        street_id     TEXT
      ) WITHOUT ROWID;
      ALTER TABLE alerts ADD COLUMN place_path TEXT NOT NULL DEFAULT '';
      UPDATE alerts SET place_path = json_array(place_id, grid_id, community_id, street_id);
      INSERT OR IGNORE INTO alert_places (path, place_id, grid_id, community_id, street_id)
        SELECT DISTINCT place_path, place_id, grid_id, community_id, street_id FROM alerts;
      DROP INDEX alerts_place;
      DROP INDEX alerts_grid;
      DROP INDEX alerts_community;
      DROP INDEX alerts_street;
      CREATE INDEX alerts_place_path ON alerts (place_path, opened_at, id);
    `,
  },
  {
    description: 'orders: the deadline last warned per kind instead of a list that forgot, and a reminder interval in the SLA',
    sql: `
      -- warned held the last 8 warned deadlines (their dueAt) and forgot older ones, so an order
      -- kept missing its response deadline warned its resolution deadline again every 2 hours.
      -- An order runs one deadline per kind at a time and only the running one can still be
      -- warned: keep, per kind, the current deadline when the list has it.
      UPDATE orders SET body = json_set(body, '$.warned', json_patch('{}', json_object(
          'response', CASE WHEN EXISTS (SELECT 1 FROM json_each(orders.body, '$.warned') w
                                        WHERE w.value = json_extract(orders.body, '$.responseDueAt'))
                      THEN json_extract(body, '$.responseDueAt') END,
          'resolution', CASE WHEN EXISTS (SELECT 1 FROM json_each(orders.body, '$.warned') w
                                          WHERE w.value = json_extract(orders.body, '$.resolutionDueAt'))
                        THEN json_extract(body, '$.resolutionDueAt') END)))
        WHERE json_type(body, '$.warned') = 'array';

      -- At the top of the supervision ladder leadership is now reminded at most hourly (the
      -- policy's default remindEvery), where it was re-notified at every span (15 min for red).
      UPDATE orders SET body = json_set(body, '$.sla.remindEvery', 3600000)
        WHERE json_type(body, '$.sla') = 'object' AND json_type(body, '$.sla.remindEvery') IS NULL;
    `,
  },
  {
    description: 'model state: checkpoints kept and overwritten key by key, the scenario fingerprint once per scenario',
    sql: `
      -- Model state is now checkpointed while the engine runs (dirty keys every few seconds) and
      -- kept: a restart after a crash restores it, and the next checkpoint overwrites it key by key.
      -- The scenario definition it belongs to (fingerprint, ~1 KB of JSON) moves to one row per
      -- scenario: once per key it was a gigabyte of repeated text at a million keys, written again
      -- by every checkpoint of every key.
      CREATE TABLE model_scenarios (
        scenario_id  TEXT PRIMARY KEY,
        fingerprint  TEXT NOT NULL
      ) WITHOUT ROWID;
      INSERT INTO model_scenarios (scenario_id, fingerprint)
        SELECT scenario_id, max(fingerprint) FROM model_state GROUP BY scenario_id;
      DELETE FROM model_state
        WHERE fingerprint <> (SELECT s.fingerprint FROM model_scenarios s WHERE s.scenario_id = model_state.scenario_id);
      ALTER TABLE model_state DROP COLUMN fingerprint;
    `,
  },
];
