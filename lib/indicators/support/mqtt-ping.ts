/** An MQTT.js client, as far as its own PINGREQ goes (`sendPing()`, MQTT.js 5). */
interface PingingClient {
  sendPing?(): void;
  on?(event: string, listener: (packet: { cmd?: unknown }) => void): unknown;
  removeListener?(event: string, listener: (packet: { cmd?: unknown }) => void): unknown;
}

/** @internal What a check that publishes nothing reports of its round trip. */
export const PING_DETAILS = { roundTrip: 'PINGREQ' } as const;
/** @internal Its details where the client cannot send a PINGREQ of its own (MQTT.js 4). */
export const STATE_DETAILS = { roundTrip: 'none: the connection state only' } as const;

/**
 * @internal MQTT's own round trip, which changes nothing: a PINGREQ, resolved by the broker's
 * PINGRESP (the keep-alive's, as MQTT.js sends one itself). Nothing is published. `false` when
 * the client cannot send one (MQTT.js 4): its connection state is then all there is to tell.
 * A connection closed meanwhile rejects; one that never answers leaves one listener until it
 * answers or closes, the next checks waiting for it rather than adding more (`PendingCall`).
 */
export function pingResponse(client: PingingClient): Promise<boolean> {
  const { sendPing, on, removeListener } = client;
  if (typeof sendPing !== 'function' || typeof on !== 'function') return Promise.resolve(false);
  if (typeof removeListener !== 'function') return Promise.resolve(false);
  return new Promise((resolve, reject) => {
    const done = () => {
      removeListener.call(client, 'packetreceive', onPacket);
      removeListener.call(client, 'close', onClose);
    };
    const onPacket = (packet: { cmd?: unknown }) => {
      if (packet?.cmd !== 'pingresp') return;
      done();
      resolve(true);
    };
    const onClose = () => {
      done();
      reject(new Error('connection closed'));
    };
    on.call(client, 'packetreceive', onPacket);
    on.call(client, 'close', onClose);
    sendPing.call(client);
  });
}
