/**
 * The process's logging: {@link io.danmaku.server.logging.LogSettings} (from {@code log.format} and
 * {@code log.level}) and {@link io.danmaku.server.logging.LogSetup}, which configures Logback from them at start,
 * text or JSON lines on standard output with the MDC's trace ids.
 */
package io.danmaku.server.logging;
