package io.danmaku.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The image Jib builds from server/pom.xml, for real: the {@code image-check} execution (server's package phase)
 * runs the same configuration on an empty base instead of the JRE (no registry here) and writes
 * {@code server/target/jib-image-check.tar}. Its config and layers are what a registry would get, minus the JRE:
 * the entrypoint the Dockerfile and the chart expect, the user, the ports the chart's probes and Services use, and
 * the class path with the natives of both architectures.
 */
class JibImageIT {
    private static final Path TAR = Path.of("..", "server", "target", "jib-image-check.tar");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static JsonNode config;
    private static List<String> files;

    @BeforeAll
    static void open() throws IOException {
        assertThat(TAR).as("built by server's image-check execution (package phase) in a build that runs tests,"
                + " such as ./mvnw verify; not found").exists();
        Map<String, byte[]> image = untar(Files.newInputStream(TAR));
        JsonNode manifest = JSON.readTree(image.get("manifest.json"));
        config = JSON.readTree(image.get(manifest.get(0).path("Config").asText()));
        files = new ArrayList<>();
        for (JsonNode layer : manifest.get(0).path("Layers")) {
            try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(image.get(layer.asText())))) {
                files.addAll(untar(in).keySet());
            }
        }
    }

    @Test
    void theImageRunsTheEntrypointTheDockerfileAndTheChartExpect() throws IOException {
        JsonNode c = config.path("config");
        List<String> entrypoint = new ArrayList<>();
        c.path("Entrypoint").forEach(n -> entrypoint.add(n.asText()));
        List<String> dockerfile = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("..", "deploy", "docker", "Dockerfile"))) {
            if (line.startsWith("ENTRYPOINT ")) {
                JSON.readTree(line.substring(11)).forEach(n -> dockerfile.add(n.asText()));
            }
        }
        assertThat(entrypoint).isEqualTo(dockerfile);
        assertThat(c.path("Cmd").get(0).asText()).isEqualTo("standalone");
        assertThat(c.path("User").asText()).isEqualTo("10001:10001");
        assertThat(c.path("WorkingDir").asText()).isEqualTo("/app");
        List<String> ports = new ArrayList<>();
        c.path("ExposedPorts").fieldNames().forEachRemaining(ports::add);
        assertThat(ports).contains("8080/tcp", "8081/tcp", "8082/tcp", "9090/tcp", "9100/tcp");
    }

    @Test
    void theClassPathHoldsTheServerAndTheNativesOfBothArchitectures() {
        assertThat(files).contains("app/classes/io/danmaku/server/Main.class");
        for (String jar : List.of(
                "netty-transport-native-epoll-[0-9.]+Final-linux-x86_64\\.jar",
                "netty-transport-native-epoll-[0-9.]+Final-linux-aarch_64\\.jar",
                "netty-tcnative-boringssl-static-[0-9.]+Final-linux-x86_64\\.jar",
                "netty-tcnative-boringssl-static-[0-9.]+Final-linux-aarch_64\\.jar",
                "native-linux-x86_64-[0-9.]+\\.jar",
                "native-linux-aarch64-[0-9.]+\\.jar",
                "danmaku-gateway-ws-[0-9.]+-SNAPSHOT\\.jar")) {
            assertThat(files).as(jar).anyMatch(f -> f.matches("app/libs/" + jar));
        }
        // nothing of the build or the tests in the image
        assertThat(files).noneMatch(f -> f.contains("junit") || f.contains("testkit") || f.contains("kafka_2.13"));
    }

    /** The regular files of a tar stream (ustar), name → content. */
    private static Map<String, byte[]> untar(InputStream in) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        byte[] header = new byte[512];
        while (in.readNBytes(header, 0, 512) == 512) {
            String name = field(header, 0, 100);
            if (name.isEmpty()) {
                break;
            }
            String prefix = field(header, 345, 155);
            long size = Long.parseLong(field(header, 124, 12).trim().isEmpty() ? "0" : field(header, 124, 12).trim(), 8);
            byte[] content = in.readNBytes((int) size);
            in.skipNBytes((512 - size % 512) % 512);
            char type = (char) header[156];
            String path = (prefix.isEmpty() ? name : prefix + "/" + name).replaceFirst("^\\./", "").replaceFirst("^/", "");
            if (type == '0' || type == 0) {
                entries.put(path, content);
            }
        }
        return entries;
    }

    private static String field(byte[] header, int offset, int length) {
        int end = offset;
        while (end < offset + length && header[end] != 0) {
            end++;
        }
        return new String(header, offset, end - offset, StandardCharsets.US_ASCII);
    }
}
