/**
 * Measurement: per-subscriber tallies (exact loss, duplicates and per-lane order from a bit per message
 * sequence), contention-free latency histograms (HdrHistogram, one recorder per event loop), and server CPU
 * and memory read from {@code /proc}.
 */
package io.danmaku.bench.measure;
