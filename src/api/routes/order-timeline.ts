import type { FastifyInstance } from 'fastify';
import type { TimelineLang } from '../../contracts/timeline.js';
import { ERR_NOT_FOUND } from '../../core/errors.js';
import { timelineAsText } from '../timeline-text.js';
import type { EngineApi } from '../../contracts/engine-api.js';
import { errorResponses, idParamsSchema, type IdParams } from '../schemas/common.js';
import { orderTimelineSchema, timelineQuerySchema, type TimelineQuerystring } from '../schemas/timeline.js';

const DEFAULT_LANG: TimelineLang = 'zh';

/**
 * The language an `Accept-Language` header prefers among ours (RFC 9110 §12.5.4): the highest
 * q-value whose primary subtag is zh or en (`zh-CN`, `en-US;q=0.8`), the earlier one on a tie;
 * `*` or nothing we write → zh.
 */
export function langFromAcceptLanguage(header: string | undefined): TimelineLang {
  if (!header) return DEFAULT_LANG;
  let best: { lang: TimelineLang; q: number } | undefined;
  for (const part of header.split(',')) {
    const [tag = '', ...params] = part.trim().split(';');
    const primary = tag.trim().toLowerCase().split('-')[0];
    if (primary !== 'zh' && primary !== 'en') continue;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!(q > 0)) continue; // q=0 means "not acceptable"; an unparsable q is ignored too
    if (!best || q > best.q) best = { lang: primary, q };
  }
  return best?.lang ?? DEFAULT_LANG;
}

export function registerOrderTimelineRoutes(app: FastifyInstance, engine: EngineApi): void {
  app.get<{ Params: IdParams; Querystring: TimelineQuerystring }>('/api/orders/:id/timeline', {
    schema: {
      params: idParamsSchema,
      querystring: timelineQuerySchema,
      response: { 200: orderTimelineSchema, ...errorResponses },
    },
  }, async (request, reply) => {
    const lang = request.query.lang ?? langFromAcceptLanguage(request.headers['accept-language']);
    // Caches must keep one copy per language when the header chose it.
    if (request.query.lang === undefined) void reply.header('vary', 'Accept-Language');
    const timeline = engine.getOrderTimeline(request.params.id, lang);
    if (!timeline) throw ERR_NOT_FOUND('order', request.params.id);
    if (request.query.format === 'text') {
      // A string with a non-JSON content type is sent as it is (the 200 schema serialises JSON only).
      return reply.type('text/plain; charset=utf-8').send(timelineAsText(timeline));
    }
    return timeline;
  });
}
