/**
 * Every example of the JSON-RPC 2.0 specification (section 7): the exact text sent and the
 * exact answer expected, for the conformance tests of each host.
 *
 * @module
 */

/** One example: the exact text sent and the exact answer expected (undefined: none). */
export interface Example {
  readonly name: string;
  readonly send: string;
  readonly expect: unknown;
}

/** The examples, in the specification's order. */
export const EXAMPLES: readonly Example[] = [
  {
    name: "rpc call with positional parameters",
    send: '{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}',
    expect: { jsonrpc: "2.0", result: 19, id: 1 },
  },
  {
    name: "rpc call with positional parameters, reversed",
    send: '{"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2}',
    expect: { jsonrpc: "2.0", result: -19, id: 2 },
  },
  {
    name: "rpc call with named parameters",
    send:
      '{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}',
    expect: { jsonrpc: "2.0", result: 19, id: 3 },
  },
  {
    name: "rpc call with named parameters, other order",
    send:
      '{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4}',
    expect: { jsonrpc: "2.0", result: 19, id: 4 },
  },
  {
    name: "a notification",
    send: '{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}',
    expect: undefined,
  },
  {
    name: "a notification of a method that does not exist",
    send: '{"jsonrpc": "2.0", "method": "foobar"}',
    expect: undefined,
  },
  {
    name: "rpc call of non-existent method",
    send: '{"jsonrpc": "2.0", "method": "foobar", "id": "1"}',
    expect: { jsonrpc: "2.0", error: { code: -32601, message: "Method not found" }, id: "1" },
  },
  {
    name: "rpc call with invalid JSON",
    send: '{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]',
    expect: { jsonrpc: "2.0", error: { code: -32700, message: "Parse error" }, id: null },
  },
  {
    name: "rpc call with invalid Request object",
    send: '{"jsonrpc": "2.0", "method": 1, "params": "bar"}',
    expect: { jsonrpc: "2.0", error: { code: -32600, message: "Invalid Request" }, id: null },
  },
  {
    name: "rpc call Batch, invalid JSON",
    send: '[{"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},' +
      '{"jsonrpc": "2.0", "method"]',
    expect: { jsonrpc: "2.0", error: { code: -32700, message: "Parse error" }, id: null },
  },
  {
    name: "rpc call with an empty Array",
    send: "[]",
    expect: {
      jsonrpc: "2.0",
      error: { code: -32600, message: "Invalid Request", data: "Empty batch" },
      id: null,
    },
  },
  {
    name: "rpc call with an invalid Batch (but not empty)",
    send: "[1]",
    expect: [{ jsonrpc: "2.0", error: { code: -32600, message: "Invalid Request" }, id: null }],
  },
  {
    name: "rpc call with invalid Batch",
    send: "[1,2,3]",
    expect: [1, 2, 3].map(() => ({
      jsonrpc: "2.0",
      error: { code: -32600, message: "Invalid Request" },
      id: null,
    })),
  },
  {
    name: "rpc call Batch",
    send: `[
      {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
      {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
      {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},
      {"foo": "boo"},
      {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
      {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
    ]`,
    expect: [
      { jsonrpc: "2.0", result: 7, id: "1" },
      { jsonrpc: "2.0", result: 19, id: "2" },
      { jsonrpc: "2.0", error: { code: -32600, message: "Invalid Request" }, id: null },
      { jsonrpc: "2.0", error: { code: -32601, message: "Method not found" }, id: "5" },
      { jsonrpc: "2.0", result: ["hello", 5], id: "9" },
    ],
  },
  {
    name: "rpc call Batch (all notifications)",
    send: `[
      {"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},
      {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}
    ]`,
    expect: undefined,
  },
];

/** A request sent after an example that expects no answer: its answer must come next. */
export const PROBE: string = '{"jsonrpc":"2.0","method":"rpc.ping","id":"probe"}';
/** The answer to {@linkcode PROBE}. */
export const PROBE_ANSWER: unknown = { jsonrpc: "2.0", id: "probe", result: "pong" };
