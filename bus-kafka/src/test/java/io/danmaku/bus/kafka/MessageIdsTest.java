package io.danmaku.bus.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MessageIdsTest {
    @Test
    void findsTheTopLevelIdWhereverItIs() {
        assertThat(find("{\"id\":\"m-1\",\"room\":\"r\"}")).isEqualTo("m-1");
        assertThat(find("{\"room\":\"r\",\"user\":{\"id\":\"u-9\",\"name\":\"n\"},\"tags\":[{\"id\":1}],"
                + "\"id\":\"m-2\"}")).isEqualTo("m-2");
    }

    @Test
    void givesNothingForPayloadsWithoutAStringId() {
        assertThat(find("plain text")).isNull();
        assertThat(find("")).isNull();
        assertThat(find("{\"user\":{\"id\":\"u-9\"}}")).isNull();
        assertThat(find("{\"id\":42}")).isNull();
        assertThat(find("{\"id\":")).isNull();
    }

    @Test
    void readsTheLeadingIdOfStampedMessagesLikeTheParserDoes() {
        assertThat(find("{\"id\":\"01JD5Z7Q3K8M2N4P6R8T0V2X4Y\",\"room\":\"r\",\"time\":1}"))
                .isEqualTo("01JD5Z7Q3K8M2N4P6R8T0V2X4Y");
        assertThat(find("{\"id\":\"\",\"room\":\"r\"}")).isEmpty();
        // escapes and non-ASCII ids are decoded as JSON strings
        assertThat(find("{\"id\":\"a\\\"b\\u0041\",\"room\":\"r\"}")).isEqualTo("a\"bA");
        assertThat(find("{\"id\":\"弹幕-1\",\"room\":\"r\"}")).isEqualTo("弹幕-1");
        // not JSON after all: no header
        assertThat(find("{\"id\":\"unterminated")).isNull();
        assertThat(find("{\"id\":\"tab\there\"}")).isNull();
    }

    private static String find(String payload) {
        return MessageIds.find(payload.getBytes(StandardCharsets.UTF_8));
    }
}
