import type { SchedulerLike } from 'rxjs';

/**
 * The engine's only source of time. Production wires RxJS `asyncScheduler` (wall clock), tests use
 * `TestScheduler.run()` or `ManualScheduler`, replay uses a `ManualScheduler` that follows the
 * recorded event time. Code under src/ never reads the wall clock itself.
 */
export type Scheduler = SchedulerLike;
export type Clock = Pick<SchedulerLike, 'now'>;
