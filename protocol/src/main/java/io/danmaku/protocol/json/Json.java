package io.danmaku.protocol.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** The project's one JSON configuration: strict input (no duplicate keys), compact output. */
public final class Json {
    /** Limits for untrusted input: small documents, shallow nesting. */
    private static final StreamReadConstraints INPUT_LIMITS = StreamReadConstraints.builder()
            .maxNestingDepth(32)
            .maxStringLength(1 << 20)
            .maxNumberLength(32)
            .build();

    public static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(INPUT_LIMITS)
                    .build())
            .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_TRAILING_DECIMAL_POINT_FOR_NUMBERS)
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private Json() {
    }
}
