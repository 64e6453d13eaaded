package io.danmaku.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTCreator;
import com.auth0.jwt.algorithms.Algorithm;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the verifier accepts and refuses, on a fixed clock. */
class TokenVerifierTest {
    static final String SECRET = "verifier-secret-verifier-secret-verifier";
    static final Instant NOW = Instant.parse("2025-06-01T12:00:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    static final Algorithm HS256 = Algorithm.HMAC256(SECRET.getBytes(StandardCharsets.UTF_8));

    static TokenRules rules() {
        return TokenRules.keys(SECRET, null, null).withLeeway(TokenRules.DEFAULT_LEEWAY);
    }

    static JWTCreator.Builder token() {
        return JWT.create().withSubject("u1");
    }

    @Test
    void anIatAFewSecondsAheadIsAcceptedWithinTheLeewayAndRefusedWithout() {
        String ahead = token().withIssuedAt(NOW.plusSeconds(2)).withExpiresAt(NOW.plusSeconds(3600)).sign(HS256);

        assertThat(TokenVerifier.create(rules(), CLOCK).verify(ahead).user().id()).isEqualTo("u1");
        assertThatThrownBy(() -> TokenVerifier.create(rules().withLeeway(Duration.ZERO), CLOCK).verify(ahead))
                .isInstanceOf(TokenException.class);
    }

    @Test
    void expiryAndNotBeforeAreCheckedWithTheLeeway() {
        TokenVerifier verifier = TokenVerifier.create(rules(), CLOCK);
        assertThat(verifier.verify(token().withExpiresAt(NOW.minusSeconds(10)).sign(HS256))).isNotNull();
        assertThat(verifier.verify(token().withNotBefore(NOW.plusSeconds(10)).sign(HS256))).isNotNull();

        assertThatThrownBy(() -> verifier.verify(token().withExpiresAt(NOW.minusSeconds(60)).sign(HS256)))
                .isInstanceOfSatisfying(TokenException.class, e -> assertThat(e.expired()).isTrue());
        assertThatThrownBy(() -> verifier.verify(token().withNotBefore(NOW.plusSeconds(60)).sign(HS256)))
                .isInstanceOfSatisfying(TokenException.class, e -> assertThat(e.expired()).isFalse());
    }

    @Test
    void aRoomsClaimWithANullElementIsRefusedAsMalformed() {
        TokenVerifier verifier = TokenVerifier.create(rules(), CLOCK);
        String token = token().withClaim("rooms", Arrays.asList("a", null)).sign(HS256);

        assertThatThrownBy(() -> verifier.verify(token))
                .isInstanceOf(TokenException.class).hasMessageContaining("rooms claim");
    }

    @Test
    void aRoomsClaimOfObjectsIsRefused() {
        TokenVerifier verifier = TokenVerifier.create(rules(), CLOCK);

        assertThatThrownBy(() -> verifier.verify(token().withClaim("rooms", List.of(Map.of())).sign(HS256)))
                .isInstanceOf(TokenException.class).hasMessageContaining("rooms claim");
    }

    @Test
    void aHeaderOrPayloadThatIsJsonNullIsRefusedAsMalformed() throws Exception {
        TokenVerifier verifier = TokenVerifier.create(rules(), CLOCK);
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String nullHeader = b64.encodeToString("null".getBytes(StandardCharsets.UTF_8)) + ".e30.c2ln";
        String signingInput = b64.encodeToString("{\"alg\":\"HS256\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString("null".getBytes(StandardCharsets.UTF_8));
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String nullPayload = signingInput + "." + b64.encodeToString(mac.doFinal(
                signingInput.getBytes(StandardCharsets.US_ASCII)));

        assertThatThrownBy(() -> verifier.verify(nullHeader))
                .isInstanceOf(TokenException.class).hasMessageContaining("malformed");
        assertThatThrownBy(() -> verifier.verify(nullPayload))
                .isInstanceOf(TokenException.class).hasMessageContaining("malformed");
    }

    @Test
    void aConfiguredAudienceMustBeInTheToken() {
        TokenVerifier verifier = TokenVerifier.create(rules().withAudience("danmaku"), CLOCK);

        assertThat(verifier.verify(token().withAudience("danmaku").sign(HS256))).isNotNull();
        assertThat(verifier.verify(token().withAudience("other", "danmaku").sign(HS256))).isNotNull();
        assertThatThrownBy(() -> verifier.verify(token().withAudience("other").sign(HS256)))
                .isInstanceOf(TokenException.class).hasMessageContaining("aud");
        assertThatThrownBy(() -> verifier.verify(token().sign(HS256)))
                .as("no aud at all").isInstanceOf(TokenException.class);
    }

    @Test
    void aConfiguredIssuerMustBeTheTokens() {
        TokenVerifier verifier = TokenVerifier.create(rules().withIssuer("https://auth.example.com"), CLOCK);

        assertThat(verifier.verify(token().withIssuer("https://auth.example.com").sign(HS256))).isNotNull();
        assertThatThrownBy(() -> verifier.verify(token().withIssuer("https://evil.example").sign(HS256)))
                .isInstanceOf(TokenException.class).hasMessageContaining("iss");
    }

    @Test
    void withoutAudienceOrIssuerConfiguredTheirClaimsAreNotChecked() {
        assertThat(TokenVerifier.create(rules(), CLOCK)
                .verify(token().withAudience("other").withIssuer("anyone").sign(HS256))).isNotNull();
    }

    @Test
    void hs384AndHs512AreVerifiedWithTheSameSecret() {
        TokenVerifier verifier = TokenVerifier.create(rules(), CLOCK);
        byte[] secret = SECRET.getBytes(StandardCharsets.UTF_8);

        assertThat(verifier.verify(token().sign(Algorithm.HMAC384(secret))).user().id()).isEqualTo("u1");
        assertThat(verifier.verify(token().sign(Algorithm.HMAC512(secret))).user().id()).isEqualTo("u1");
        assertThatThrownBy(() -> verifier.verify(token().sign(Algorithm.HMAC512(
                "another-secret-another-secret-another-sec".getBytes(StandardCharsets.UTF_8)))))
                .isInstanceOf(TokenException.class);
    }

    @Test
    void es256WithAGeneratedKeyPairIsAcceptedAndAnotherKeysSignatureRefused(@TempDir Path dir) throws Exception {
        KeyPair pair = p256();
        Path pem = dir.resolve("ec.pem");
        Files.writeString(pem, "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(pair.getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n");
        ECPublicKey publicKey = TokenVerifier.readEcPublicKey(pem);
        TokenVerifier verifier = TokenVerifier.create(TokenRules.keys(null, null, publicKey), CLOCK);

        String good = token().withClaim("name", "Eve").sign(Algorithm.ECDSA256(null, (ECPrivateKey) pair.getPrivate()));
        assertThat(verifier.verify(good).user().name()).isEqualTo("Eve");

        String forged = token().sign(Algorithm.ECDSA256(null, (ECPrivateKey) p256().getPrivate()));
        assertThatThrownBy(() -> verifier.verify(forged)).isInstanceOf(TokenException.class);
        assertThatThrownBy(() -> verifier.verify(token().sign(HS256)))
                .as("HS256 while only an EC key is configured")
                .isInstanceOf(TokenException.class).hasMessageContaining("ES256");
    }

    @Test
    void es256IsRefusedWithoutAnEcKey() throws Exception {
        String es = token().sign(Algorithm.ECDSA256(null, (ECPrivateKey) p256().getPrivate()));
        assertThatThrownBy(() -> TokenVerifier.create(rules(), CLOCK).verify(es))
                .isInstanceOf(TokenException.class).hasMessageContaining("not accepted");
    }

    @Test
    void unsignedTokensAreRefused() {
        String none = token().sign(Algorithm.none());
        assertThatThrownBy(() -> TokenVerifier.create(rules(), CLOCK).verify(none))
                .isInstanceOf(TokenException.class).hasMessageContaining("not accepted");
    }

    @Test
    void rulesRefuseAnOutOfRangeLeeway() {
        assertThatThrownBy(() -> rules().withLeeway(Duration.ofHours(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("token.leeway:");
    }

    static KeyPair p256() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    @Test
    void aSubscriptionTokenMustNameTheUserTheRoomAndAnExpiry() {
        TokenVerifier verifier = TokenVerifier.create(rules().withAudience("danmaku"), CLOCK);
        JWTCreator.Builder grant = token().withAudience("danmaku").withClaim("channel", "private.a")
                .withExpiresAt(NOW.plusSeconds(600));

        verifier.verifySubscription(grant.sign(HS256), "u1", "private.a");
        assertThatThrownBy(() -> verifier.verifySubscription(grant.sign(HS256), "u2", "private.a"))
                .as("another user's grant").isInstanceOf(TokenException.class).hasMessageContaining("sub");
        assertThatThrownBy(() -> verifier.verifySubscription(grant.sign(HS256), "u1", "private.b"))
                .as("another room's grant").isInstanceOf(TokenException.class)
                .hasMessageContaining("channel claim private.a (expected: private.b)");
        assertThatThrownBy(() -> verifier.verifySubscription(token().withAudience("danmaku")
                .withExpiresAt(NOW.plusSeconds(600)).sign(HS256), "u1", "private.a"))
                .as("a connection token").isInstanceOf(TokenException.class).hasMessageContaining("channel");
        assertThatThrownBy(() -> verifier.verifySubscription(token().withAudience("danmaku")
                .withClaim("channel", "private.a").sign(HS256), "u1", "private.a"))
                .as("no exp").isInstanceOf(TokenException.class).hasMessageContaining("exp");
        assertThatThrownBy(() -> verifier.verifySubscription(token().withClaim("channel", "private.a")
                .withExpiresAt(NOW.plusSeconds(600)).sign(HS256), "u1", "private.a"))
                .as("the connection tokens' audience applies").isInstanceOf(TokenException.class);
        assertThatThrownBy(() -> verifier.verifySubscription(grant.sign(Algorithm.HMAC256(
                "another-secret-another-secret-another-secret")), "u1", "private.a"))
                .as("a wrong key").isInstanceOf(TokenException.class);
    }

    @Test
    void aSubscriptionTokenPastItsExpiryAndTheLeewayIsExpired() {
        TokenVerifier verifier = TokenVerifier.create(rules(), CLOCK);
        JWTCreator.Builder grant = token().withClaim("channel", "private.a");

        verifier.verifySubscription(grant.withExpiresAt(NOW.minusSeconds(10)).sign(HS256), "u1", "private.a");
        assertThatThrownBy(() -> verifier.verifySubscription(grant.withExpiresAt(NOW.minusSeconds(60)).sign(HS256),
                "u1", "private.a")).isInstanceOfSatisfying(TokenException.class, e -> assertThat(e.expired()).isTrue());
    }

    @Test
    void aSubscriptionTokenIsNotAConnectionToken() {
        TokenVerifier verifier = TokenVerifier.create(rules(), CLOCK);

        assertThatThrownBy(() -> verifier.verify(token().withClaim("channel", "private.a")
                .withExpiresAt(NOW.plusSeconds(600)).sign(HS256)))
                .isInstanceOf(TokenException.class).hasMessageContaining("subscription token");
    }
}
