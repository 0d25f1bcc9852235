/**
 * The state objects of one server: creation, the `rpc.state.get` snapshot method, the
 * procedures of their methods, and the authorization rule of the reserved `@state.` topics.
 *
 * @module
 */

import { ErrorCode, RpcError } from "../protocol/errors.ts";
import type { Registry } from "../router/registry.ts";
import type { AuthorizeRequest } from "../pubsub/broker.ts";
import { validateTopic } from "../pubsub/topic_name.ts";
import {
  isStateTopic,
  StateMethod,
  type StateSnapshot,
  stateTopic,
  type StateValue,
} from "./protocol.ts";
import { ServerState, type StateOptions } from "./server_state.ts";

/** A pub/sub authorization hook (the `pubsub.authorize` option). */
export type TopicAuthorizer = (request: AuthorizeRequest) => boolean | Promise<boolean>;

/**
 * Wrap a pub/sub authorize hook so no client may publish on a `@state.` topic (patches come
 * from the server only); everything else, including subscribing to a state, is the hook's
 * call (by default: anyone may subscribe, no client may publish).
 *
 * @param hook The application's hook, if any.
 * @returns The hook to give the broker and the states.
 * @example
 * ```ts
 * import { guardStateTopics } from "./states.ts";
 * const authorize = guardStateTopics(() => true);
 * const connection = { id: "c1", headers: new Headers(), data: {} };
 * if (authorize({ action: "publish", topic: "@state.counter", connection })) {
 *   throw new Error("unreachable");
 * }
 * ```
 */
export function guardStateTopics(hook?: TopicAuthorizer): TopicAuthorizer {
  return (request) => {
    if (request.action === "publish" && isStateTopic(request.topic)) return false;
    return hook === undefined ? request.action === "subscribe" : hook(request);
  };
}

/**
 * Publishes on a topic (the broker's `publish`).
 */
export type TopicPublisher = (topic: string, data: unknown) => number | Promise<number>;

/**
 * The state objects of a server.
 *
 * @example Create a state and read its snapshot
 * ```ts
 * import { Registry } from "../router/registry.ts";
 * import { States } from "./states.ts";
 * const states = new States(new Registry(), () => 0, () => true);
 * const counter = states.create("counter", { count: 0 });
 * counter.set({ count: 2 });
 * if (states.get("counter")?.snapshot().version !== 1) throw new Error("unreachable");
 * ```
 */
export class States {
  readonly #registry: Registry;
  readonly #publish: TopicPublisher;
  readonly #authorize: TopicAuthorizer;
  readonly #onError: (error: unknown, where: string) => void;
  readonly #states = new Map<string, { state: ServerState; dispose: () => void }>();

  /**
   * @param registry The server's registry: gets `rpc.state.get` and the states' methods.
   * @param publish Publishes a patch on the state's topic.
   * @param authorize Decides who may read a state (asked with action `subscribe` and the
   * state's topic), like `rpc.subscribe` on that topic.
   * @param onError Receives publish failures nobody awaits.
   */
  constructor(
    registry: Registry,
    publish: TopicPublisher,
    authorize: TopicAuthorizer,
    onError: (error: unknown, where: string) => void = () => {},
  ) {
    this.#registry = registry;
    this.#publish = publish;
    this.#authorize = authorize;
    this.#onError = onError;
    registry.registerReserved(
      StateMethod.Get,
      (p: { name?: unknown }, ctx) => this.#get(p.name, ctx.connection),
      { params: ["name"], shape: "object" },
    );
  }

  /**
   * Create a named state object.
   *
   * @param name A topic-style name (`counter`, `room.42`).
   * @param initial Its initial value.
   * @param options Its methods.
   * @returns The state.
   * @throws {TypeError} when the name is taken or a method name is invalid.
   */
  create<T extends StateValue>(
    name: string,
    initial: T,
    options: StateOptions<T> = {},
  ): ServerState<T> {
    validateTopic(stateTopic(name));
    if (this.#states.has(name)) {
      throw new TypeError(`Switchboard: a state named ${name} already exists`);
    }
    const state = new ServerState<T>(name, initial, (topic, patch) => {
      try {
        const seq = this.#publish(topic, patch);
        if (seq instanceof Promise) {
          seq.catch((error) => this.#onError(error, `state ${name}`));
        }
      } catch (error) {
        this.#onError(error, `state ${name}`);
      }
    }, options.resume);
    const undo: (() => void)[] = [];
    try {
      for (const [method, handler] of Object.entries(options.methods ?? {})) {
        if (typeof handler !== "function") {
          throw new TypeError(`Switchboard: method ${method} of state ${name} is not a function`);
        }
        undo.push(this.#registry.register(
          `${name}.${method}`,
          (params: unknown, ctx) => handler(state, params, ctx),
        ));
      }
    } catch (error) {
      for (const off of undo) off();
      throw error;
    }
    this.#states.set(name, {
      state: state as unknown as ServerState,
      dispose: () => {
        for (const off of undo) off();
      },
    });
    return state;
  }

  /**
   * A state by name.
   *
   * @param name The name.
   * @returns It, or `undefined`.
   */
  get(name: string): ServerState | undefined {
    return this.#states.get(name)?.state;
  }

  /**
   * Remove a state and its methods' procedures. Synced clients keep their last copy.
   *
   * @param name The name.
   * @returns Whether it existed.
   */
  delete(name: string): boolean {
    const entry = this.#states.get(name);
    if (entry === undefined) return false;
    entry.dispose();
    this.#states.delete(name);
    return true;
  }

  /** The names of the states. */
  names(): string[] {
    return [...this.#states.keys()];
  }

  async #get(
    name: unknown,
    connection: AuthorizeRequest["connection"],
  ): Promise<StateSnapshot> {
    if (typeof name !== "string" || name.length === 0) {
      throw new RpcError(ErrorCode.InvalidParams, "Invalid params", {
        reason: "name must be a non-empty string",
      });
    }
    const topic = stateTopic(name);
    validateTopic(topic);
    if (!await this.#authorize({ action: "subscribe", topic, connection })) {
      throw new RpcError(ErrorCode.Forbidden, "Forbidden", { action: "subscribe", topic });
    }
    const entry = this.#states.get(name);
    if (entry === undefined) {
      throw new RpcError(ErrorCode.InvalidParams, "Invalid params", {
        reason: "No such state",
        name: name.slice(0, 64),
      });
    }
    return entry.state.snapshot();
  }
}
