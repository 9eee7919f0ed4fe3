import { describeSink } from './describe-sink.js';
import { webhookSinkHarness } from './webhook-sink-harness.js';

describeSink('WebhookSink → an HTTP receiver that holds its answers while stalled', webhookSinkHarness({ stall: 'hold' }));
describeSink('WebhookSink → an HTTP receiver that answers 503 while stalled', webhookSinkHarness({ stall: 'refuse' }));
