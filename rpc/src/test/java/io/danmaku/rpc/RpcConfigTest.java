package io.danmaku.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.danmaku.rpc.internal.LogicTarget;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RpcConfigTest {

    private static List<String> entries(String target) {
        return LogicTarget.parse(target, RpcClientConfig.KEY_TARGET, 9090).addresses().stream()
                .map(LogicTarget::show).toList();
    }

    @Test
    void aStaticListKeepsItsOrderAndDefaultsThePort() {
        assertThat(entries("logic-1:9091, 10.0.0.7 ,[::1]:9092,[fe80::1]")).containsExactly("logic-1:9091",
                "10.0.0.7:9090", "[::1]:9092", "[fe80::1]:9090");
        assertThat(LogicTarget.parse("a:1", "k", 9090).addresses())
                .containsExactly(InetSocketAddress.createUnresolved("a", 1));
    }

    @Test
    void aDnsTargetGoesToGrpcWithAnExplicitPort() {
        assertThat(LogicTarget.parse("dns:///logic-headless.danmaku.svc:9090", "k", 9090).grpcTarget())
                .isEqualTo("dns:///logic-headless.danmaku.svc:9090");
        assertThat(LogicTarget.parse("dns:///logic-headless.danmaku.svc", "k", 9090).grpcTarget())
                .isEqualTo("dns:///logic-headless.danmaku.svc:9090");
        assertThat(LogicTarget.parse("DNS://10.96.0.10/logic:7000", "k", 9090).grpcTarget())
                .isEqualTo("dns://10.96.0.10/logic:7000");
        assertThat(LogicTarget.parse("dns:///logic", "k", 9090).dns()).isTrue();
        assertThat(LogicTarget.parse("dns://10.96.0.10/logic:7000", "k", 9090).dnsName())
                .isEqualTo(InetSocketAddress.createUnresolved("logic", 7000));
        assertThat(LogicTarget.parse("dns:///logic", "k", 9090).dnsName())
                .isEqualTo(InetSocketAddress.createUnresolved("logic", 9090));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "a:0", "a:65536", "a:x", "a,", ",a", "::1", "[::1", "[]:1", "[::1]x",
            "a b:1", "dns:", "dns:logic:9090", "dns:///", "dns:///a:0", "dns:///a?x=1"})
    void aBadTargetIsRefusedNamingTheKey(String target) {
        assertThatThrownBy(() -> RpcClientConfig.defaults(target))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("gateway.logic.target: \"" + target + "\" (")
                .hasMessageEndingWith("expected: host:port[,host:port...] or dns:///name:port)");
    }

    @Test
    void clientDurationsAreChecked() {
        assertThatThrownBy(() -> RpcClientConfig.defaults().withDeadline(Duration.ZERO))
                .hasMessage("gateway.logic.deadline: PT0S (expected: PT0.001S..PT10M)");
        assertThatThrownBy(() -> RpcClientConfig.defaults().withKeepAlive(Duration.ofSeconds(1),
                Duration.ofSeconds(10)))
                .hasMessage("gateway.logic.keepalive.time: PT1S (expected: PT10S..PT2H)");
        assertThatThrownBy(() -> RpcClientConfig.defaults().withDeadline(null))
                .isInstanceOf(NullPointerException.class).hasMessage("gateway.logic.deadline");
        assertThatThrownBy(() -> RpcClientConfig.defaults().withDnsRefreshInterval(Duration.ofMillis(10)))
                .hasMessage("gateway.logic.dns.refresh-interval: PT0.01S (expected: PT0.1S..PT1H)");
        assertThatThrownBy(() -> RpcClientConfig.defaults(null))
                .hasMessageStartingWith("gateway.logic.target: null (missing;");
    }

    @Test
    void clientDefaults() {
        RpcClientConfig config = RpcClientConfig.defaults();
        assertThat(config.target()).isEqualTo("localhost:9090");
        assertThat(config.deadline()).isEqualTo(Duration.ofSeconds(6));
        assertThat(config.dnsRefreshInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(RpcClientConfig.defaults(" a:1 ").target()).isEqualTo("a:1");
    }

    @Test
    void serverSettingsAreChecked() {
        assertThat(RpcServerConfig.defaults().port()).isEqualTo(9090);
        assertThatThrownBy(() -> RpcServerConfig.defaults().withAddress("0.0.0.0", 65536))
                .hasMessage("logic.grpc.port: 65536 (expected: 0..65535)");
        assertThatThrownBy(() -> RpcServerConfig.defaults().withAddress(" ", 1))
                .hasMessage("logic.grpc.host: \" \" (expected: a host name or address)");
        assertThatThrownBy(() -> RpcServerConfig.defaults().withMaxConnectionAge(Duration.ofMillis(10),
                Duration.ZERO))
                .hasMessage("logic.grpc.max-connection-age: PT0.01S (expected: PT0S for never, or PT1S..PT24H)");
        assertThatThrownBy(() -> RpcServerConfig.defaults().withShutdownTimeout(Duration.ofSeconds(-1)))
                .hasMessage("logic.grpc.shutdown-timeout: PT-1S (expected: PT0S..PT10M)");
        assertThat(RpcServerConfig.defaults().withMaxConnectionAge(Duration.ZERO, Duration.ZERO).maxConnectionAge())
                .isZero();
    }
}
