import { describe, expect, it, jest } from '@jest/globals';
import { EventEmitter, getEventListeners } from 'node:events';
import { MqttHealthIndicator, type MqttClientLike } from './mqtt.indicator.js';

const signal = () => new AbortController().signal;

type Callback = (error?: Error | null) => void;

function client(
  state: Partial<Omit<MqttClientLike, 'publish'>> = {},
  ack: (callback: Callback) => void = (cb) => cb(),
) {
  return {
    connected: true,
    reconnecting: false,
    disconnecting: false,
    disconnected: false,
    options: { clientId: 'mqttjs_1234' },
    publish: jest.fn((_topic: string, _message: string, _options: object, callback: Callback) =>
      ack(callback),
    ),
    ...state,
  };
}

const indicator = (mqtt: unknown, topic?: string) =>
  new MqttHealthIndicator({
    client: mqtt as MqttClientLike,
    ...(topic === undefined ? {} : { topic }),
  });

describe('MqttHealthIndicator', () => {
  it('has its defaults and peer', () => {
    expect(MqttHealthIndicator.defaults).toEqual({ name: 'mqtt', componentType: 'component' });
    expect(MqttHealthIndicator.peer).toBe('mqtt');
  });

  it('rejects settings that cannot work, at start-up', () => {
    expect(() => indicator({ connected: true })).toThrow(
      /MqttHealthIndicator needs an MQTT.js client .* \(an object with publish\(\)\)/,
    );
    for (const topic of ['', 'health/+', 'health/#', '$SYS/health']) {
      expect(() => indicator(client(), topic)).toThrow(/"topic" is .*; it must be a topic/);
    }
  });

  it('publishes QoS 1, not retained, to health/<clientId> and waits for the PUBACK', async () => {
    const mqtt = client();
    await expect(indicator(mqtt).check(signal())).resolves.toEqual({
      details: { topic: 'health/mqttjs_1234' },
    });
    expect(mqtt.publish).toHaveBeenCalledWith(
      'health/mqttjs_1234',
      expect.any(String),
      { qos: 1, retain: false },
      expect.any(Function),
    );
  });

  it('with publish: false, sends a PINGREQ and waits for the PINGRESP, publishing nothing', async () => {
    const events = new EventEmitter();
    const mqtt = Object.assign(events, client(), {
      sendPing: jest.fn(() =>
        setImmediate(() => events.emit('packetreceive', { cmd: 'pingresp' })),
      ),
    });
    const check = new MqttHealthIndicator({ client: mqtt, publish: false });
    await expect(check.check(signal())).resolves.toEqual({ details: { roundTrip: 'PINGREQ' } });
    expect(mqtt.sendPing).toHaveBeenCalledTimes(1);
    expect(mqtt.publish).not.toHaveBeenCalled();
    // Nothing is left listening on the application's client.
    expect(events.listenerCount('packetreceive') + events.listenerCount('close')).toBe(0);
    // A connection that closes before the PINGRESP fails the check.
    mqtt.sendPing.mockImplementation(() => setImmediate(() => events.emit('close')));
    await expect(check.check(signal())).rejects.toThrow('connection closed');
  });

  it('with publish: false and no PINGREQ of its own (MQTT.js 4), says what the state is', async () => {
    const mqtt = client();
    await expect(
      new MqttHealthIndicator({ client: mqtt, publish: false }).check(signal()),
    ).resolves.toEqual({ details: { roundTrip: 'none: the connection state only' } });
    expect(mqtt.publish).not.toHaveBeenCalled();
    expect(() => new MqttHealthIndicator({ client: mqtt, publish: 'no' as never })).toThrow(
      'MqttHealthIndicator: "publish" is "no"; it must be true or false.',
    );
  });

  it('publishes to the topic given, and keeps wildcards out of the default one', async () => {
    const mqtt = client({ options: { clientId: 'a+b#c' } });
    await indicator(mqtt).check(signal());
    expect(mqtt.publish.mock.calls[0][0]).toBe('health/a_b_c');
    await indicator(mqtt, 'probes/orders').check(signal());
    expect(mqtt.publish.mock.calls[1][0]).toBe('probes/orders');
  });

  it('fails with the broker’s refusal', async () => {
    const mqtt = client({}, (cb) => cb(new Error('Publish error: Not authorized')));
    await expect(indicator(mqtt).check(signal())).rejects.toThrow('Publish error: Not authorized');
  });

  it('fails at once while not connected, saying why', async () => {
    const mqtt = client({ connected: false });
    const health = indicator(mqtt);
    await expect(health.check(signal())).rejects.toThrow('not connected (connecting)');
    mqtt.connected = true;
    await health.check(signal());
    mqtt.connected = false;
    await expect(health.check(signal())).rejects.toThrow('not connected (offline)');
    mqtt.reconnecting = true;
    await expect(health.check(signal())).rejects.toThrow('not connected (reconnecting)');
    mqtt.reconnecting = false;
    mqtt.disconnecting = true;
    await expect(health.check(signal())).rejects.toThrow('not connected (disconnecting)');
    mqtt.disconnected = true;
    await expect(health.check(signal())).rejects.toThrow('not connected (ended)');
    expect(mqtt.publish).toHaveBeenCalledTimes(1);
  });

  it('waits for a message still unacknowledged instead of publishing another', async () => {
    let puback!: Callback;
    const mqtt = client({}, (cb) => (puback = cb));
    const health = indicator(mqtt);
    const first = new AbortController();
    const timedOut = health.check(first.signal);
    first.abort(new Error('timed out after 5 ms'));
    await expect(timedOut).rejects.toThrow('timed out after 5 ms');
    const next = health.check(signal());
    puback();
    await expect(next).resolves.toEqual({ details: { topic: 'health/mqttjs_1234' } });
    expect(mqtt.publish).toHaveBeenCalledTimes(1);
  });

  it('gives up when the signal aborts, leaving no listener on it', async () => {
    const controller = new AbortController();
    const running = indicator(client({}, () => undefined)).check(controller.signal);
    controller.abort(new Error('timed out after 5 ms'));
    await expect(running).rejects.toThrow('timed out after 5 ms');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
