/**
 * A real single-node KRaft Kafka broker for tests and for the local full-stack scripts, always in its own JVM.
 * {@link io.danmaku.testkit.kafka.EmbeddedKafkaMain} is the child's main class (also runnable from a shell:
 * {@code java -cp <testkit classpath> io.danmaku.testkit.kafka.EmbeddedKafkaMain serve <port> <controllerPort>
 * <dataDir>}); {@link io.danmaku.testkit.kafka.KafkaBroker} starts, stops, restarts (same ports, same data) and
 * kills that child from a test; {@link io.danmaku.testkit.kafka.KafkaExtension} shares one broker per test JVM
 * and injects it as a {@code KafkaBroker} parameter.
 */
package io.danmaku.testkit.kafka;
