package io.danmaku.testkit.ws;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.danmaku.protocol.json.Json;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Collection;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Mints HS256 connection tokens for tests (independently of the server's JWT library). */
public final class TestTokens {
    private TestTokens() {
    }

    /**
     * @param exp expiry, or null for none
     * @param rooms allowed rooms claim, or null for none
     */
    public static String hs256(String secret, String sub, String name, Instant exp, Collection<String> rooms) {
        ObjectNode header = Json.MAPPER.createObjectNode().put("alg", "HS256").put("typ", "JWT");
        ObjectNode claims = Json.MAPPER.createObjectNode();
        if (sub != null) {
            claims.put("sub", sub);
        }
        if (name != null) {
            claims.put("name", name);
        }
        if (exp != null) {
            claims.put("exp", exp.getEpochSecond());
        }
        if (rooms != null) {
            rooms.forEach(claims.putArray("rooms")::add);
        }
        String signingInput = b64(header.toString().getBytes(StandardCharsets.UTF_8)) + "."
                + b64(claims.toString().getBytes(StandardCharsets.UTF_8));
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return signingInput + "." + b64(mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static String hs256(String secret, String sub, String name) {
        return hs256(secret, sub, name, Instant.now().plusSeconds(3600), null);
    }

    private static String b64(byte[] b) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
