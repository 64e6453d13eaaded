package io.danmaku.protocol;

import static java.util.Objects.requireNonNull;

/**
 * Who posted: the stable user id (a token's {@code sub}) and a display name. An anonymous connection has no
 * user at all ({@code null} where a {@code UserRef} is expected), never an empty one.
 */
public record UserRef(String id, String name) {
    public UserRef {
        requireNonNull(id, "id");
        if (id.isEmpty()) {
            throw new IllegalArgumentException("user.id: \"\" (expected: a non-empty user id)");
        }
        if (name == null || name.isEmpty()) {
            name = id;
        }
    }
}
