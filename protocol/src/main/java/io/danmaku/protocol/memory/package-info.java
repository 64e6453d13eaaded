/**
 * In-process implementations of the seams, the embedded default of standalone mode: no external service,
 * the same contracts as the Kafka and Redis implementations (both pass the same contract tests).
 */
package io.danmaku.protocol.memory;
