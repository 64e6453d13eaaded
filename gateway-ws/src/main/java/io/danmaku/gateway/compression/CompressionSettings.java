package io.danmaku.gateway.compression;

/**
 * How the gateway uses {@code permessage-deflate}.
 *
 * @param enabled offer-acceptance on: a client offering the extension gets it ({@code gateway.ws.compression.enabled})
 * @param minBytes batch frames with a smaller payload go out plain ({@code gateway.ws.compression.min-bytes})
 * @param level zlib level 1 (fastest) .. 9 (smallest) ({@code gateway.ws.compression.level})
 * @param cpuShare the share of an event loop's time that deflating may take; beyond it batches go out plain
 *        until the budget has refilled ({@code gateway.ws.compression.cpu-share})
 */
public record CompressionSettings(boolean enabled, int minBytes, int level, double cpuShare) {
    public static final boolean DEFAULT_ENABLED = true;
    public static final int DEFAULT_MIN_BYTES = 128;
    public static final int DEFAULT_LEVEL = 1;
    public static final double DEFAULT_CPU_SHARE = 0.25;
    public static final CompressionSettings DEFAULTS = new CompressionSettings(DEFAULT_ENABLED, DEFAULT_MIN_BYTES,
            DEFAULT_LEVEL, DEFAULT_CPU_SHARE);
    public static final CompressionSettings OFF = new CompressionSettings(false, DEFAULT_MIN_BYTES, DEFAULT_LEVEL,
            DEFAULT_CPU_SHARE);

    public CompressionSettings {
        if (minBytes < 0 || minBytes > 1 << 20) {
            throw new IllegalArgumentException("gateway.ws.compression.min-bytes: " + minBytes
                    + " (expected: 0..1048576)");
        }
        if (level < 1 || level > 9) {
            throw new IllegalArgumentException("gateway.ws.compression.level: " + level + " (expected: 1..9)");
        }
        if (!(cpuShare > 0 && cpuShare <= 1)) {
            throw new IllegalArgumentException("gateway.ws.compression.cpu-share: " + cpuShare
                    + " (expected: more than 0 and at most 1)");
        }
    }
}
