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

    private static String find(String payload) {
        return MessageIds.find(payload.getBytes(StandardCharsets.UTF_8));
    }
}
