package io.danmaku.server.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** {@code danmaku --version}: the project version (filtered into a resource at build time) and the JVM's. */
public final class VersionProvider implements IVersionProvider {
    private static final String RESOURCE = "/io/danmaku/server/version.properties";

    /** The project version, {@code unknown} when the resource is missing. */
    public static String version() {
        Properties properties = new Properties();
        try (InputStream in = VersionProvider.class.getResourceAsStream(RESOURCE)) {
            if (in != null) {
                properties.load(in);
            }
        } catch (IOException e) {
            return "unknown";
        }
        return properties.getProperty("version", "unknown");
    }

    @Override
    public String[] getVersion() {
        return new String[] {
            "danmaku " + version(),
            "JVM: " + System.getProperty("java.vm.name") + " " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"
        };
    }
}
