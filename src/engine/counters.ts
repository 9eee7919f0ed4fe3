import type { EngineCounters } from '../contracts/engine-api.js';

/** Every counter at zero: monotonic from here while the engine runs. */
export function createCounters(): EngineCounters {
  return {
    messages: 0, accepted: 0, rejected: 0, ignored: 0, detections: 0, alertEvents: 0, alertsSuppressed: 0, ordersCreated: 0,
    orderUpdates: 0, statusUpdatesRejected: 0, stageErrors: 0, expressionErrors: 0, publishFailures: 0, publishesDenied: 0,
    overdue: 0, deadlineWarnings: 0, webhookDelivered: 0, webhookFailedAttempts: 0, webhookDead: 0,
  };
}
