package io.danmaku.gateway.auth;

import static java.util.Objects.requireNonNull;

import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTVerifier;
import com.auth0.jwt.algorithms.Algorithm;
import com.auth0.jwt.exceptions.JWTDecodeException;
import com.auth0.jwt.exceptions.JWTVerificationException;
import com.auth0.jwt.exceptions.TokenExpiredException;
import com.auth0.jwt.interfaces.Claim;
import com.auth0.jwt.interfaces.DecodedJWT;
import com.auth0.jwt.interfaces.ECDSAKeyProvider;
import com.auth0.jwt.interfaces.RSAKeyProvider;
import com.auth0.jwt.interfaces.Verification;
import io.danmaku.protocol.UserRef;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Verifies connection tokens. HS256, HS384 and HS512 with the shared secret, RS256 with an RSA public key, ES256
 * with an EC (P-256) public key, each enabled by its key in {@link TokenRules} (RS256 and ES256 from a JWKS URL
 * instead, by the token's {@code kid}: {@link JwksKeys}); the token's {@code alg} header
 * picks the verifier, so several may be enabled at once. {@code exp}, {@code nbf} and {@code iat} are checked
 * with the rules' leeway (a client clock a few seconds fast must not lock a user out); {@code aud} and
 * {@code iss} when the rules name them. Thread-safe.
 *
 * <p>Claims: {@code sub} (user id, required and non-empty), {@code exp} (optional), {@code name} or
 * Centrifugo's {@code info.name} (display name, optional), {@code rooms} (optional array of room ids).
 */
public final class TokenVerifier {
    private static final String CHANNEL_CLAIM = "channel";

    private final Map<String, JWTVerifier> byAlgorithm;
    private final Duration leeway;
    private final JwksKeys jwks;

    private TokenVerifier(Map<String, JWTVerifier> byAlgorithm, Duration leeway, JwksKeys jwks) {
        this.byAlgorithm = byAlgorithm;
        this.leeway = leeway;
        this.jwks = jwks;
    }

    /**
     * Only HS256 and RS256 with the given keys, no leeway, no audience or issuer check.
     *
     * @param hmacSecret HMAC secret, or null to refuse HS256/384/512 tokens
     * @param rsaPublicKey RS256 public key, or null to refuse RS256 tokens
     */
    public static TokenVerifier create(String hmacSecret, RSAPublicKey rsaPublicKey, Clock clock) {
        return create(TokenRules.keys(hmacSecret, rsaPublicKey, null), clock);
    }

    public static TokenVerifier create(TokenRules rules, Clock clock) {
        Map<String, JWTVerifier> verifiers = new LinkedHashMap<>();
        if (rules.hmacSecret() != null) {
            byte[] secret = rules.hmacSecret().getBytes(StandardCharsets.UTF_8);
            verifiers.put("HS256", verifier(Algorithm.HMAC256(secret), rules, clock));
            verifiers.put("HS384", verifier(Algorithm.HMAC384(secret), rules, clock));
            verifiers.put("HS512", verifier(Algorithm.HMAC512(secret), rules, clock));
        }
        if (rules.rsaPublicKey() != null) {
            verifiers.put("RS256", verifier(Algorithm.RSA256(rules.rsaPublicKey(), null), rules, clock));
        }
        if (rules.ecPublicKey() != null) {
            verifiers.put("ES256", verifier(Algorithm.ECDSA256(rules.ecPublicKey(), null), rules, clock));
        }
        JwksKeys jwks = rules.jwks();
        if (jwks != null) {
            verifiers.put("RS256", verifier(Algorithm.RSA256(new RSAKeyProvider() {
                @Override
                public RSAPublicKey getPublicKeyById(String kid) {
                    return jwks.rsa(kid);
                }

                @Override
                public RSAPrivateKey getPrivateKey() {
                    return null;
                }

                @Override
                public String getPrivateKeyId() {
                    return null;
                }
            }), rules, clock));
            verifiers.put("ES256", verifier(Algorithm.ECDSA256(new ECDSAKeyProvider() {
                @Override
                public ECPublicKey getPublicKeyById(String kid) {
                    return jwks.ec(kid);
                }

                @Override
                public ECPrivateKey getPrivateKey() {
                    return null;
                }

                @Override
                public String getPrivateKeyId() {
                    return null;
                }
            }), rules, clock));
        }
        return new TokenVerifier(Map.copyOf(verifiers), rules.leeway(), jwks);
    }

    private static JWTVerifier verifier(Algorithm algorithm, TokenRules rules, Clock clock) {
        Verification v = JWT.require(algorithm).acceptLeeway(rules.leeway().toSeconds());
        if (rules.audience() != null) {
            v = v.withAnyOfAudience(rules.audience());
        }
        if (rules.issuer() != null) {
            v = v.withIssuer(rules.issuer());
        }
        if (v instanceof JWTVerifier.BaseVerification base) {
            return base.build(clock);
        }
        return v.build();
    }

    /** Reads an RSA public key from a PEM file ({@code -----BEGIN PUBLIC KEY-----}, X.509 SubjectPublicKeyInfo). */
    public static RSAPublicKey readPublicKey(Path pem) {
        return (RSAPublicKey) readPublicKey(pem, "RSA", "token.rsa.public-key-file");
    }

    /** Reads an EC public key from a PEM file ({@code -----BEGIN PUBLIC KEY-----}, X.509 SubjectPublicKeyInfo). */
    public static ECPublicKey readEcPublicKey(Path pem) {
        return (ECPublicKey) readPublicKey(pem, "EC", "token.ec.public-key-file");
    }

    private static PublicKey readPublicKey(Path pem, String algorithm, String key) {
        try {
            String text = Files.readString(pem, StandardCharsets.US_ASCII);
            String body = text.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
            byte[] der = Base64.getDecoder().decode(body);
            return KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(der));
        } catch (Exception e) {
            throw new IllegalArgumentException(key + ": " + pem + " (expected: a readable PEM " + algorithm
                    + " public key): " + e.getMessage(), e);
        }
    }

    /** The clock skew accepted on the time claims. */
    public Duration leeway() {
        return leeway;
    }

    public boolean enabled() {
        return !byAlgorithm.isEmpty();
    }

    /** The accepted {@code alg} values. */
    public Set<String> algorithms() {
        return byAlgorithm.keySet();
    }

    /**
     * Verifies a connection {@code token}; throws {@link TokenException} naming what is wrong. A subscription
     * token (one with a {@code channel} claim) is refused here: it grants one room, not a connection.
     */
    public Identity verify(String token) {
        DecodedJWT decoded = verified(token);
        if (!decoded.getClaim(CHANNEL_CLAIM).isMissing()) {
            throw new TokenException("token: a subscription token (channel claim) is not a connection token",
                    false);
        }
        String sub = decoded.getSubject();
        if (sub == null || sub.isEmpty()) {
            throw new TokenException("token: sub claim missing or empty (expected: the user id)", false);
        }
        String name = decoded.getClaim("name").asString();
        if (name == null) {
            Claim info = decoded.getClaim("info");
            Map<String, Object> infoMap = info.isMissing() ? null : claimAs(() -> info.asMap(), "info");
            if (infoMap != null && infoMap.get("name") instanceof String n) {
                name = n;
            }
        }
        Set<String> rooms = null;
        Claim roomsClaim = decoded.getClaim("rooms");
        if (!roomsClaim.isMissing() && !roomsClaim.isNull()) {
            List<String> list = claimAs(() -> roomsClaim.asList(String.class), "rooms");
            // a null element ([..., null]) would otherwise surface as a NullPointerException building the set
            if (list == null || list.contains(null)) {
                throw new TokenException("token: rooms claim (expected: an array of room ids)", false);
            }
            rooms = new HashSet<>(list);
        }
        Instant exp = decoded.getExpiresAtAsInstant();
        return new Identity(new UserRef(sub, name), rooms, exp);
    }

    /**
     * Verifies a subscription token (Centrifugo's per-channel token, sent in the subscribe command's
     * {@code token}) with the keys, algorithms, leeway, audience and issuer of connection tokens: its {@code sub}
     * must be {@code user}, its {@code channel} must be {@code room} and it must carry {@code exp}. Throws
     * {@link TokenException} naming what is wrong ({@code expired()} when only the time has passed); returns its
     * {@code exp}.
     */
    public Instant verifySubscription(String token, String user, String room) {
        requireNonNull(user, "user");
        requireNonNull(room, "room");
        DecodedJWT decoded = verified(token);
        String channel = decoded.getClaim(CHANNEL_CLAIM).asString();
        if (channel == null) {
            throw new TokenException("token: channel claim missing (expected: the room, " + room + ")", false);
        }
        if (!channel.equals(room)) {
            throw new TokenException("token: channel claim " + channel + " (expected: " + room + ")", false);
        }
        if (!user.equals(decoded.getSubject())) {
            throw new TokenException("token: sub claim is not the connection's user", false);
        }
        if (decoded.getExpiresAtAsInstant() == null) {
            throw new TokenException("token: exp claim missing (expected: a subscription token expires)", false);
        }
        return decoded.getExpiresAtAsInstant();
    }

    /** Decodes {@code token} and checks its signature and claims with the verifier its {@code alg} names. */
    private DecodedJWT verified(String token) {
        if (token == null || token.isEmpty()) {
            throw new TokenException("token: empty", false);
        }
        DecodedJWT decoded;
        String alg;
        try {
            decoded = JWT.decode(token);
            alg = decoded.getAlgorithm();
        } catch (JWTDecodeException | NullPointerException e) {
            // java-jwt decodes a header or payload that is JSON null (not an object) to null and then fails
            // with a NullPointerException when it reads a claim from it
            throw new TokenException("token: malformed JWT", false);
        }
        JWTVerifier v = alg == null ? null : byAlgorithm.get(alg);
        if (v == null) {
            throw new TokenException("token: algorithm " + alg + " not accepted (expected: one of "
                    + new TreeSet<>(byAlgorithm.keySet()) + ")", false);
        }
        if (jwks != null && (alg.equals("RS256") || alg.equals("ES256"))) {
            String kid = decoded.getKeyId();
            if (kid == null) {
                throw new TokenException("token: kid header missing (expected: a key id of token.jwks-url)", false);
            }
            boolean rsa = alg.equals("RS256");
            if ((rsa ? jwks.rsa(kid) : jwks.ec(kid)) == null) {
                if (jwks.kids().contains(kid)) {
                    throw new TokenException("token: key id " + kid + " is not " + (rsa ? "an RSA" : "an EC P-256")
                            + " key (expected for " + alg + ")", false);
                }
                throw TokenException.unknownKey("token: key id " + kid + " not in the key set for " + alg
                        + " (fetched again if it was not just fetched; retry)");
            }
        }
        try {
            return v.verify(decoded);
        } catch (TokenExpiredException e) {
            throw new TokenException("token: expired at " + e.getExpiredOn(), true);
        } catch (JWTVerificationException e) {
            throw new TokenException("token: " + e.getMessage(), false);
        } catch (NullPointerException e) {
            throw new TokenException("token: malformed JWT (header and payload must be JSON objects)", false);
        }
    }

    /** A claim read as a list or map; a claim of another shape (e.g. {@code "rooms":[{}]}) is a TokenException. */
    private static <T> T claimAs(java.util.function.Supplier<T> read, String claim) {
        try {
            return read.get();
        } catch (JWTDecodeException e) {
            throw new TokenException("token: " + claim + " claim malformed (" + e.getMessage() + ")", false);
        }
    }
}
