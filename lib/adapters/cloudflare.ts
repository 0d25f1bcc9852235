/**
 * The Cloudflare host: a Durable Object class that serves a Switchboard over hibernating
 * WebSockets (lib/adapters/cloudflare/object.ts), the Worker that routes `/rpc` to one
 * object per room (lib/adapters/cloudflare/worker.ts), and the storage-backed backplane and
 * states they use. Runs in workerd only; nothing here computes file URLs or bundles at
 * request time.
 *
 * @module
 */

export {
  type ObjectScope,
  PING_REQUEST,
  PING_RESPONSE,
  SwitchboardObject,
  switchboardObject,
  type SwitchboardObjectOptions,
  type SwitchboardSetup,
} from "./cloudflare/object.ts";
export {
  MAX_ROOM_LENGTH,
  switchboardWorker,
  type SwitchboardWorkerOptions,
} from "./cloudflare/worker.ts";
export {
  MAX_STORED_EVENT_BYTES,
  SqlBackplane,
  type SqlBackplaneOptions,
} from "./cloudflare/sql_backplane.ts";
export { MAX_SESSION_BYTES, type Session } from "./cloudflare/session.ts";
export type {
  DurableObjectContext,
  DurableObjectNamespaceLike,
  HibernatingSocket,
  SqlStorage,
} from "./cloudflare/workers_types.ts";
