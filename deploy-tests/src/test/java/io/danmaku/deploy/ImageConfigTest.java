package io.danmaku.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * The image, as far as it can be checked without a container engine or a registry: the Jib configuration
 * (server/pom.xml) and deploy/docker/Dockerfile describe the same image (base, entrypoint, default argument, user),
 * the entrypoint carries the launcher's JVM flags with the heap sized from the container instead of a fixed one,
 * the chart runs that entrypoint with the role as its only argument, and the native libraries of both image
 * architectures are on the server's runtime class path.
 */
class ImageConfigTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void jibAndTheDockerfileDescribeTheSameImage() throws Exception {
        Element jib = jibConfiguration();
        Dockerfile docker = Dockerfile.read(ROOT.resolve("deploy/docker/Dockerfile"));
        assertThat(docker.entrypoint()).as("ENTRYPOINT vs Jib's container.entrypoint").isEqualTo(args(jib, "entrypoint"));
        assertThat(docker.cmd()).as("CMD vs Jib's container.args").isEqualTo(args(jib, "args"));
        assertThat(docker.user()).isEqualTo(text(jib, "user")).isEqualTo("10001:10001");
        String base = text(jib, "image");
        assertThat(docker.runtimeBase()).isEqualTo(base);
        assertThat(base).as("base image pinned by digest").matches("eclipse-temurin:(17|21|25)-jre@sha256:[0-9a-f]{64}");
        assertThat(docker.froms()).allMatch(f -> f.matches("\\S+@sha256:[0-9a-f]{64}( AS \\w+)?"));
        List<String> platforms = new ArrayList<>();
        NodeList arch = jib.getElementsByTagName("architecture");
        for (int i = 0; i < arch.getLength(); i++) {
            platforms.add(arch.item(i).getTextContent().trim());
        }
        assertThat(platforms).containsExactlyInAnyOrder("amd64", "arm64");
        // Jib must not run in a build: it needs a registry
        assertThat(jib.getParentNode().getNodeName()).isEqualTo("plugin");
        assertThat(((Element) jib.getParentNode()).getElementsByTagName("executions").getLength()).isZero();
    }

    @Test
    void theEntrypointHasTheLaunchersFlagsAndAHeapSizedFromTheContainer() throws Exception {
        List<String> entrypoint = args(jibConfiguration(), "entrypoint");
        assertThat(entrypoint.get(0)).isEqualTo("java");
        assertThat(entrypoint.subList(entrypoint.size() - 3, entrypoint.size()))
                .containsExactly("-cp", "/app/resources:/app/classes:/app/libs/*", "io.danmaku.server.Main");
        List<String> flags = entrypoint.subList(1, entrypoint.size() - 3);
        assertThat(flags).anyMatch(f -> f.startsWith("-XX:MaxRAMPercentage="));
        assertThat(flags).noneMatch(f -> f.startsWith("-Xmx") || f.startsWith("-Xms") || f.startsWith("-XX:MaxHeapSize"));
        // every default flag of the launcher (./danmaku), and the one it adds on JVMs that have it (21 has)
        String launcher = Files.readString(ROOT.resolve("danmaku"));
        Matcher m = Pattern.compile("(?m)^default_java_opts=\"([^\"]+)\"").matcher(launcher);
        assertThat(m.find()).as("default_java_opts in ./danmaku").isTrue();
        assertThat(flags).containsAll(Arrays.asList(m.group(1).split("\\s+")));
        assertThat(launcher).contains("-XX:TrimNativeHeapInterval=10000");
        assertThat(flags).contains("-XX:TrimNativeHeapInterval=10000");
    }

    @Test
    void theChartRunsTheImagesEntrypointWithTheRoleAsItsArgument() {
        Chart.Rendered rendered = Chart.render("default");
        for (String tier : List.of("gateway", "logic", "storage")) {
            JsonNode container = rendered.get("Deployment", Chart.FULL + "-" + tier).path("spec").path("template")
                    .path("spec").path("containers").get(0);
            assertThat(container.has("command")).isFalse();
            assertThat(container.path("args")).hasSize(1);
            assertThat(container.path("args").get(0).asText()).isEqualTo(tier);
            assertThat(container.path("image").asText()).isEqualTo("danmaku:0.1.0-SNAPSHOT");
            assertThat(container.path("securityContext").path("readOnlyRootFilesystem").asBoolean()).isTrue();
            // Netty unpacks its natives into java.io.tmpdir (/tmp): it must be writable
            assertThat(container.path("volumeMounts").findValuesAsText("mountPath")).contains("/tmp");
        }
    }

    @Test
    void theNativesOfBothArchitecturesAreOnTheServersRuntimeClassPath() throws IOException {
        for (String library : List.of(
                "META-INF/native/libnetty_transport_native_epoll_x86_64.so",
                "META-INF/native/libnetty_transport_native_epoll_aarch_64.so",
                "META-INF/native/libnetty_tcnative_linux_x86_64.so",
                "META-INF/native/libnetty_tcnative_linux_aarch_64.so",
                "lib/linux-x86_64/libbrotli.so",
                "lib/linux-aarch64/libbrotli.so")) {
            List<URL> found = Collections.list(getClass().getClassLoader().getResources(library));
            assertThat(found).as(library).isNotEmpty();
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** The {@code <configuration>} of jib-maven-plugin in server/pom.xml. */
    private static Element jibConfiguration() throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        Document pom = factory.newDocumentBuilder().parse(ROOT.resolve("server/pom.xml").toFile());
        NodeList ids = pom.getElementsByTagName("artifactId");
        for (int i = 0; i < ids.getLength(); i++) {
            Node id = ids.item(i);
            if (id.getTextContent().trim().equals("jib-maven-plugin")) {
                return (Element) ((Element) id.getParentNode()).getElementsByTagName("configuration").item(0);
            }
        }
        throw new AssertionError("no jib-maven-plugin in server/pom.xml");
    }

    private static List<String> args(Element config, String tag) {
        Element list = (Element) config.getElementsByTagName(tag).item(0);
        List<String> args = new ArrayList<>();
        NodeList children = list.getElementsByTagName("arg");
        for (int i = 0; i < children.getLength(); i++) {
            args.add(children.item(i).getTextContent().trim());
        }
        return args;
    }

    private static String text(Element config, String tag) {
        return config.getElementsByTagName(tag).item(0).getTextContent().trim();
    }

    /** The instructions of a Dockerfile this test needs. */
    private record Dockerfile(List<String> froms, List<String> entrypoint, List<String> cmd, String user) {
        static Dockerfile read(Path path) throws IOException {
            List<String> froms = new ArrayList<>();
            List<String> entrypoint = null;
            List<String> cmd = null;
            String user = null;
            for (String line : Files.readAllLines(path)) {
                if (line.startsWith("FROM ")) {
                    froms.add(line.substring(5).trim());
                } else if (line.startsWith("ENTRYPOINT ")) {
                    entrypoint = jsonArray(line.substring(11));
                } else if (line.startsWith("CMD ")) {
                    cmd = jsonArray(line.substring(4));
                } else if (line.startsWith("USER ")) {
                    user = line.substring(5).trim();
                }
            }
            return new Dockerfile(froms, entrypoint, cmd, user);
        }

        String runtimeBase() {
            return froms.get(froms.size() - 1).split(" ")[0];
        }

        private static List<String> jsonArray(String text) throws IOException {
            List<String> list = new ArrayList<>();
            Chart.YAML.readTree(text).forEach(n -> list.add(n.asText()));
            return list;
        }
    }
}
