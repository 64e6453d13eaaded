package io.danmaku.server.config;

import java.util.Locale;

/** Where a configuration value came from; later sources override earlier ones. */
public enum ConfigSource {
    /** The key's default in its definition. */
    DEFAULT,
    /** The YAML file named by {@code --config} or {@code DANMAKU_CONFIG}. */
    FILE,
    /** A {@code DANMAKU_*} environment variable. */
    ENV,
    /** A {@code --set key=value} command-line flag. */
    FLAG;

    /** The lowercase name shown by {@link Config#describe()}: {@code default}, {@code file}, {@code env}, {@code flag}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
