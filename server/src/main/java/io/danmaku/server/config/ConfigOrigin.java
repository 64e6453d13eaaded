package io.danmaku.server.config;

import static java.util.Objects.requireNonNull;

/** A {@link ConfigSource} with the detail an error message needs: the file, the variable, the flag. */
record ConfigOrigin(ConfigSource source, String detail) {
    static final ConfigOrigin DEFAULT = new ConfigOrigin(ConfigSource.DEFAULT, "default");
    static final ConfigOrigin FLAG = new ConfigOrigin(ConfigSource.FLAG, "flag --set");

    ConfigOrigin {
        requireNonNull(source, "source");
        requireNonNull(detail, "detail");
    }

    static ConfigOrigin file(String file) {
        return new ConfigOrigin(ConfigSource.FILE, "file " + file);
    }

    static ConfigOrigin env(String variable) {
        return new ConfigOrigin(ConfigSource.ENV, "env " + variable);
    }

    /** {@code from env DANMAKU_X}, {@code from file /etc/danmaku.yaml}, {@code from flag --set}, {@code from default}. */
    String from() {
        return "from " + detail;
    }
}
