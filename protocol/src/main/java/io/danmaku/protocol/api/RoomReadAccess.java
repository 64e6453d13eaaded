package io.danmaku.protocol.api;

/**
 * Who may read a room over HTTP (the history API): the same rules as subscribing on a connection, decided from the
 * request's credentials by whoever knows them (the server wiring: connection tokens and the API key). Thread-safe.
 */
@FunctionalInterface
public interface RoomReadAccess {
    /** Everyone may read every room: for embedders that authenticate in front of the API, and tests. */
    RoomReadAccess OPEN = (request, room) -> Verdict.ALLOWED;

    /** Whether {@code request} may read {@code room}. */
    Verdict check(ApiRequest request, String room);

    /**
     * The answer. {@code status} 200 = allowed; 401 = no or bad credentials (code 101, unauthorized); 403 = the
     * credentials do not allow this room (code 103, permission denied); {@code message} says which.
     */
    record Verdict(int status, String message) {
        public static final Verdict ALLOWED = new Verdict(200, "allowed");

        public static Verdict unauthorized(String message) {
            return new Verdict(401, message);
        }

        public static Verdict forbidden(String message) {
            return new Verdict(403, message);
        }

        public boolean allowed() {
            return status == 200;
        }
    }
}
