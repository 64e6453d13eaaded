package io.danmaku.testkit.kafka;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;

/**
 * Main class of the broker JVM: one KRaft node that is both broker and controller, listening on 127.0.0.1.
 *
 * <pre>{@code java -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp <testkit classpath> \
 *     io.danmaku.testkit.kafka.EmbeddedKafkaMain serve <port> <controllerPort> <dataDir>}</pre>
 *
 * <p>Formats {@code <dataDir>} on first use (a directory formatted before is reused as is, so a restart on the
 * same ports and directory keeps every topic, record and committed offset), starts the node, and prints
 * {@value #READY}{@code  127.0.0.1:<port>} on stdout once it serves. It stops cleanly when stdin reaches its
 * end (the default, so that the broker never outlives a parent JVM that started it through a pipe) or on
 * SIGTERM; from a shell, where stdin is often {@code /dev/null}, pass {@code -D}{@value #WATCH_STDIN_PROPERTY}
 * {@code =false} and stop it with SIGTERM. The data directory belongs to the caller and is never deleted here.
 *
 * <p>Settings for a single node: replication factor 1 for the internal topics, no initial rebalance delay, and
 * {@code auto.create.topics.enable=false} (topics are created by their owners, which then wait for partition
 * leaders before producing). Unless {@code logback.configurationFile} is set, logging is limited to warnings
 * through a {@code logback.xml} written next to the data.
 */
public final class EmbeddedKafkaMain {
    /** First word of the line printed once the broker serves; the second word is its bootstrap address. */
    public static final String READY = "KAFKA_READY";
    /** System property: {@code false} to ignore stdin and run until SIGTERM. Default {@code true}. */
    public static final String WATCH_STDIN_PROPERTY = "danmaku.kafka.watchStdin";
    static final String HOST = "127.0.0.1";

    private EmbeddedKafkaMain() {
    }

    public static void main(String[] args) {
        if ((args.length != 4 && args.length != 9) || !"serve".equals(args[0])) {
            System.err.println("usage: EmbeddedKafkaMain serve <port> <controllerPort> <dataDir> "
                    + "[<tlsPort> <certFile> <keyFile> <caFile> <clientAuth: required|none>]");
            System.exit(2);
            return;
        }
        try {
            int port = parsePort(args[1], "port");
            int controllerPort = parsePort(args[2], "controllerPort");
            Path dataDir = Path.of(args[3]).toAbsolutePath();
            Files.createDirectories(dataDir);
            quietLogging(dataDir);
            Tls tls = args.length == 9 ? new Tls(parsePort(args[4], "tlsPort"), Path.of(args[5]), Path.of(args[6]),
                    Path.of(args[7]), "required".equals(args[8])) : null;
            serve(port, controllerPort, dataDir, tls);
        } catch (Throwable e) {
            System.err.println("KAFKA_FAILED " + e);
            e.printStackTrace();
            System.exit(1);
        }
    }

    /** An SSL listener besides the plaintext one: PEM files of the broker, the authority of clients. */
    record Tls(int port, Path certFile, Path keyFile, Path caFile, boolean clientAuth) {
    }

    private static void serve(int port, int controllerPort, Path dataDir, Tls tls) throws Exception {
        KafkaRaftServer server = start(port, controllerPort, dataDir, tls, System.out);
        AtomicBoolean stopped = new AtomicBoolean();
        Runnable stop = () -> {
            if (stopped.compareAndSet(false, true)) {
                System.out.println("KAFKA_STOPPING");
                server.shutdown();
                server.awaitShutdown();
                System.out.println("KAFKA_STOPPED");
                System.out.flush();
            }
        };
        Runtime.getRuntime().addShutdownHook(new Thread(stop, "kafka-stop"));
        System.out.println(READY + " " + HOST + ":" + port);
        System.out.flush();
        if (!Boolean.parseBoolean(System.getProperty(WATCH_STDIN_PROPERTY, "true"))) {
            Thread.currentThread().join();
        }
        while (System.in.read() != -1) {
            // Nothing is expected on stdin; only its end matters.
        }
        stop.run();
        System.exit(0);
    }

    /**
     * Formats {@code dataDir} if needed and starts a broker+controller node on 127.0.0.1; returns once the
     * broker is unfenced and serves clients.
     */
    static KafkaRaftServer start(int port, int controllerPort, Path dataDir, PrintStream out) throws IOException {
        return start(port, controllerPort, dataDir, null, out);
    }

    static KafkaRaftServer start(int port, int controllerPort, Path dataDir, Tls tls, PrintStream out)
            throws IOException {
        Properties props = brokerProperties(port, controllerPort, dataDir.resolve("logs"));
        if (tls != null) {
            addTls(props, port, controllerPort, tls);
        }
        Path config = dataDir.resolve("server.properties");
        try (Writer w = Files.newBufferedWriter(config, StandardCharsets.UTF_8)) {
            props.store(w, "written by " + EmbeddedKafkaMain.class.getName());
        }
        // A formatted directory keeps its cluster id; formatting it again (even with --ignore-formatted) would
        // compare it with a new one and fail.
        if (!Files.exists(dataDir.resolve("logs").resolve("meta.properties"))) {
            int rc = StorageTool.execute(new String[] {"format", "--cluster-id", Uuid.randomUuid().toString(),
                    "--config", config.toString()}, out);
            if (rc != 0) {
                throw new IllegalStateException("formatting " + dataDir + " failed with exit code " + rc);
            }
        }
        KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props), Time.SYSTEM);
        server.startup();
        return server;
    }

    static Properties brokerProperties(int port, int controllerPort, Path logDir) {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@" + HOST + ":" + controllerPort);
        p.put("listeners", "PLAINTEXT://" + HOST + ":" + port + ",CONTROLLER://" + HOST + ":" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + port);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT");
        p.put("log.dirs", logDir.toString());
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("auto.create.topics.enable", "false");
        return p;
    }

    private static void addTls(Properties p, int port, int controllerPort, Tls tls) throws IOException {
        p.put("listeners", "PLAINTEXT://" + HOST + ":" + port + ",SSL://" + HOST + ":" + tls.port() + ",CONTROLLER://"
                + HOST + ":" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + port + ",SSL://" + HOST + ":" + tls.port());
        p.put("listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL");
        p.put("listener.name.ssl.ssl.keystore.type", "PEM");
        p.put("listener.name.ssl.ssl.keystore.certificate.chain", Files.readString(tls.certFile()));
        p.put("listener.name.ssl.ssl.keystore.key", Files.readString(tls.keyFile()));
        p.put("listener.name.ssl.ssl.truststore.type", "PEM");
        p.put("listener.name.ssl.ssl.truststore.certificates", Files.readString(tls.caFile()));
        p.put("listener.name.ssl.ssl.client.auth", tls.clientAuth() ? "required" : "none");
    }

    /** Points logback at a WARN-only configuration unless the caller chose one. Must run before any logger. */
    private static void quietLogging(Path dataDir) throws IOException {
        if (System.getProperty("logback.configurationFile") != null) {
            return;
        }
        Path file = dataDir.resolve("logback.xml");
        Files.writeString(file, """
                <configuration>
                  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
                    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{36} - %msg%n</pattern></encoder>
                  </appender>
                  <root level="WARN"><appender-ref ref="OUT"/></root>
                </configuration>
                """, StandardCharsets.UTF_8);
        System.setProperty("logback.configurationFile", file.toString());
    }

    private static int parsePort(String text, String name) {
        int port;
        try {
            port = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(name + ": " + text + " (expected: 1..65535)");
        }
        return port;
    }
}
