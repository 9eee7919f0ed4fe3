import { describeSink, describeSinksTogether } from './describe-sink.js';
import { mqttSinkHarness } from './mqtt-sink-harness.js';
import { webhookSinkHarness } from './webhook-sink-harness.js';

describeSink('MqttSink → mosquitto → an MQTT subscriber', mqttSinkHarness());

// The cross-sink case, once: MQTT and a webhook in one group commit, each stalled in turn (the
// webhook endpoint down: connections refused).
describeSinksTogether(['MqttSink', 'WebhookSink'], [mqttSinkHarness(), webhookSinkHarness({ stall: 'down' })]);
