package io.danmaku.gateway.room;

/**
 * Told when a member joins or leaves a room of this gateway, on the member's event loop (the moment its
 * {@link Member#presence()} is read): the gateway's join and leave events start here. Implementations return at
 * once (anything slow is asynchronous).
 */
public interface JoinLeaveHook {
    JoinLeaveHook NONE = new JoinLeaveHook() {
        @Override
        public void joined(String room, Member member) {
        }

        @Override
        public void left(String room, Member member) {
        }
    };

    void joined(String room, Member member);

    void left(String room, Member member);
}
