/**
 * The subscriber side of each protocol under test (Centrifugo JSON, Bilibili binary with its compressed forms,
 * the peers' raw text frames), reading the measurement {@code Marker} out of payload in place.
 */
package io.danmaku.bench.wire;
