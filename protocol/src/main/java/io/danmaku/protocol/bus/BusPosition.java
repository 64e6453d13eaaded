package io.danmaku.protocol.bus;

/** Where an accepted message landed in its room's stream. */
public record BusPosition(String room, long offset, String epoch) {
}
