/**
 * The {@code MessageBus} seam on Kafka: {@link io.danmaku.bus.kafka.KafkaMessageBus} publishes batches of room
 * messages with an idempotent, batching producer (a post is acknowledged only once Kafka acknowledged it),
 * feeds every gateway from every partition without a consumer group, and feeds storage as a consumer group that
 * commits only after its writes succeeded. {@link io.danmaku.bus.kafka.KafkaBusConfig} holds its settings,
 * with raw Kafka client properties passed through. Everything else in the package is package-private.
 */
package io.danmaku.bus.kafka;
