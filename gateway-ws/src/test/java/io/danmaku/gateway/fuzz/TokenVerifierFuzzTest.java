package io.danmaku.gateway.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.danmaku.gateway.auth.TokenException;
import io.danmaku.gateway.auth.TokenVerifier;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The JWT path: {@link TokenVerifier#verify} on arbitrary strings may only answer an identity or throw
 * {@link TokenException}, never another exception.
 *
 * <p>Input layout: one mode byte, then either (even mode) the token as UTF-8, or (odd mode) a header and a
 * payload separated by a zero byte, which the test encodes and signs with the right HS256 key, so that the
 * claims of a correctly signed token are fuzzed too.
 */
class TokenVerifierFuzzTest {
    private static final TokenVerifier VERIFIER = TokenVerifier.create(FuzzConnection.SECRET, null,
            Clock.systemUTC());

    @FuzzTest
    void verify(byte[] input) throws Exception {
        if (input.length == 0) {
            check("");
            return;
        }
        byte[] rest = Arrays.copyOfRange(input, 1, input.length);
        if ((input[0] & 1) == 0) {
            check(new String(rest, StandardCharsets.UTF_8));
        } else {
            int zero = indexOf(rest, (byte) 0);
            byte[] header = zero < 0 ? rest : Arrays.copyOfRange(rest, 0, zero);
            byte[] payload = zero < 0 ? new byte[0] : Arrays.copyOfRange(rest, zero + 1, rest.length);
            check(signed(header, payload));
        }
    }

    private static void check(String token) {
        try {
            VERIFIER.verify(token);
        } catch (TokenException expected) {
            // the one way to refuse a token
        }
    }

    private static String signed(byte[] header, byte[] payload) throws NoSuchAlgorithmException,
            InvalidKeyException {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String signingInput = b64.encodeToString(header) + "." + b64.encodeToString(payload);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(FuzzConnection.SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return signingInput + "." + b64.encodeToString(mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII)));
    }

    private static int indexOf(byte[] data, byte b) {
        for (int i = 0; i < data.length; i++) {
            if (data[i] == b) {
                return i;
            }
        }
        return -1;
    }
}
