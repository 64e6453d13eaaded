package io.danmaku.gateway.auth;

import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTVerifier;
import com.auth0.jwt.algorithms.Algorithm;
import com.auth0.jwt.exceptions.JWTDecodeException;
import com.auth0.jwt.exceptions.JWTVerificationException;
import com.auth0.jwt.exceptions.TokenExpiredException;
import com.auth0.jwt.interfaces.Claim;
import com.auth0.jwt.interfaces.DecodedJWT;
import io.danmaku.protocol.UserRef;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Verifies connection tokens. HS256 with the shared secret and/or RS256 with a PEM public key; the token's
 * {@code alg} header picks the verifier, so both may be enabled at once. Thread-safe.
 *
 * <p>Claims: {@code sub} (user id, required and non-empty), {@code exp} (optional), {@code name} or
 * Centrifugo's {@code info.name} (display name, optional), {@code rooms} (optional array of room ids).
 */
public final class TokenVerifier {
    private final JWTVerifier hs256;
    private final JWTVerifier rs256;

    private TokenVerifier(JWTVerifier hs256, JWTVerifier rs256) {
        this.hs256 = hs256;
        this.rs256 = rs256;
    }

    /**
     * @param hmacSecret HS256 secret, or null to refuse HS256 tokens
     * @param rsaPublicKey RS256 public key, or null to refuse RS256 tokens
     */
    public static TokenVerifier create(String hmacSecret, RSAPublicKey rsaPublicKey, Clock clock) {
        JWTVerifier hs = hmacSecret == null ? null
                : verifier(JWT.require(Algorithm.HMAC256(hmacSecret.getBytes(StandardCharsets.UTF_8))), clock);
        JWTVerifier rs = rsaPublicKey == null ? null
                : verifier(JWT.require(Algorithm.RSA256(rsaPublicKey, null)), clock);
        return new TokenVerifier(hs, rs);
    }

    private static JWTVerifier verifier(com.auth0.jwt.interfaces.Verification v, Clock clock) {
        if (v instanceof com.auth0.jwt.JWTVerifier.BaseVerification base) {
            return base.build(clock);
        }
        return v.build();
    }

    /** Reads an RSA public key from a PEM file ({@code -----BEGIN PUBLIC KEY-----}, X.509 SubjectPublicKeyInfo). */
    public static RSAPublicKey readPublicKey(Path pem) {
        try {
            String text = Files.readString(pem, StandardCharsets.US_ASCII);
            String body = text.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
            byte[] der = Base64.getDecoder().decode(body);
            return (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(der));
        } catch (Exception e) {
            throw new IllegalArgumentException("token.rsa.public-key-file: " + pem
                    + " (expected: a readable PEM RSA public key): " + e.getMessage(), e);
        }
    }

    public boolean enabled() {
        return hs256 != null || rs256 != null;
    }

    /** Verifies {@code token}; throws {@link TokenException} naming what is wrong. */
    public Identity verify(String token) {
        if (token == null || token.isEmpty()) {
            throw new TokenException("token: empty", false);
        }
        DecodedJWT decoded;
        try {
            decoded = JWT.decode(token);
        } catch (JWTDecodeException e) {
            throw new TokenException("token: malformed JWT", false);
        }
        String alg = decoded.getAlgorithm();
        JWTVerifier v = "HS256".equals(alg) ? hs256 : "RS256".equals(alg) ? rs256 : null;
        if (v == null) {
            throw new TokenException("token: algorithm " + alg + " not accepted (expected: "
                    + (hs256 != null ? "HS256" : "") + (hs256 != null && rs256 != null ? " or " : "")
                    + (rs256 != null ? "RS256" : "") + ")", false);
        }
        try {
            decoded = v.verify(decoded);
        } catch (TokenExpiredException e) {
            throw new TokenException("token: expired at " + e.getExpiredOn(), true);
        } catch (JWTVerificationException e) {
            throw new TokenException("token: " + e.getMessage(), false);
        }
        String sub = decoded.getSubject();
        if (sub == null || sub.isEmpty()) {
            throw new TokenException("token: sub claim missing or empty (expected: the user id)", false);
        }
        String name = decoded.getClaim("name").asString();
        if (name == null) {
            Claim info = decoded.getClaim("info");
            if (!info.isMissing() && info.asMap() != null && info.asMap().get("name") instanceof String n) {
                name = n;
            }
        }
        Set<String> rooms = null;
        Claim roomsClaim = decoded.getClaim("rooms");
        if (!roomsClaim.isMissing() && !roomsClaim.isNull()) {
            List<String> list = roomsClaim.asList(String.class);
            if (list == null) {
                throw new TokenException("token: rooms claim (expected: an array of room ids)", false);
            }
            rooms = new HashSet<>(list);
        }
        Instant exp = decoded.getExpiresAtAsInstant();
        return new Identity(new UserRef(sub, name), rooms, exp);
    }
}
