import { Observable, type OperatorFunction } from 'rxjs';
import type { RawMessage } from '../contracts/reading.js';
import type { EnrichedReading } from '../contracts/registry.js';
import { ERR_PIPELINE_STAGE, isRiskwatchError, withDetails, type RiskwatchError } from '../core/errors.js';
import type { TelemetryDecoder } from './telemetry-decoder.js';

/**
 * Raw messages in, enriched readings out. A message the decoder rejects goes to `onReject` and the
 * stream carries on: input never errors or completes the pipeline. A non-coded exception from the
 * decoder is a bug, not bad input, so it is reported as ERR_PIPELINE_STAGE (stage `ingest`,
 * dead-letter reason `internal`) rather than dressed up as a malformed payload. Every message ends
 * in exactly one of `onAccept` (before its readings go downstream) and `onReject`, so the two
 * counts add up to the messages taken.
 *
 * Written as one Observable rather than `mergeMap` per message: no inner subscription, no closure
 * per message. `onReject` and `onAccept` must not throw; errors of downstream subscribers are not
 * caught here.
 */
export function ingestTelemetry(
  decoder: TelemetryDecoder,
  onReject: (raw: RawMessage, err: RiskwatchError) => void,
  onAccept: () => void = noop,
): OperatorFunction<RawMessage, EnrichedReading> {
  // One reading per message, the usual case, comes without an array around it.
  const decode = decoder.decodeMessage === undefined ? (raw: RawMessage) => decoder.decode(raw) : (raw: RawMessage) => decoder.decodeMessage!(raw);
  return (source) =>
    new Observable<EnrichedReading>((subscriber) =>
      source.subscribe({
        next(raw) {
          let readings: EnrichedReading | EnrichedReading[];
          try {
            readings = decode(raw);
          } catch (err) {
            onReject(raw, asCodedError(err));
            return;
          }
          onAccept();
          if (!Array.isArray(readings)) subscriber.next(readings);
          else for (let i = 0; i < readings.length; i++) subscriber.next(readings[i]!);
        },
        error(err) {
          subscriber.error(err);
        },
        complete() {
          subscriber.complete();
        },
      }),
    );
}

const noop = (): void => {};

function asCodedError(err: unknown): RiskwatchError {
  if (isRiskwatchError(err)) return err;
  const error = err instanceof Error ? err : new Error(String(err));
  return withDetails(ERR_PIPELINE_STAGE('ingest', error.message), { stage: 'ingest', cause: error.name });
}
