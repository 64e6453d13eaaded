/**
 * The JSON mapping of the shared values: one configured {@code ObjectMapper} and the codec of
 * {@link io.danmaku.protocol.RoomMessage}, the compact JSON that operators read in Kafka and Redis consoles.
 */
package io.danmaku.protocol.json;
