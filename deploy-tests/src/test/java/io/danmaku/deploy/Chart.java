package io.danmaku.deploy;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The chart {@code deploy/helm/danmaku} rendered offline by helm-java (Helm's Go library, no binary, no cluster) as
 * release {@value #RELEASE} in namespace {@value #NAMESPACE}, and the rendered objects as JSON trees.
 */
final class Chart {
    static final Path DIR = Path.of("..", "deploy", "helm", "danmaku").toAbsolutePath().normalize();
    static final String RELEASE = "live";
    static final String NAMESPACE = "danmaku";
    /** The release's full name ({@code <release>-danmaku}), the prefix of every object's name. */
    static final String FULL = RELEASE + "-danmaku";
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private Chart() {
    }

    /** The value set {@code ci/<name>-values.yaml}, or the chart's defaults for {@code default}. */
    static Optional<Path> valueSet(String name) {
        return name.equals("default") ? Optional.empty() : Optional.of(DIR.resolve("ci").resolve(name + "-values.yaml"));
    }

    /** The rendered manifest; Helm's error (schema, {@code fail}) as the exception's message. */
    static String template(Optional<Path> values, Map<String, String> sets) {
        TemplateCommand command = new Helm(DIR).template().withName(RELEASE).withNamespace(NAMESPACE)
                .withKubeVersion("1.31.0");
        values.ifPresent(command::withValuesFile);
        sets.forEach(command::set);
        return command.call();
    }

    /** Every object of the manifest, in its order. */
    static Rendered render(Optional<Path> values, Map<String, String> sets) {
        return new Rendered(parse(template(values, sets)));
    }

    static Rendered render(String valueSet) {
        return render(valueSet(valueSet), Map.of());
    }

    static List<ObjectNode> parse(String manifest) {
        List<ObjectNode> objects = new ArrayList<>();
        try (YAMLParser parser = new YAMLFactory().createParser(manifest)) {
            for (JsonNode doc : YAML.readValues(parser, JsonNode.class).readAll()) {
                if (doc instanceof ObjectNode o && o.size() > 0) {
                    objects.add(o);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("rendered manifest is not YAML", e);
        }
        return objects;
    }

    /** The objects of one rendering. */
    record Rendered(List<ObjectNode> objects) {
        Rendered {
            objects = List.copyOf(objects);
        }

        List<ObjectNode> ofKind(String kind) {
            return objects.stream().filter(o -> o.path("kind").asText().equals(kind)).toList();
        }

        Optional<ObjectNode> find(String kind, String name) {
            requireNonNull(name, "name");
            return ofKind(kind).stream().filter(o -> o.path("metadata").path("name").asText().equals(name)).findFirst();
        }

        ObjectNode get(String kind, String name) {
            return find(kind, name).orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in "
                    + objects.stream().map(o -> o.path("kind").asText() + "/" + o.path("metadata").path("name").asText()).toList()));
        }
    }
}
