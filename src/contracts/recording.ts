/**
 * A recording of fleet traffic, one JSON object per line (NDJSON): what `riskwatch simulate --fast`
 * writes and `riskwatch replay` reads. Lines are in non-decreasing `t` (event time). `payload` is
 * exactly what the device published on `topic` (a reading or an NB-IoT batch), so replaying a line
 * is publishing it.
 *
 *   {"t":1732300000000,"topic":"rw/telemetry/wm-0001","payload":{"ts":1732300000000,"metrics":{"flow_lpm":0,"total_m3":12.3}}}
 */
export interface RecordedMessage {
  /** Event time of the message (epoch ms): when the device sent it. The replay clock follows it. */
  t: number;
  topic: string;
  payload: unknown;
}

/** Kinds of incident a simulator injects; each becomes one line of the labels file. */
export type IncidentKind =
  | 'elderly_no_water'
  | 'tap_left_running'
  | 'gas_leak'
  | 'smoke'
  | 'meter_silent'
  | 'building_gas_event';

/**
 * One injected incident (the labels file, NDJSON, one per line): what happened, to whom, when. The
 * benchmark scores detection against these: which scenario should fire, how late it did.
 */
export interface IncidentLabel {
  id: string;
  kind: IncidentKind;
  /** The devices whose readings carry the incident (a building-wide event has many). */
  deviceIds: string[];
  /** The subject (household) affected, when there is one. */
  subjectId?: string;
  /** Start of the incident (epoch ms, event time). */
  startAt: number;
  /** End of the incident, if it ends within the simulated period. */
  endAt?: number;
  /** The shipped scenarios expected to raise an alert for it (e.g. `elderly-no-water`). */
  expectedScenarios: string[];
}
