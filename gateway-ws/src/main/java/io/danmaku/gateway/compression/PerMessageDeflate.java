package io.danmaku.gateway.compression;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The handshake side of {@code permessage-deflate} (RFC 7692 §5, §7.1): picks the first acceptable offer of a
 * client's {@code Sec-WebSocket-Extensions} and words the answer.
 *
 * <p>The answer always carries {@code server_no_context_takeover} (each server message is deflated on its own, so
 * one compressed batch frame serves every member) and {@code client_no_context_takeover} (each client message is
 * inflated on its own, so a connection keeps no zlib stream). An offer is declined (the next one is tried; none
 * left = no extension, plain frames) when it has an unknown parameter, a parameter twice, a value where none is
 * allowed, or a window size outside 8..15; and when it asks for {@code server_max_window_bits} below 15: the
 * shared frames are deflated with the full 32 KiB window, which such a client could not inflate.
 * {@code client_max_window_bits} needs no answer: any client window up to 15 inflates here.
 */
public final class PerMessageDeflate {
    public static final String EXTENSION = "permessage-deflate";
    static final String SERVER_NO_CONTEXT_TAKEOVER = "server_no_context_takeover";
    static final String CLIENT_NO_CONTEXT_TAKEOVER = "client_no_context_takeover";
    static final String SERVER_MAX_WINDOW_BITS = "server_max_window_bits";
    static final String CLIENT_MAX_WINDOW_BITS = "client_max_window_bits";
    /** The answer to an accepted offer (plus {@code server_max_window_bits=15} when the offer named it). */
    public static final String RESPONSE = EXTENSION + "; " + SERVER_NO_CONTEXT_TAKEOVER + "; "
            + CLIENT_NO_CONTEXT_TAKEOVER;

    private PerMessageDeflate() {
    }

    /**
     * The {@code Sec-WebSocket-Extensions} answer for a request's header values, or null when no offer of
     * {@code permessage-deflate} is acceptable (the connection then goes without).
     */
    public static String negotiate(List<String> headerValues) {
        if (headerValues == null) {
            return null;
        }
        for (String value : headerValues) {
            for (String offer : split(value, ',')) {
                String answer = accept(offer);
                if (answer != null) {
                    return answer;
                }
            }
        }
        return null;
    }

    /** The answer to one offer, or null to decline it. */
    static String accept(String offer) {
        List<String> parts = split(offer, ';');
        if (parts.isEmpty() || !parts.get(0).trim().equalsIgnoreCase(EXTENSION)) {
            return null;
        }
        boolean serverNoContext = false;
        boolean clientNoContext = false;
        boolean serverWindowNamed = false;
        boolean clientWindowNamed = false;
        for (int i = 1; i < parts.size(); i++) {
            String p = parts.get(i).trim();
            if (p.isEmpty()) {
                return null;
            }
            int eq = p.indexOf('=');
            String name = (eq < 0 ? p : p.substring(0, eq)).trim().toLowerCase(Locale.ROOT);
            String val = eq < 0 ? null : unquote(p.substring(eq + 1).trim());
            switch (name) {
                case SERVER_NO_CONTEXT_TAKEOVER -> {
                    if (serverNoContext || val != null) {
                        return null;
                    }
                    serverNoContext = true;
                }
                case CLIENT_NO_CONTEXT_TAKEOVER -> {
                    if (clientNoContext || val != null) {
                        return null;
                    }
                    clientNoContext = true;
                }
                case SERVER_MAX_WINDOW_BITS -> {
                    // the value is required; below 15 the shared frames could not be read by this client
                    if (serverWindowNamed || windowBits(val) != 15) {
                        return null;
                    }
                    serverWindowNamed = true;
                }
                case CLIENT_MAX_WINDOW_BITS -> {
                    // the value is optional: the client only says it could honour a limit; we set none
                    if (clientWindowNamed || (val != null && windowBits(val) < 0)) {
                        return null;
                    }
                    clientWindowNamed = true;
                }
                default -> {
                    return null;
                }
            }
        }
        return serverWindowNamed ? RESPONSE + "; " + SERVER_MAX_WINDOW_BITS + "=15" : RESPONSE;
    }

    /** 8..15 written as 1*DIGIT without a leading zero (RFC 7692 §7.1.2), else -1. */
    private static int windowBits(String v) {
        if (v == null || v.isEmpty() || v.length() > 2 || v.charAt(0) == '0') {
            return -1;
        }
        int n = 0;
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            n = n * 10 + (c - '0');
        }
        return n >= 8 && n <= 15 ? n : -1;
    }

    private static String unquote(String v) {
        if (v.length() >= 2 && v.charAt(0) == '"' && v.charAt(v.length() - 1) == '"') {
            return v.substring(1, v.length() - 1);
        }
        return v;
    }

    /** Splits on {@code sep} outside double quotes. */
    private static List<String> split(String s, char sep) {
        List<String> out = new ArrayList<>();
        boolean quoted = false;
        int start = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (c == sep && !quoted) {
                out.add(s.substring(start, i));
                start = i + 1;
            }
        }
        out.add(s.substring(start));
        return out;
    }
}
