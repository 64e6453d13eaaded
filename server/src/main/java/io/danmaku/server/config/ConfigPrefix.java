package io.danmaku.server.config;

import static java.util.Objects.requireNonNull;

/**
 * A pass-through prefix: every key under it, e.g. {@code logic.kafka.producer.linger.ms} under
 * {@code logic.kafka.producer.}, is collected unvalidated into a {@code Map<String,String>} (name after the prefix →
 * value), for client libraries whose own settings are not re-modelled. Set in the YAML file or with {@code --set};
 * there is no environment form.
 *
 * @param prefix a key name followed by a dot, e.g. {@code logic.kafka.producer.}
 */
public record ConfigPrefix(String prefix, String doc) {
    public ConfigPrefix {
        requireNonNull(prefix, "prefix");
        if (!prefix.endsWith(".")) {
            throw new IllegalArgumentException("prefix: \"" + prefix + "\" (expected: ending with a dot)");
        }
        ConfigKey.requireName(prefix.substring(0, prefix.length() - 1), "prefix");
        requireNonNull(doc, "doc");
    }

    /** Whether {@code key} lies under this prefix (and is not the bare prefix). */
    public boolean covers(String key) {
        return key.length() > prefix.length() && key.startsWith(prefix);
    }
}
