/**
 * Three hubs as separate processes joined through redis-server: cross-hub events, routed calls
 * (callee disconnect, timeout, cancel, roundrobin), a hub killed with its subscriber resuming
 * on another, and the engine down for seconds.
 */

import { startRedis } from "../_engines.ts";
import { clusterSuite } from "../_cluster_suite.ts";
import { hasEngine } from "../_cluster.ts";

clusterSuite("redis-server", hasEngine("redis-server"), startRedis);
