import type { IncomingHttpHeaders } from 'node:http';
import { verifyWebhook } from '../../src/sinks/webhook-signature.js';
import type { Store } from '../../src/store/store.js';
import { WebhookReceiver, deferred, type Answer, type ReceivedWebhook } from '../integration/sinks/webhook-receiver.js';
import { deliveryOf, type Delivery } from './delivery-check.js';
import type { HarnessContext, SinkHarness, SinkRig, SinkUnderTest } from './describe-sink.js';
import { CONTRACT_SINKS, WEBHOOK_SECRET, type ChildSinkArgs } from './sink-builders.js';

/**
 * How the receiver is stalled: `hold` keeps every request open without an answer, `refuse`
 * answers 503, `down` stops listening (connections refused) and comes back on the same port.
 */
export type WebhookStall = 'hold' | 'refuse' | 'down';

export interface WebhookHarnessOptions {
  stall: WebhookStall;
}

/**
 * The webhook sink against a real HTTP receiver (tests/integration/sinks/webhook-receiver.ts) that
 * verifies the Standard Webhooks signature and records every request. A delivery counts once the
 * receiver answered it 2xx.
 */
export function webhookSinkHarness(options: WebhookHarnessOptions): SinkHarness {
  return {
    accepts: ['orders'],
    setUp: (context) => WebhookRig.start(context, options),
  };
}

class WebhookRig implements SinkRig {
  /** Every receiver this rig ran, in turn (a `down` stall starts a new one on the same port). */
  private readonly receivers: WebhookReceiver[] = [];
  private stalled = false;
  /** Held answers, released by `recover()`. */
  private held = deferred<Answer>();
  /** Each request's CloudEvent, parsed once on arrival (the suite polls `delivered()`). */
  private readonly parsed = new WeakMap<ReceivedWebhook, Delivery>();

  private constructor(private readonly context: HarnessContext, private readonly options: WebhookHarnessOptions) {}

  static async start(context: HarnessContext, options: WebhookHarnessOptions): Promise<WebhookRig> {
    const rig = new WebhookRig(context, options);
    await rig.listen();
    return rig;
  }

  private get receiver(): WebhookReceiver {
    return this.receivers.at(-1)!;
  }

  async makeSink(store: Store): Promise<SinkUnderTest> {
    const { sink, release } = CONTRACT_SINKS.webhook.build({ store, onProblem: this.context.onProblem, ...this.childArgs(), scheduler: this.context.scheduler });
    return {
      sink,
      durableIds: () => CONTRACT_SINKS.webhook.durableIds(store, sink),
      // Every 2xx has been recorded: nothing of this sink is pending.
      settled: () => (store.outbox.countPendingBySink()[sink.name] ?? 0) === 0,
      release,
    };
  }

  childArgs(): ChildSinkArgs {
    return { kind: 'webhook', target: this.receiver.url, id: 'webhook' };
  }

  delivered(): readonly Delivery[] {
    return this.receivers.flatMap((receiver) => receiver.accepted.map((request) => this.parsed.get(request)!));
  }

  async stall(): Promise<void> {
    this.stalled = true;
    if (this.options.stall === 'down') await this.receiver.close();
  }

  async recover(): Promise<void> {
    this.stalled = false;
    if (this.options.stall === 'down') await this.listen(this.receiver.listeningPort);
    this.held.resolve({ status: 200 });
    this.held = deferred<Answer>();
  }

  async tearDown(): Promise<void> {
    this.held.resolve({ status: 503 });
    for (const receiver of this.receivers) await receiver.close();
  }

  private async listen(port?: number): Promise<void> {
    this.receivers.push(await WebhookReceiver.start({
      verify: (headers: IncomingHttpHeaders, body: string) => verifyWebhook(WEBHOOK_SECRET, headers, body, Math.floor(this.context.scheduler.now() / 1000)),
      respond: (request) => this.respond(request),
      ...(port === undefined ? {} : { port }),
    }));
  }

  private respond(request: ReceivedWebhook): Answer | Promise<Answer> {
    const delivery = deliveryOf(request.body);
    this.parsed.set(request, delivery);
    this.context.onArrival(delivery);
    if (!request.verified) this.context.onProblem(`${delivery.id}: the signature did not verify`);
    if (request.webhookId !== delivery.id || request.idempotencyKey !== delivery.id) {
      this.context.onProblem(`${delivery.id}: webhook-id ${request.webhookId} / Idempotency-Key ${request.idempotencyKey} differ from the CloudEvent id`);
    }
    if (!this.stalled) return { status: 200 };
    return this.options.stall === 'refuse' ? { status: 503 } : this.held.promise;
  }
}
