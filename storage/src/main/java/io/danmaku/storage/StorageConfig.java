package io.danmaku.storage;

/**
 * Configuration of the storage tier, validated once at construction.
 *
 * @param group the consumer group the storage instances share on the bus ({@code storage.group}); instances of
 *     one group split the stream between them and resume from the group's committed position
 */
public record StorageConfig(String group) {
    public static final String DEFAULT_GROUP = "danmaku-storage";

    public StorageConfig {
        if (group == null || group.isBlank()) {
            throw new IllegalArgumentException("storage.group: " + (group == null ? "null" : '"' + group + '"')
                    + " (expected: a non-blank consumer group name)");
        }
    }

    /** The defaults: group {@value #DEFAULT_GROUP}. */
    public static StorageConfig defaults() {
        return new StorageConfig(DEFAULT_GROUP);
    }
}
