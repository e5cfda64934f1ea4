import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** The reply text of the channel close the fake sends. */
export const CHANNEL_CLOSE_TEXT = 'PRECONDITION_FAILED - closed as it opened';

const CONNECTION = 10;
const CHANNEL = 20;
const FRAME_END = 0xce;

const u16 = (value: number) => Buffer.from([value >> 8, value & 0xff]);
const u32 = (value: number) => {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value);
  return buffer;
};
const shortstr = (text: string) =>
  Buffer.concat([Buffer.from([Buffer.byteLength(text)]), Buffer.from(text)]);
const longstr = (text: string) => Buffer.concat([u32(Buffer.byteLength(text)), Buffer.from(text)]);

/** One method frame of AMQP 0-9-1. */
function method(channel: number, classId: number, methodId: number, args: Buffer): Buffer {
  const payload = Buffer.concat([u16(classId), u16(methodId), args]);
  return Buffer.concat([
    Buffer.from([1]),
    u16(channel),
    u32(payload.length),
    payload,
    Buffer.from([FRAME_END]),
  ]);
}

/** The broker's part of the opening handshake, and of a channel's opening, by what the client sent. */
function answer(channel: number, classId: number, methodId: number): Buffer | 'close' | undefined {
  if (classId === CONNECTION && methodId === 11) {
    // StartOk: Tune (no channel limit to speak of, no heartbeat).
    return method(0, CONNECTION, 30, Buffer.concat([u16(2047), u32(131072), u16(0)]));
  }
  if (classId === CONNECTION && methodId === 40) return method(0, CONNECTION, 41, shortstr(''));
  if (classId === CHANNEL && methodId === 10) {
    // Channel.Open: OpenOk, and in the same write a Close of that channel.
    const close = Buffer.concat([u16(406), shortstr(CHANNEL_CLOSE_TEXT), u16(0), u16(0)]);
    return Buffer.concat([
      method(channel, CHANNEL, 11, u32(0)),
      method(channel, CHANNEL, 40, close),
    ]);
  }
  if (classId === CONNECTION && methodId === 50) return 'close';
  return undefined;
}

/**
 * An AMQP 0-9-1 broker that misbehaves: it accepts connections (any credentials) and closes every
 * channel as it opens it, its Channel.OpenOk and Channel.Close in one write, so that a client reads
 * both in the same tick. Everything else the client sends goes unanswered.
 */
export class FakeAmqp {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  /** Channels opened (and closed at once) so far. */
  channelsClosed = 0;

  get url(): string {
    return `amqp://guest:guest@127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async start(): Promise<this> {
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let received = Buffer.alloc(0);
    let greeted = false;
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (!greeted) {
        if (received.length < 8) return; // "AMQP" 0 0 9 1
        received = received.subarray(8);
        greeted = true;
        const start = Buffer.concat([
          Buffer.from([0, 9]),
          u32(0),
          longstr('PLAIN'),
          longstr('en_US'),
        ]);
        socket.write(method(0, CONNECTION, 10, start));
      }
      while (received.length >= 8 && received.length >= 8 + received.readUInt32BE(3)) {
        const size = received.readUInt32BE(3);
        const frame = received.subarray(0, 8 + size);
        received = received.subarray(8 + size);
        if (frame[0] !== 1) continue; // Heartbeats and content: nothing to say.
        const reply = answer(frame.readUInt16BE(1), frame.readUInt16BE(7), frame.readUInt16BE(9));
        if (reply === 'close') socket.end(method(0, CONNECTION, 51, Buffer.alloc(0)));
        else if (reply) {
          if (frame.readUInt16BE(7) === CHANNEL) this.channelsClosed++;
          socket.write(reply);
        }
      }
    });
  }
}
