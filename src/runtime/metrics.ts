import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one process; served at /metrics. */
export class Metrics {
  readonly registry = new Registry();
  readonly #frames = new Counter({ name: 'mvchat_frames_in_total', help: 'Client frames handled, by op', labelNames: ['op'], registers: [this.registry] });
  readonly #errors = new Counter({ name: 'mvchat_errors_total', help: 'Error replies, by code', labelNames: ['code'], registers: [this.registry] });
  readonly #rejected = new Counter({
    name: 'mvchat_rejected_total',
    help: 'Frames refused before handling, by reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  /** Frames queued to sessions since the last scrape: a plain number, as a room message adds one per member. */
  #framesOutPending = 0;
  readonly slowConsumerCloses = new Counter({
    name: 'mvchat_slow_consumer_closes_total',
    help: 'Sessions closed for reading too slowly',
    registers: [this.registry],
  });
  readonly backendErrors = new Counter({
    name: 'mvchat_backend_errors_total',
    help: 'Database, Redis, mail and storage errors',
    labelNames: ['backend'],
    registers: [this.registry],
  });
  readonly busOutOfOrder = new Counter({
    name: 'mvchat_bus_out_of_order_total',
    help: 'Message frames delivered past a seq that did not arrive in time (skipped), or dropped for arriving after a later one (dropped)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly busPublish = new Histogram({
    name: 'mvchat_bus_publish_seconds',
    help: 'Bus publish latency',
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
    registers: [this.registry],
  });
  readonly sessions: Gauge;
  readonly onlineUsers: Gauge;

  constructor(stats: () => { sessions: number; users: number }) {
    collectDefaultMetrics({ register: this.registry });
    this.sessions = new Gauge({
      name: 'mvchat_sessions',
      help: 'Open WebSocket sessions on this node',
      registers: [this.registry],
      collect() {
        this.set(stats().sessions);
      },
    });
    const metrics = this;
    new Counter({
      name: 'mvchat_frames_out_total',
      help: 'Server frames queued to sessions',
      registers: [this.registry],
      collect() {
        this.inc(metrics.#framesOutPending);
        metrics.#framesOutPending = 0;
      },
    });
    this.onlineUsers = new Gauge({
      name: 'mvchat_online_users',
      help: 'Distinct users with a session on this node',
      registers: [this.registry],
      collect() {
        this.set(stats().users);
      },
    });
  }

  frameOut(): void {
    this.#framesOutPending++;
  }

  op(name: string): void {
    this.#frames.inc({ op: name });
  }

  error(code: number): void {
    this.#errors.inc({ code: String(code) });
  }

  rejected(reason: string): void {
    this.#rejected.inc({ reason });
  }
}
