package io.danmaku.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/** A request the HTTP decoder cannot read is answered 400 and its connection closed, as the answer says. */
class HttpBadRequestTest {
    @Test
    void oversizedHeadersGet400AndTheConnectionIsClosed() throws Exception {
        try (GatewayHarness gw = new GatewayHarness();
             Socket socket = new Socket(InetAddress.getLoopbackAddress(), gw.port())) {
            socket.setSoTimeout(10_000);
            String request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + "a".repeat(9000) + "\r\n\r\n";
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();

            // readAllBytes returns only at end of stream: a connection left open would time out instead
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            in.transferTo(answer);
            String text = answer.toString(StandardCharsets.US_ASCII);

            assertThat(text).startsWith("HTTP/1.1 400 Bad Request");
            assertThat(text.toLowerCase(Locale.ROOT)).contains("connection: close");
        }
    }
}
