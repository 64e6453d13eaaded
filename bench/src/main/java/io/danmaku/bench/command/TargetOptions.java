package io.danmaku.bench.command;

import io.danmaku.bench.load.HttpPublisher;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Which server to load, how to reach it, and how to watch it: options shared by every command. */
public final class TargetOptions {
    /** The wire protocols the subscribers speak. */
    public enum Protocol { centrifuge, centrifuge_protobuf, bilibili, peer_ws, nchan }

    @Option(names = "--protocol", defaultValue = "centrifuge", converter = ProtocolConverter.class,
            description = "centrifuge (our JSON protocol), centrifuge-protobuf (the same protocol's Protobuf variant:"
                    + " subprotocol centrifuge-protobuf, binary frames), bilibili (our binary protocol), peer-ws (a plain ws"
                    + " broadcast server: raw text frames), nchan (Nchan: WebSocket sub, HTTP pub). Default: ${DEFAULT-VALUE}")
    Protocol protocol;

    @Option(names = "--url", split = ",", description = "WebSocket URL(s) of the subscribers, spread round robin."
            + " Default by protocol: ws://127.0.0.1:8080/connection/websocket, ws://127.0.0.1:8080/sub,"
            + " ws://127.0.0.1:8090/, ws://127.0.0.1:8091/sub/{room}")
    List<String> urls;

    @Option(names = "--publish-url", description = "Where the publisher posts. Default by protocol:"
            + " http://127.0.0.1:8080/api/publish (ours), http://127.0.0.1:8090/pub, http://127.0.0.1:8091/pub/{room}")
    String publishUrl;

    @Option(names = "--api-key", defaultValue = "bench-key", description = "Server API key (ours). Default: ${DEFAULT-VALUE}")
    String apiKey;

    @Option(names = "--room", defaultValue = "7777", description = "Room (numeric, so the Bilibili protocol can join"
            + " it too). Default: ${DEFAULT-VALUE}")
    String room;

    @Option(names = "--protover", defaultValue = "1", description = "Bilibili protover: 1 plain, 2 zlib, 3 brotli."
            + " Default: ${DEFAULT-VALUE}")
    int protover;

    @Option(names = "--pad-to", defaultValue = "0",
            description = "Raw peers only: pad each published message to this many bytes, so a peer carries as many"
                    + " bytes per delivery as our protocol does (see bytes_per_delivery). Default: ${DEFAULT-VALUE}")
    int padTo;

    @Option(names = "--deflate", description = "Offer permessage-deflate in the WebSocket handshake and inflate"
            + " compressed frames (bytes per delivery count what crossed the network)")
    boolean deflate;

    @Option(names = "--message", defaultValue = "marker", description = "What is published: marker (the bare"
            + " marker as a danmaku text; peers get it padded to --pad-to) or json (a JSON object like"
            + " {\"ts\":…,\"seq\":…,\"room\":…,\"uid\":12345,\"text\":\"<marker>x…\"} of --message-bytes"
            + " bytes: our server API gets it as the publication's data, peers as the body). Default: ${DEFAULT-VALUE}")
    String message;

    @Option(names = "--message-bytes", defaultValue = "100",
            description = "Size of a json message (its text is padded with x). Default: ${DEFAULT-VALUE}")
    int messageBytes;

    @Option(names = "--token-secret", description = "HS256 secret: subscribers connect with minted tokens")
    String tokenSecret;

    @Option(names = "--server-pid", split = ",", description = "PID(s) of the server under test (summed), for CPU and RSS")
    List<Long> serverPids = new ArrayList<>();

    @Option(names = "--label", defaultValue = "", description = "Name of the server under test in the JSON lines")
    String label;

    @Option(names = "--client-threads", defaultValue = "2", description = "Event loops of the load tool. Default: ${DEFAULT-VALUE}")
    int clientThreads;

    @Option(names = "--connect-rate", defaultValue = "2000", description = "New connections per second. Default: ${DEFAULT-VALUE}")
    int connectRate;

    @Option(names = "--connect-concurrency", defaultValue = "200",
            description = "TCP connects in flight at once. Default: ${DEFAULT-VALUE}")
    int connectConcurrency;

    /** The size of a json message, or 0 for the bare marker. */
    int jsonMessageBytes() {
        return switch (message) {
            case "marker" -> 0;
            case "json" -> Math.max(1, messageBytes);
            default -> throw new IllegalArgumentException("--message: '" + message + "' (expected: marker or json)");
        };
    }

    List<URI> subscriberUris() {
        List<String> raw = urls;
        if (raw == null || raw.isEmpty()) {
            raw = List.of(switch (protocol) {
                case centrifuge, centrifuge_protobuf -> "ws://127.0.0.1:8080/connection/websocket";
                case bilibili -> "ws://127.0.0.1:8080/sub";
                case peer_ws -> "ws://127.0.0.1:8090/";
                case nchan -> "ws://127.0.0.1:8091/sub/{room}";
            });
        }
        List<URI> out = new ArrayList<>();
        for (String u : raw) {
            out.add(URI.create(u.replace("{room}", room)));
        }
        return out;
    }

    URI publishUri() {
        String u = publishUrl != null ? publishUrl : switch (protocol) {
            case centrifuge, centrifuge_protobuf, bilibili -> "http://127.0.0.1:8080/api/publish";
            case peer_ws -> "http://127.0.0.1:8090/pub";
            case nchan -> "http://127.0.0.1:8091/pub/{room}";
        };
        return URI.create(u.replace("{room}", room));
    }

    HttpPublisher.Format publishFormat() {
        return protocol == Protocol.centrifuge || protocol == Protocol.centrifuge_protobuf
                || protocol == Protocol.bilibili ? HttpPublisher.Format.DANMAKU_API : HttpPublisher.Format.RAW;
    }

    String protocolName() {
        return protocol == Protocol.bilibili ? "bilibili-protover" + protover : protocol.name().replace('_', '-');
    }

    static final class ProtocolConverter implements picocli.CommandLine.ITypeConverter<Protocol> {
        @Override
        public Protocol convert(String value) {
            try {
                return Protocol.valueOf(value.replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException("'" + value
                        + "' (expected: centrifuge, centrifuge-protobuf, bilibili, peer-ws or nchan)");
            }
        }
    }
}
