/**
 * The services a server runs for every session (`Switchboard.service()`): the registered
 * factories, their start on each new session and their `close` hooks when it ends.
 *
 * @module
 */

import type { Peer } from "../peer/peer.ts";
import type { CloseInfo } from "../peer/transport.ts";
import {
  type ServiceFactory,
  type ServiceOptions,
  type ServiceReport,
  type ServiceSession,
  startService,
} from "./service.ts";

/**
 * A server's services and the close hooks of each open session.
 *
 * @example
 * ```ts
 * import { Services } from "./services.ts";
 * import { Peer } from "../peer/peer.ts";
 * const services = new Services();
 * const closed: string[] = [];
 * services.add(() => ({ methods: { hi: () => "hi" }, close: () => void closed.push("x") }), {});
 * const peer = new Peer({ send() {}, close() {} });
 * services.start(peer, () => true, () => {});
 * services.end(peer.info.id, { code: 1000, reason: "", local: true });
 * if (closed.length !== 1) throw new Error("unreachable");
 * ```
 */
export class Services {
  /** The per-connection services (`service()`), run for every session opened after. */
  readonly #services = new Map<ServiceFactory, ServiceOptions>();
  /** The `close` hooks of the services of each open session, by connection id. */
  readonly #closers = new Map<string, ((info: CloseInfo) => void)[]>();

  /** How many services run for new sessions. */
  get size(): number {
    return this.#services.size;
  }

  /**
   * Run a service for every session opened from now on.
   *
   * @param factory Builds one connection's instance.
   * @param options `prefix` of the method names, `exposeErrors` of every method.
   * @returns A function that stops running it for new connections.
   * @throws {TypeError} When the factory is not a function or the prefix not a string.
   */
  add(factory: ServiceFactory, options: ServiceOptions): () => void {
    if (typeof factory !== "function") {
      throw new TypeError("Switchboard: a service must be a factory function");
    }
    if (options.prefix !== undefined && typeof options.prefix !== "string") {
      throw new TypeError("Switchboard: a service's prefix must be a string");
    }
    this.#services.set(factory, options);
    return () => {
      this.#services.delete(factory);
    };
  }

  /**
   * Start every service on a new session.
   *
   * @param peer The session.
   * @param emit Sends an event to this session only.
   * @param report Where failures go.
   */
  start(peer: Peer, emit: ServiceSession["emit"], report: ServiceReport): void {
    const session: ServiceSession = { peer, info: peer.info, emit };
    const closers: ((info: CloseInfo) => void)[] = [];
    for (const [factory, options] of this.#services) {
      const close = startService(factory, options, session, report);
      if (close !== undefined) closers.push(close);
    }
    if (closers.length > 0) this.#closers.set(peer.info.id, closers);
  }

  /**
   * A session ended: run its services' `close` hooks.
   *
   * @param id The session's connection id.
   * @param info How it closed.
   */
  end(id: string, info: CloseInfo): void {
    const closers = this.#closers.get(id);
    if (closers === undefined) return;
    this.#closers.delete(id);
    for (const close of closers) close(info);
  }
}
