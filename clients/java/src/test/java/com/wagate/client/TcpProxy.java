package com.wagate.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * A TCP proxy on 127.0.0.1 in front of the gateway: {@link #cut} closes its connections; while
 * down it closes new ones at once.
 */
final class TcpProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final String targetHost;
  private final int targetPort;
  private final List<Socket> sockets = new ArrayList<>();
  private volatile boolean down;

  TcpProxy(String target) throws IOException {
    int colon = target.lastIndexOf(':');
    this.targetHost = target.substring(0, colon);
    this.targetPort = Integer.parseInt(target.substring(colon + 1));
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::serve, "proxy-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  String address() {
    return "127.0.0.1:" + listener.getLocalPort();
  }

  void setDown(boolean down) {
    this.down = down;
  }

  private void serve() {
    while (true) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        return;
      }
      if (down) {
        closeQuietly(client);
        continue;
      }
      try {
        Socket server = new Socket();
        server.connect(new InetSocketAddress(targetHost, targetPort));
        synchronized (sockets) {
          sockets.add(client);
          sockets.add(server);
        }
        pipe(client, server);
        pipe(server, client);
      } catch (IOException e) {
        closeQuietly(client);
      }
    }
  }

  private static void pipe(Socket from, Socket to) {
    Thread thread =
        new Thread(
            () -> {
              byte[] buffer = new byte[65536];
              try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) > 0) {
                  out.write(buffer, 0, n);
                  out.flush();
                }
              } catch (IOException e) {
                // the connection was cut
              } finally {
                closeQuietly(from);
                closeQuietly(to);
              }
            },
            "proxy-pipe");
    thread.setDaemon(true);
    thread.start();
  }

  /** Closes every open connection. */
  void cut() {
    synchronized (sockets) {
      sockets.forEach(TcpProxy::closeQuietly);
      sockets.clear();
    }
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public void close() throws IOException {
    listener.close();
    cut();
  }
}
