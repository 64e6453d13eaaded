package io.danmaku.gateway.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class OriginPolicyTest {
    @Test
    void withoutConfiguredOriginsOnlyTheRequestsOwnHostAndNonBrowsersPass() {
        OriginPolicy policy = new OriginPolicy(List.of());
        assertThat(policy.allows(null, "chat.example.com")).as("no Origin: not a browser").isTrue();
        assertThat(policy.allows("https://chat.example.com", "chat.example.com:443")).isTrue();
        assertThat(policy.allows("http://localhost:5173", "localhost:8080")).as("same host, other port").isTrue();
        assertThat(policy.allows("http://[::1]:8080", "[::1]:8080")).isTrue();
        assertThat(policy.allows("https://evil.example", "chat.example.com")).isFalse();
        assertThat(policy.allows("https://chat.example.com.evil.example", "chat.example.com")).isFalse();
        assertThat(policy.allows("null", "chat.example.com")).as("opaque origin").isFalse();
        assertThat(policy.allows("https://chat.example.com", null)).as("no Host to compare with").isFalse();
    }

    @Test
    void configuredOriginsPassIgnoringCaseAndATrailingSlash() {
        OriginPolicy policy = new OriginPolicy(List.of("https://app.example.com/", "http://localhost:3000"));
        assertThat(policy.allows("HTTPS://App.Example.com", "gw.example.com")).isTrue();
        assertThat(policy.allows("http://localhost:3000", "gw.example.com")).isTrue();
        assertThat(policy.allows("http://app.example.com", "gw.example.com")).as("other scheme").isFalse();
        assertThat(policy.allows("http://localhost:3001", "gw.example.com")).as("other port").isFalse();
    }

    @Test
    void aStarAllowsAnyOrigin() {
        assertThat(new OriginPolicy(List.of("*")).allows("https://anything.example", "gw")).isTrue();
    }
}
