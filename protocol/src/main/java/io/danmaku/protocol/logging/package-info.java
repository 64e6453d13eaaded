/**
 * Logging helpers shared by every module: a WARN for problems that may repeat thousands of times a second,
 * logged at most once per interval with a count of what was suppressed (counters carry the totals).
 */
package io.danmaku.protocol.logging;
