package io.danmaku.server.cli;

import static java.util.Objects.requireNonNull;

import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTCreator;
import com.auth0.jwt.algorithms.Algorithm;
import io.danmaku.server.config.Config;
import io.danmaku.server.config.ConfigException;
import io.danmaku.server.config.ConfigLoader;
import io.danmaku.server.config.DanmakuKeys;
import io.danmaku.server.config.DurationFormat;
import io.danmaku.server.config.Password;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code danmaku token}: prints a connection token (JWT) for one user, signed as the gateways verify it: HS256
 * with {@code token.hmac.secret} from the same configuration as the server (file, {@code DANMAKU_*}, {@code --set}),
 * or RS256 with the private key of {@code token.rsa.public-key-file} given as {@code --rsa-private-key}.
 */
@Command(name = "token", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Print a connection token (JWT) for one user, signed with the configured token.hmac.secret (HS256) or",
            "with --rsa-private-key (RS256). Reads the same configuration as the server: --config, DANMAKU_*, --set.",
            "Clients pass it in the connect command (Centrifugo protocol) or as the auth key (Bilibili protocol)."
        },
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:token printed", "2:bad command line or configuration (no secret or key to sign with)"})
public final class TokenCommand implements Callable<Integer> {
    public static final Duration DEFAULT_TTL = Duration.ofHours(24);
    private static final Duration MAX_TTL = Duration.ofDays(3650);

    @Option(names = "--user", required = true, paramLabel = "ID", description = "The user id (the sub claim).")
    String user;

    @Option(names = "--name", paramLabel = "NAME", description = "Display name shown with the user's messages.")
    String name;

    @Option(names = "--rooms", split = ",", paramLabel = "ROOM",
            description = "Rooms the token allows (comma-separated); default: every room.")
    List<String> rooms;

    @Option(names = "--ttl", paramLabel = "DURATION", defaultValue = "24h",
            description = "Lifetime, e.g. 30m, 24h, 720h (default: ${DEFAULT-VALUE}).")
    String ttl;

    @Option(names = "--rsa-private-key", paramLabel = "FILE",
            description = "Sign RS256 with this PEM private key (PKCS#8, -----BEGIN PRIVATE KEY-----) instead of "
                    + "HS256 with token.hmac.secret.")
    Path rsaPrivateKey;

    @Option(names = "--config", paramLabel = "FILE",
            description = "YAML configuration file (default: the file named by DANMAKU_CONFIG, if set).")
    Path configFile;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Set a configuration key. Repeatable.")
    List<String> assignments = new ArrayList<>();

    @Spec
    CommandSpec spec;

    private final Map<String, String> env;
    private final Clock clock;

    public TokenCommand(Map<String, String> env, Clock clock) {
        this.env = Map.copyOf(requireNonNull(env, "env"));
        this.clock = requireNonNull(clock, "clock");
    }

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        try {
            String token = sign();
            spec.commandLine().getOut().println(token);
            spec.commandLine().getOut().flush();
            return RoleCommand.EXIT_OK;
        } catch (ConfigException e) {
            err.println(spec.qualifiedName() + ": " + e.getMessage());
            err.flush();
            return RoleCommand.EXIT_BAD_CONFIG;
        }
    }

    private String sign() {
        if (user.isBlank()) {
            throw new ConfigException("--user: \"" + user + "\" (expected: a non-empty user id)");
        }
        Duration lifetime;
        try {
            lifetime = DurationFormat.parse(ttl);
        } catch (RuntimeException e) {
            throw new ConfigException("--ttl: \"" + ttl + "\" (expected: a duration like 30m, 24h)");
        }
        if (lifetime.compareTo(Duration.ofSeconds(1)) < 0 || lifetime.compareTo(MAX_TTL) > 0) {
            throw new ConfigException("--ttl: " + ttl + " (expected: 1s..3650d)");
        }
        Algorithm algorithm;
        Config config = new ConfigLoader(DanmakuKeys.DEFINITION).load(configFile, env, assignments);
        if (rsaPrivateKey != null) {
            algorithm = Algorithm.RSA256(null, readPrivateKey(rsaPrivateKey));
        } else {
            String secret = config.getPassword(DanmakuKeys.TOKEN_HMAC_SECRET).map(Password::value)
                    .orElseThrow(() -> new ConfigException(DanmakuKeys.TOKEN_HMAC_SECRET + ": unset (expected: the "
                            + "secret the gateways verify with, e.g. DANMAKU_TOKEN_HMAC_SECRET, or --rsa-private-key "
                            + "FILE for RS256)"));
            algorithm = Algorithm.HMAC256(secret.getBytes(StandardCharsets.UTF_8));
        }
        Instant now = clock.instant();
        JWTCreator.Builder jwt = JWT.create().withSubject(user).withIssuedAt(now).withExpiresAt(now.plus(lifetime));
        if (name != null && !name.isBlank()) {
            jwt.withClaim("name", name.strip());
        }
        // the gateways require these when configured: a token without them would be refused
        config.getString(DanmakuKeys.TOKEN_AUDIENCE).ifPresent(jwt::withAudience);
        config.getString(DanmakuKeys.TOKEN_ISSUER).ifPresent(jwt::withIssuer);
        if (rooms != null) {
            jwt.withClaim("rooms", rooms.stream().map(String::strip).filter(r -> !r.isEmpty()).toList());
        }
        return jwt.sign(algorithm);
    }

    private static RSAPrivateKey readPrivateKey(Path pem) {
        try {
            String text = Files.readString(pem, StandardCharsets.US_ASCII);
            if (!text.contains("-----BEGIN PRIVATE KEY-----")) {
                throw new IllegalArgumentException("not a PKCS#8 PEM private key");
            }
            String body = text.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
            return (RSAPrivateKey) KeyFactory.getInstance("RSA")
                    .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body)));
        } catch (Exception e) {
            throw new ConfigException("--rsa-private-key: " + pem + " (expected: a readable PEM RSA private key, "
                    + "PKCS#8 as `openssl genpkey -algorithm RSA` writes it): " + e.getMessage());
        }
    }
}
