package io.danmaku.bench;

import io.danmaku.bench.command.FanoutCommand;
import io.danmaku.bench.command.IdleCommand;
import io.danmaku.bench.command.IngestCommand;
import io.danmaku.bench.command.TableCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code danmaku-bench fanout|ingest|idle}: the load generator. JSON lines on stdout, progress on stderr. */
@Command(name = "danmaku-bench", mixinStandardHelpOptions = true, version = "danmaku-bench 0.1.0",
        description = "Load generator for Danmaku and the servers it is compared with (loopback only).",
        subcommands = {FanoutCommand.class, IngestCommand.class, IdleCommand.class, TableCommand.class})
public final class Main implements Runnable {
    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.err);
    }
}
