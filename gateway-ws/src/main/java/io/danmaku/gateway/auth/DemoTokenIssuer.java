package io.danmaku.gateway.auth;

import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTCreator;
import com.auth0.jwt.algorithms.Algorithm;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;

/**
 * Signs HS256 tokens for anyone who asks: the demo page's way to post without a login. Development only;
 * enabled by {@code demo.tokens} (or when standalone runs without a configured secret).
 */
public final class DemoTokenIssuer {
    public static final Duration TOKEN_LIFETIME = Duration.ofHours(24);
    private static final int MAX_NAME_CODE_POINTS = 32;

    private final Algorithm algorithm;
    private final Clock clock;
    private final String audience;
    private final String issuer;
    private final SecureRandom random = new SecureRandom();

    public DemoTokenIssuer(String hmacSecret, Clock clock) {
        this(hmacSecret, null, null, clock);
    }

    /** @param audience the {@code aud} the gateways require (null for none); {@code issuer} likewise */
    public DemoTokenIssuer(String hmacSecret, String audience, String issuer, Clock clock) {
        this.algorithm = Algorithm.HMAC256(hmacSecret.getBytes(StandardCharsets.UTF_8));
        this.clock = clock;
        this.audience = audience;
        this.issuer = issuer;
    }

    /** A token for a fresh user id with display name {@code name} (trimmed, shortened, defaulted). */
    public Issued issue(String name) {
        byte[] id = new byte[6];
        random.nextBytes(id);
        String userId = "demo-" + HexFormat.of().formatHex(id);
        String display = sanitize(name, userId);
        JWTCreator.Builder jwt = JWT.create()
                .withSubject(userId)
                .withClaim("name", display)
                .withIssuedAt(clock.instant())
                .withExpiresAt(clock.instant().plus(TOKEN_LIFETIME));
        if (audience != null) {
            jwt.withAudience(audience);
        }
        if (issuer != null) {
            jwt.withIssuer(issuer);
        }
        String token = jwt.sign(algorithm);
        return new Issued(token, userId, display);
    }

    private static String sanitize(String name, String fallback) {
        if (name == null) {
            return fallback;
        }
        StringBuilder b = new StringBuilder();
        name.strip().codePoints()
                .filter(cp -> !Character.isISOControl(cp) && Character.isDefined(cp))
                .limit(MAX_NAME_CODE_POINTS)
                .forEach(b::appendCodePoint);
        return b.isEmpty() ? fallback : b.toString();
    }

    public record Issued(String token, String userId, String name) {
    }
}
