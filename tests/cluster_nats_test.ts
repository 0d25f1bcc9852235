/**
 * Three hubs as separate processes joined through nats-server: cross-hub events, routed calls
 * (callee disconnect, timeout, cancel, roundrobin), a hub killed with its subscriber resuming
 * on another, and the engine down for seconds.
 */

import { hasEngine, startNats } from "./_engines.ts";
import { clusterSuite } from "./_cluster_suite.ts";

clusterSuite("nats-server", hasEngine("nats-server"), startNats);
