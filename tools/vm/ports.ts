/** Free loopback ports for QEMU's SSH forward, picked in-process. */
import net from 'node:net';

/**
 * Asks the kernel for a free port on 127.0.0.1 (bind to 0, read it, close).
 * Another process can take it before QEMU binds it: callers retry on a clash
 * (see isHostForwardClash). Ports handed out by this process are not reused,
 * so concurrent runs here never race each other for the same one.
 */
const handedOut = new Set<number>();

export async function pickFreePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.unref();
      server.on('error', reject);
      server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
        const addr = server.address();
        const p = typeof addr === 'object' && addr ? addr.port : 0;
        server.close(() => resolve(p));
      });
    });
    if (port > 0 && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('could not find a free port on 127.0.0.1');
}
