package io.danmaku.gateway.auth;

import static java.util.Objects.requireNonNull;

import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;

/**
 * What a connection token must satisfy: the keys it may be signed with (each enables its algorithms), the clock
 * skew tolerated on {@code exp}, {@code nbf} and {@code iat}, and the audience and issuer it must name when
 * they are set.
 *
 * @param hmacSecret HS256, HS384 and HS512 secret, or null to refuse those algorithms
 * @param rsaPublicKey RS256 key, or null to refuse RS256
 * @param ecPublicKey ES256 key (curve P-256), or null to refuse ES256
 * @param leeway clock skew accepted on the time claims, whole seconds, 0..10 min
 * @param audience a value the token's {@code aud} must contain, or null for no check
 * @param issuer the token's required {@code iss}, or null for no check
 * @param jwks RS256 and ES256 keys by {@code kid} from a JWKS URL, or null; exclusive with the two key files
 */
public record TokenRules(String hmacSecret, RSAPublicKey rsaPublicKey, ECPublicKey ecPublicKey, Duration leeway,
                         String audience, String issuer, JwksKeys jwks) {
    public static final Duration DEFAULT_LEEWAY = Duration.ofSeconds(30);
    public static final Duration MAX_LEEWAY = Duration.ofMinutes(10);

    public TokenRules {
        requireNonNull(leeway, "leeway");
        if (leeway.isNegative() || leeway.compareTo(MAX_LEEWAY) > 0) {
            throw new IllegalArgumentException("token.leeway: " + leeway + " (expected: 0s.." + MAX_LEEWAY + ")");
        }
        if (audience != null && audience.isEmpty()) {
            throw new IllegalArgumentException("token.audience: \"\" (expected: not empty, or unset)");
        }
        if (issuer != null && issuer.isEmpty()) {
            throw new IllegalArgumentException("token.issuer: \"\" (expected: not empty, or unset)");
        }
        if (jwks != null && (rsaPublicKey != null || ecPublicKey != null)) {
            throw new IllegalArgumentException("token.jwks-url: " + jwks + " (expected: unset while "
                    + "token.rsa.public-key-file or token.ec.public-key-file is set; the key set serves RS256 "
                    + "and ES256)");
        }
    }

    /** Only the given keys, no leeway, no audience or issuer check. */
    public static TokenRules keys(String hmacSecret, RSAPublicKey rsaPublicKey, ECPublicKey ecPublicKey) {
        return new TokenRules(hmacSecret, rsaPublicKey, ecPublicKey, Duration.ZERO, null, null, null);
    }

    public TokenRules withLeeway(Duration value) {
        return new TokenRules(hmacSecret, rsaPublicKey, ecPublicKey, value, audience, issuer, jwks);
    }

    public TokenRules withAudience(String value) {
        return new TokenRules(hmacSecret, rsaPublicKey, ecPublicKey, leeway, value, issuer, jwks);
    }

    public TokenRules withIssuer(String value) {
        return new TokenRules(hmacSecret, rsaPublicKey, ecPublicKey, leeway, audience, value, jwks);
    }

    public TokenRules withJwks(JwksKeys value) {
        return new TokenRules(hmacSecret, rsaPublicKey, ecPublicKey, leeway, audience, issuer, value);
    }
}
