package io.danmaku.gateway.compression;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PerMessageDeflateTest {
    static final String PLAIN = "permessage-deflate; server_no_context_takeover; client_no_context_takeover";

    @Test
    void noOfferNoExtension() {
        assertThat(PerMessageDeflate.negotiate(null)).isNull();
        assertThat(PerMessageDeflate.negotiate(List.of())).isNull();
        assertThat(PerMessageDeflate.negotiate(List.of("x-webkit-deflate-frame"))).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "permessage-deflate",
            "permessage-deflate; client_max_window_bits", // what Chromium and Node's ws offer
            "permessage-deflate; client_max_window_bits=10",
            "permessage-deflate; client_max_window_bits=\"15\"",
            "permessage-deflate; server_no_context_takeover",
            "permessage-deflate; client_no_context_takeover; server_no_context_takeover",
            "PerMessage-Deflate ;  Client_Max_Window_Bits ",
    })
    void acceptedOffersGetNoContextTakeoverBothWays(String offer) {
        assertThat(PerMessageDeflate.negotiate(List.of(offer))).isEqualTo(PLAIN);
    }

    @Test
    void serverWindowOf15IsConfirmed() {
        assertThat(PerMessageDeflate.negotiate(List.of("permessage-deflate; server_max_window_bits=15")))
                .isEqualTo(PLAIN + "; server_max_window_bits=15");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "permessage-deflate; server_max_window_bits=10", // the shared frames use the full window
            "permessage-deflate; server_max_window_bits", // the value is required
            "permessage-deflate; client_max_window_bits=16",
            "permessage-deflate; client_max_window_bits=7",
            "permessage-deflate; client_max_window_bits=09",
            "permessage-deflate; client_max_window_bits=abc",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate; client_max_window_bits; client_max_window_bits=9",
            "permessage-deflate; server_no_context_takeover=1",
            "permessage-deflate; unknown_param",
            "permessage-deflate;",
    })
    void badOrUnsupportedOffersAreDeclined(String offer) {
        assertThat(PerMessageDeflate.negotiate(List.of(offer))).isNull();
    }

    @Test
    void aDeclinedOfferFallsBackToTheNextOne() {
        assertThat(PerMessageDeflate.negotiate(List.of(
                "permessage-deflate; server_max_window_bits=10; client_max_window_bits, permessage-deflate; "
                        + "client_max_window_bits"))).isEqualTo(PLAIN);
        assertThat(PerMessageDeflate.negotiate(List.of("foo", "permessage-deflate; bad", "permessage-deflate")))
                .isEqualTo(PLAIN);
    }
}
