/**
 * Fuzz tests (Jazzer {@code @FuzzTest}) of what the gateway reads from the network: Bilibili packets, Centrifugo
 * JSON commands and connection tokens here, WebSocket frames after the upgrade in {@code pipeline} (it needs the
 * package's initializer), all on {@link io.danmaku.gateway.fuzz.FuzzConnection}. In the normal build each replays
 * the checked-in inputs under {@code src/test/resources/<package>/<Test>Inputs/<method>/} (real frames
 * and every input that once failed); the {@code fuzz} Maven profile fuzzes one of them for a set time. A case
 * fails on an exception that escapes the pipeline, an unexpected-error close, or a buffer left unreleased.
 */
package io.danmaku.gateway.fuzz;
