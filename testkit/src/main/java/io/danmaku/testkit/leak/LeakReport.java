package io.danmaku.testkit.leak;

import static java.util.Objects.requireNonNull;

/**
 * One leak reported by Netty: the leaked resource's type (the simple class name, e.g. {@code ByteBuf}) and the
 * access records Netty collected ({@code ""} when it had none, as with an untraced leak).
 */
public record LeakReport(String resourceType, String records) {
    public LeakReport {
        requireNonNull(resourceType, "resourceType");
        requireNonNull(records, "records");
    }

    @Override
    public String toString() {
        return records.isEmpty()
                ? "LEAK of " + resourceType + " (no access records; run with paranoid leak detection to get them)"
                : "LEAK of " + resourceType + ":" + records;
    }
}
