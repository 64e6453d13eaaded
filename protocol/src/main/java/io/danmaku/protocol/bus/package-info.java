/**
 * The {@code MessageBus} seam: logic publishes batches of stamped room messages durably; every gateway reads
 * the ordered stream of every room for fan-out; storage reads it as a consumer group, at least once. Kafka in
 * distributed mode, {@link io.danmaku.protocol.memory.MemoryMessageBus} in standalone.
 */
package io.danmaku.protocol.bus;
