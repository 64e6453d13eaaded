/**
 * Per-post trace ids: {@link io.danmaku.protocol.trace.TraceId} (made at the gateway or taken from a W3C
 * {@code traceparent} on the server API, carried over gRPC, in the Kafka header {@code trace_id} and in the memory
 * bus to storage) and {@link io.danmaku.protocol.trace.TraceMdc}, which puts it into the MDC of the log lines about
 * that post.
 */
package io.danmaku.protocol.trace;
