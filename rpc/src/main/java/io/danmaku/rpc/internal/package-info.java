/**
 * Machinery of the gRPC transport that other modules must not use: the mapping between the seam's records and
 * the protobuf messages, the parsing of the logic target, the name resolver for a static list of logic
 * instances, and a throttled WARN for failures that repeat on every call.
 */
package io.danmaku.rpc.internal;
