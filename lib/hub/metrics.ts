/**
 * The hub's counters, rendered in the Prometheus text exposition format at `GET /metrics`.
 *
 * @module
 */

import type { TopicCount } from "../pubsub/broker.ts";

/** Most `switchboard_topic_subscribers` series (the most subscribed topics win). */
const MAX_TOPIC_SERIES = 100;

/** Latency buckets of routed calls, in seconds. */
const BUCKETS: readonly number[] = [
  0.0001,
  0.00025,
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
];

/**
 * A recent error, kept for the inspector.
 *
 * @example Types only
 * ```ts
 * import type { RecentError } from "./metrics.ts";
 * const e: RecentError = { time: 0, where: "math.add", message: "boom", client: "c1" };
 * if (e.where !== "math.add") throw new Error("unreachable");
 * ```
 */
export interface RecentError {
  /** When, in ms since the epoch. */
  readonly time: number;
  /** A method name or a stage (`upgrade`, `send`). */
  readonly where: string;
  /** The error message. */
  readonly message: string;
  /** The connection id, when known. */
  readonly client?: string;
}

/**
 * Counters, one histogram, and a ring of recent errors.
 *
 * @example
 * ```ts
 * import { HubMetrics } from "./metrics.ts";
 * const m = new HubMetrics();
 * m.calls++;
 * m.observeRouted(2, true);
 * const text = m.render({ connections: 1, procedures: 0 });
 * if (!text.includes("switchboard_calls_total 1")) throw new Error("unreachable");
 * ```
 */
export class HubMetrics {
  /** WebSocket connections opened since start. */
  connectionsTotal = 0;
  /** Incoming requests and notifications dispatched (all connections, WS and HTTP). */
  calls = 0;
  /** Calls refused by authentication or a rule. */
  refused = 0;
  /** Failures nobody awaited (procedures that threw, failed sends). */
  internalErrors = 0;
  /** Routed calls that ended in an error. */
  routedErrors = 0;
  /** Routed calls. */
  routed = 0;
  /** Connections refused before the upgrade (origin, token, shutdown). */
  upgradesRefused = 0;
  /**
   * Bytes received and sent on WebSocket connections (UTF-16 code units for text frames):
   * the Switchboard's own counters, bound by the hub.
   */
  traffic: { readonly bytesSent: number; readonly bytesReceived: number } = {
    bytesSent: 0,
    bytesReceived: 0,
  };
  /**
   * Events published through the hub and events written to subscribers (one per subscriber
   * reached): counters owned by the broker, bound by the hub.
   */
  events: { readonly published: number; readonly delivered: number } = {
    published: 0,
    delivered: 0,
  };

  readonly #buckets: number[] = BUCKETS.map(() => 0);
  #sum = 0;
  #count = 0;
  readonly #errors: RecentError[] = [];

  /**
   * Record one routed call.
   *
   * @param ms Its duration in ms.
   * @param ok Whether it succeeded.
   */
  observeRouted(ms: number, ok: boolean): void {
    this.routed++;
    if (!ok) this.routedErrors++;
    const s = ms / 1000;
    this.#sum += s;
    this.#count++;
    for (let i = 0; i < BUCKETS.length; i++) if (s <= BUCKETS[i]!) this.#buckets[i]!++;
  }

  /**
   * Remember an error for the inspector (the last 50 are kept).
   *
   * @param error The error.
   */
  recordError(error: RecentError): void {
    this.#errors.push(error);
    if (this.#errors.length > 50) this.#errors.shift();
  }

  /**
   * The recent errors, oldest first.
   *
   * @returns A copy.
   */
  recentErrors(): RecentError[] {
    return [...this.#errors];
  }

  /**
   * Render the Prometheus text format.
   *
   * @param gauges Current values: open connections, routed procedures, and the topics and
   * patterns with subscribers.
   * @returns The text.
   */
  render(
    gauges: { connections: number; procedures: number; topics?: readonly TopicCount[] },
  ): string {
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string, value: number): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`);
    };
    metric("switchboard_connections", "gauge", "Open WebSocket connections.", gauges.connections);
    metric(
      "switchboard_connections_total",
      "counter",
      "WebSocket connections opened.",
      this.connectionsTotal,
    );
    metric(
      "switchboard_upgrades_refused_total",
      "counter",
      "Connections refused before the upgrade.",
      this.upgradesRefused,
    );
    metric("switchboard_calls_total", "counter", "Incoming calls dispatched.", this.calls);
    metric("switchboard_calls_refused_total", "counter", "Calls refused by auth.", this.refused);
    metric("switchboard_routed_calls_total", "counter", "Calls routed to clients.", this.routed);
    lines.push(
      "# HELP switchboard_errors_total Errors by kind.",
      "# TYPE switchboard_errors_total counter",
      `switchboard_errors_total{kind="routed"} ${this.routedErrors}`,
      `switchboard_errors_total{kind="internal"} ${this.internalErrors}`,
      `switchboard_errors_total{kind="refused"} ${this.refused}`,
    );
    lines.push(
      "# HELP switchboard_routed_call_duration_seconds Routed call latency.",
      "# TYPE switchboard_routed_call_duration_seconds histogram",
    );
    for (let i = 0; i < BUCKETS.length; i++) {
      lines.push(
        `switchboard_routed_call_duration_seconds_bucket{le="${BUCKETS[i]}"} ${this.#buckets[i]}`,
      );
    }
    lines.push(
      `switchboard_routed_call_duration_seconds_bucket{le="+Inf"} ${this.#count}`,
      `switchboard_routed_call_duration_seconds_sum ${this.#sum}`,
      `switchboard_routed_call_duration_seconds_count ${this.#count}`,
    );
    metric("switchboard_procedures", "gauge", "Procedures routed to clients.", gauges.procedures);
    const topics = gauges.topics ?? [];
    metric(
      "switchboard_topics",
      "gauge",
      "Topics and patterns with subscribers.",
      topics.length,
    );
    lines.push(
      "# HELP switchboard_topic_subscribers Subscribers per topic or pattern (top 100).",
      "# TYPE switchboard_topic_subscribers gauge",
    );
    const top = [...topics].sort((a, b) =>
      b.subscribers - a.subscribers || (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0)
    ).slice(0, MAX_TOPIC_SERIES);
    for (const { topic, subscribers } of top) {
      lines.push(`switchboard_topic_subscribers{topic="${label(topic)}"} ${subscribers}`);
    }
    metric(
      "switchboard_events_total",
      "counter",
      "Events published.",
      this.events.published,
    );
    metric(
      "switchboard_events_delivered_total",
      "counter",
      "Events written to subscribers.",
      this.events.delivered,
    );
    metric(
      "switchboard_received_bytes_total",
      "counter",
      "Bytes received on WebSockets.",
      this.traffic.bytesReceived,
    );
    metric(
      "switchboard_sent_bytes_total",
      "counter",
      "Bytes sent on WebSockets.",
      this.traffic.bytesSent,
    );
    return lines.join("\n") + "\n";
  }
}

/** Escape a Prometheus label value: backslash, double quote and newline. */
function label(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
