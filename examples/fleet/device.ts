/**
 * A simulated device of the fleet: it connects to the hub with the devices' token, registers
 * its procedures there (`device.<id>.status`, `device.<id>.setTarget`) so that any permitted
 * client can call them through the hub, and publishes its telemetry on
 * `fleet.<id>.telemetry` every second.
 *
 * Run (with a hub running, e.g. `deno run -A examples/fleet/main.ts --hub-only`):
 * `deno run -A examples/fleet/device.ts thermo-9` or `bun examples/fleet/device.ts thermo-9`;
 * a second argument sets the hub URL (default ws://127.0.0.1:8000/rpc), DEVICE_TOKEN the token.
 *
 * @module
 */

import process from "node:process";
import { connect } from "../../mod.ts";
import { offer } from "../../lib/hub/offer.ts";
import { withToken } from "./dashboard.ts";

/** The devices' token in examples/fleet/hub.json. */
export const DEVICE_TOKEN = "device-secret-change-me";

/** What `device.<id>.status` answers. */
export interface DeviceStatus {
  /** The device id. */
  readonly id: string;
  /** Its temperature, °C. */
  readonly temperature: number;
  /** The temperature it steers to, °C. */
  readonly target: number;
  /** Seconds since it started. */
  readonly uptime: number;
}

/** A running device. */
export interface Device {
  /** Its id. */
  readonly id: string;
  /** Disconnect (its procedures leave the hub). */
  close(): void;
}

/**
 * Start a device.
 *
 * @param url The hub's WebSocket URL.
 * @param id The device id (one dotted-name segment: letters, digits, `-`, `_`).
 * @param options Token and telemetry interval (ms, default 1,000).
 * @returns The device, once its procedures are registered on the hub.
 */
export async function startDevice(
  url: string,
  id: string,
  options: { token?: string; interval?: number } = {},
): Promise<Device> {
  if (!/^[\w-]+$/.test(id)) throw new TypeError(`device id ${id}: letters, digits, - and _`);
  const started = Date.now();
  let temperature = 18 + Math.random() * 4;
  let target = 21;
  const client = connect(withToken(url, options.token ?? DEVICE_TOKEN));
  const status = (): DeviceStatus => ({
    id,
    temperature: Math.round(temperature * 10) / 10,
    target,
    uptime: Math.round((Date.now() - started) / 1000),
  });
  await offer(client, `device.${id}.status`, status, { description: `Status of ${id}` });
  await offer(client, `device.${id}.setTarget`, ([value]: unknown[]) => {
    if (typeof value !== "number" || value < 5 || value > 30) {
      throw new RangeError("target: a number of °C from 5 to 30");
    }
    target = value;
    return status();
  }, { description: `Set the target temperature of ${id}` });
  const timer = setInterval(() => {
    temperature += (target - temperature) * 0.2 + (Math.random() - 0.5) * 0.2;
    client.publish(`fleet.${id}.telemetry`, status()).catch(() => {
      // Offline for a moment: the next reading follows; the client reconnects by itself.
    });
  }, options.interval ?? 1_000);
  return {
    id,
    close: () => {
      clearInterval(timer);
      client.close();
    },
  };
}

if (import.meta.main) {
  const [id = "thermo-9", url = "ws://127.0.0.1:8000/rpc"] = process.argv.slice(2);
  await startDevice(url, id, { token: process.env.DEVICE_TOKEN ?? DEVICE_TOKEN });
  console.log(`device ${id} registered on ${url}`);
}
