import { describeSink } from './describe-sink.js';
import { orderLogSinkHarness } from './order-log-sink-harness.js';

describeSink('OrderLogSink → GET /api/orders/stream → an SSE client resuming with Last-Event-ID', orderLogSinkHarness());
