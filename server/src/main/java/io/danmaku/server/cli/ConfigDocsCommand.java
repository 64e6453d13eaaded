package io.danmaku.server.cli;

import io.danmaku.server.config.ConfigDocs;
import io.danmaku.server.config.DanmakuKeys;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code danmaku config-docs}: prints every configuration key as the markdown of {@code docs/CONFIGURATION.md}. */
@Command(name = "config-docs", mixinStandardHelpOptions = true,
        description = {"Print the configuration reference (every key, its environment variable, type, default and"
                + " doc) as markdown.", "Regenerate the docs with: " + ConfigDocs.REGENERATE})
public final class ConfigDocsCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        out.print(ConfigDocs.markdown(DanmakuKeys.DEFINITION));
        out.flush();
    }
}
