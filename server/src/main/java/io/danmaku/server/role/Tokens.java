package io.danmaku.server.role;

import io.danmaku.gateway.auth.DemoTokenIssuer;
import io.danmaku.gateway.auth.JwksKeys;
import io.danmaku.gateway.auth.TokenRules;
import io.danmaku.gateway.auth.TokenVerifier;
import io.danmaku.server.config.Config;
import io.danmaku.server.config.ConfigException;
import io.danmaku.server.config.DanmakuKeys;
import io.danmaku.server.config.Password;
import java.net.URI;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connection token settings for a role that runs a gateway: the verifier, and the demo token issuer when
 * enabled. {@code developmentMode}: with no secret and no public key, generate a random secret and serve demo
 * tokens (standalone's first run); a distributed gateway instead refuses every token (anonymous only), since
 * a per-process random secret would not verify on the other gateways.
 */
record Tokens(TokenVerifier verifier, DemoTokenIssuer demoIssuer, JwksKeys jwks) implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Tokens.class);

    static Tokens from(Config config, boolean developmentMode, Clock clock) {
        String secret = config.getPassword(DanmakuKeys.TOKEN_HMAC_SECRET).map(Password::value).orElse(null);
        RSAPublicKey rsa = config.getPath(DanmakuKeys.TOKEN_RSA_PUBLIC_KEY_FILE)
                .map(p -> TierConfigs.build(() -> TokenVerifier.readPublicKey(p))).orElse(null);
        ECPublicKey ec = config.getPath(DanmakuKeys.TOKEN_EC_PUBLIC_KEY_FILE)
                .map(p -> TierConfigs.build(() -> TokenVerifier.readEcPublicKey(p))).orElse(null);
        URI jwksUrl = config.getString(DanmakuKeys.TOKEN_JWKS_URL).map(URI::create).orElse(null);
        String audience = config.getString(DanmakuKeys.TOKEN_AUDIENCE).orElse(null);
        String issuer = config.getString(DanmakuKeys.TOKEN_ISSUER).orElse(null);
        boolean demo = config.getBoolean(DanmakuKeys.DEMO_TOKENS);
        if (secret == null && rsa == null && ec == null && jwksUrl == null) {
            if (developmentMode) {
                byte[] random = new byte[32];
                new SecureRandom().nextBytes(random);
                secret = HexFormat.of().formatHex(random);
                demo = true;
                log.warn("No token.hmac.secret, token.rsa.public-key-file, token.ec.public-key-file or token.jwks-url configured: using a random HS256 secret "
                        + "for this process and serving demo tokens at /demo/token to anyone (development mode). "
                        + "Set DANMAKU_TOKEN_HMAC_SECRET for real use.");
            } else {
                log.warn("No token.hmac.secret, token.rsa.public-key-file, token.ec.public-key-file or token.jwks-url configured: every token is refused; "
                        + "only anonymous read-only connections are possible.");
            }
        }
        if (demo && secret == null) {
            throw new ConfigException("demo.tokens: true (expected: false unless token.hmac.secret is set; demo "
                    + "tokens are signed with HS256)");
        }
        if (demo && !developmentMode) {
            log.warn("demo.tokens is on: /demo/token signs a token for anyone. Development only.");
        }
        if (jwksUrl != null && (rsa != null || ec != null)) {
            throw new ConfigException("token.jwks-url: " + jwksUrl + " (expected: unset while "
                    + "token.rsa.public-key-file or token.ec.public-key-file is set; the key set serves RS256 "
                    + "and ES256)");
        }
        String hmac = secret;
        JwksKeys jwks = jwksUrl == null ? null : TierConfigs.build(() -> new JwksKeys(jwksUrl,
                config.getDuration(DanmakuKeys.TOKEN_JWKS_REFRESH_INTERVAL),
                config.getDuration(DanmakuKeys.TOKEN_JWKS_MIN_REFETCH_INTERVAL))).start();
        TokenRules rules = TierConfigs.build(() -> new TokenRules(hmac, rsa, ec,
                config.getDuration(DanmakuKeys.TOKEN_LEEWAY), audience, issuer, jwks));
        return new Tokens(TokenVerifier.create(rules, clock),
                demo ? new DemoTokenIssuer(secret, audience, issuer, clock) : null, jwks);
    }

    /** Stops the key set's refreshes, if there is one. */
    @Override
    public void close() {
        if (jwks != null) {
            jwks.close();
        }
    }
}
