// amqplib's channel table (`connection.connection.channels`) is read, when present, to listen to a
// channel before it is open.

/** An amqplib channel, as far as listening to it goes. */
interface Heard {
  on?(event: 'error', listener: (error: Error) => void): unknown;
}

/** amqplib's `ChannelModel`, and the channel table of the connection under it. */
interface Model<C> {
  createChannel(): Promise<C>;
  connection?: { channels?: unknown };
}

/** The channels amqplib has allocated on a connection, open or opening. */
function allocated(model: Model<unknown>): Heard[] | undefined {
  const table = model.connection?.channels;
  if (!Array.isArray(table)) return undefined;
  return table
    .map((entry: unknown) => (entry as { channel?: Heard } | null)?.channel)
    .filter((channel): channel is Heard => typeof channel?.on === 'function');
}

/**
 * @internal Opens a channel of the indicator's own on an amqplib connection, its `error` event
 * listened to for good (the channel is the indicator's). amqplib emits a channel's errors with
 * no listener as errors of the whole connection, which it then closes (or which crash the
 * process, when the application does not listen to its connection). `createChannel()` resolves
 * only after amqplib has read the rest of the frames that came with the open-ok: a channel the
 * broker closes at once would be unheard by then. So the listener goes on as amqplib allocates
 * the channel, synchronously; and an error the channel had before it opened rejects the opening.
 */
export function openOwnChannel<C>(model: Model<C>): Promise<C> {
  let failure: Error | undefined;
  const onError = (error: Error) => (failure ??= error);
  const before = new Set(allocated(model));
  const opening = model.createChannel();
  const fresh = allocated(model)?.find((channel) => !before.has(channel));
  fresh?.on?.('error', onError);
  return opening.then((channel) => {
    if (channel !== fresh) (channel as Heard).on?.('error', onError);
    if (failure !== undefined) throw failure;
    return channel;
  });
}
