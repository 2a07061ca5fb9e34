import net from "node:net";

/**
 * A TCP relay to PostgreSQL that can fail the way networks do. freeze(): connections stay open but nothing gets
 * through, as when a path to the database host black-holes. cut(): every connection is reset and new ones are
 * refused, as when the host is down. heal() resets what is left and lets new connections through again.
 */
export async function startRelay(host: string, port: number) {
  let frozen = false;
  let cut = false;
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  };
  const resetAll = () => {
    for (const socket of sockets) socket.destroy();
  };
  const server = net.createServer((client) => {
    if (cut) {
      client.on("error", () => {});
      client.destroy();
      return;
    }
    const upstream = net.connect(port, host);
    track(client);
    track(upstream);
    client.on("data", (data) => frozen || upstream.write(data));
    upstream.on("data", (data) => frozen || client.write(data));
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("relay has no port");
  return {
    port: address.port,
    freeze: () => {
      frozen = true;
    },
    cut: () => {
      cut = true;
      resetAll();
    },
    heal: () => {
      resetAll();
      frozen = false;
      cut = false;
    },
    close: () => {
      resetAll();
      server.close();
    },
  };
}
