import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/**
 * Holds TCP ports the way another program on a developer's machine would (node_exporter on 9100, a dev server on
 * 8080): binds each on every address and accepts nothing. A port some other process already holds is just as
 * taken, so it is reported and left alone. Prints {@code HOLDING <ports>} once done, then sleeps until killed.
 * Run as a single-file program: {@code java .ci/HoldPorts.java 8080 9100 9090}.
 */
public final class HoldPorts {
    public static void main(String[] args) throws Exception {
        List<ServerSocket> held = new ArrayList<>();
        for (String arg : args) {
            ServerSocket socket = new ServerSocket();
            try {
                socket.bind(new InetSocketAddress(Integer.parseInt(arg)));
                held.add(socket);
            } catch (IOException e) {
                socket.close();
                System.out.println("port " + arg + " is already taken by another process (" + e.getMessage() + ")");
            }
        }
        System.out.println("HOLDING " + String.join(" ", args));
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
