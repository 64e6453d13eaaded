package io.danmaku.gateway.backend;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.gateway.auth.Identity;
import io.danmaku.protocol.UserRef;
import io.danmaku.protocol.json.Json;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The credentials a connect proxy's {@code {"result":{…}}} gives.
 *
 * @param user the user id; {@code ""} = anonymous
 * @param expireAt when the connection expires, Unix seconds; 0 = never
 * @param infoJson the connection's info ({@code info}, raw JSON), shown in presence and join/leave; null = none
 * @param dataJson data for the client in the connect reply ({@code data}, raw JSON); null = none
 * @param channels rooms the connection is subscribed to from the server side, in the answer's order
 */
public record ConnectResult(String user, long expireAt, String infoJson, String dataJson, List<String> channels) {
    public ConnectResult {
        channels = List.copyOf(channels);
    }

    /**
     * Who the connection is: the user (display name from {@code info.name} when it is a string), any room (the
     * proxy's {@code channels} are subscriptions, not a restriction), the expiry, the info.
     */
    public Identity identity() {
        Instant expires = expireAt == 0 ? null : Instant.ofEpochSecond(expireAt);
        if (user.isEmpty()) {
            return new Identity(null, null, expires, infoJson);
        }
        String name = null;
        if (infoJson != null) {
            try {
                JsonNode n = Json.MAPPER.readTree(infoJson).path("name");
                name = n.isTextual() ? n.asText() : null;
            } catch (IOException e) {
                throw new IllegalStateException("info was read as JSON already", e);
            }
        }
        return new Identity(new UserRef(user, name), null, expires, infoJson);
    }

    /** Whether {@code expire_at}, with the tokens' leeway, has passed at {@code now}: as a token's {@code exp}. */
    public boolean expired(Instant now, Duration leeway) {
        return expireAt != 0 && !Instant.ofEpochSecond(expireAt).plus(leeway).isAfter(now);
    }
}
