/**
 * Remote visualisation: the server renders frames (RGBA pixels computed on the server) and
 * streams them to a browser canvas as binary attachments on the topic `viz.frames`. The
 * renderer is a lazy topic publisher: it starts when the first viewer subscribes and stops
 * when the last one leaves, so nothing is rendered while nobody watches.
 *
 * Run: `deno run -A examples/visualisation/server.ts` (or `bun examples/visualisation/server.ts`)
 * and open http://127.0.0.1:8000/. PORT sets the port.
 *
 * @module
 */

import { type RunningServer, Switchboard } from "../../server.ts";
import { serveWithPages } from "../_serve.ts";

/** A rendered frame, as published: the pixels travel as raw bytes in a binary frame. */
export interface Frame {
  /** Its number since the renderer started. */
  readonly frame: number;
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** `width × height × 4` bytes: red, green, blue, alpha. */
  readonly pixels: Uint8Array;
}

/** What the renderer is doing, for the page and the tests. */
export interface RendererStatus {
  /** Whether it runs (someone watches). */
  running: boolean;
  /** Frames rendered since the server started. */
  rendered: number;
  /** How many times it started. */
  starts: number;
}

/** Options of the visualisation server. */
export interface VisualisationOptions {
  /** Frame width. Default 160. */
  readonly width?: number;
  /** Frame height. Default 120. */
  readonly height?: number;
  /** Frames per second. Default 20. */
  readonly fps?: number;
}

/**
 * Render one frame of a moving plasma.
 *
 * @param frame The frame number (time).
 * @param width Width in pixels.
 * @param height Height in pixels.
 * @returns RGBA bytes.
 */
export function renderFrame(frame: number, width: number, height: number): Uint8Array {
  const pixels = new Uint8Array(width * height * 4);
  const t = frame / 10;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = Math.sin(x / 16 + t) + Math.sin(y / 12 - t) + Math.sin((x + y) / 20 + t / 2);
      const i = (y * width + x) * 4;
      pixels[i] = 128 + 127 * Math.sin(v * Math.PI);
      pixels[i + 1] = 128 + 127 * Math.sin(v * Math.PI + 2);
      pixels[i + 2] = 128 + 127 * Math.sin(v * Math.PI + 4);
      pixels[i + 3] = 255;
    }
  }
  return pixels;
}

/**
 * Build the server: the lazy renderer on `viz.frames` and `viz.status()`.
 *
 * @param options Size and frame rate.
 * @returns The Switchboard and the renderer's status.
 */
export function createVisualisation(
  options: VisualisationOptions = {},
): { sb: Switchboard; status: RendererStatus } {
  const { width = 160, height = 120, fps = 20 } = options;
  const status: RendererStatus = { running: false, rendered: 0, starts: 0 };
  const sb = new Switchboard();
  sb.topic("viz.frames", ({ publish }) => {
    status.running = true;
    status.starts++;
    let frame = 0;
    const timer = setInterval(() => {
      const pixels = renderFrame(frame, width, height);
      status.rendered++;
      publish({ frame: frame++, width, height, pixels } satisfies Frame);
    }, 1000 / fps);
    // Runs when the last viewer unsubscribes or disconnects.
    return () => {
      clearInterval(timer);
      status.running = false;
    };
  });
  sb.register("viz.status", () => status);
  return { sb, status };
}

/**
 * Serve the visualisation: the page at `/`, JSON-RPC at `/rpc`.
 *
 * @param port The port (0 picks one). Default: PORT, else 8000.
 * @param options Size and frame rate.
 * @returns The running server and the renderer's status.
 */
export async function startVisualisation(
  port?: number,
  options?: VisualisationOptions,
): Promise<{ server: RunningServer; status: RendererStatus }> {
  const { sb, status } = createVisualisation(options);
  const page = new URL("./index.html", import.meta.url);
  return { server: await serveWithPages(sb, { "/": page }, port), status };
}

if (import.meta.main) {
  const { server } = await startVisualisation();
  console.log(`Visualisation on ${server.url}/`);
}
