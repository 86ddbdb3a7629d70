using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Vici.Internal;

namespace Overlay.Vici;

/// <summary>
/// A client of charon's VICI socket: commands (<see cref="CallAsync"/>, <see cref="CallCheckedAsync"/>), commands
/// that stream events before their answer (<see cref="CallCollectingAsync"/>, e.g. <c>list-sas</c>), and event
/// subscriptions (<see cref="SubscribeAsync"/>, e.g. <c>ike-updown</c>, <c>child-updown</c>, <c>log</c>). One
/// connection is reused for everything; exchanges are one at a time, as the protocol requires. When charon closes
/// the connection (it restarted), pending calls fail with a transient <see cref="ViciException"/>, the next call
/// connects again, and subscriptions are registered again in the background, so their enumerations go on.
/// Thread-safe.
/// </summary>
public sealed class ViciClient : IAsyncDisposable
{
    private readonly ViciClientOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _exchange = new(1, 1);
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<Subscription>> _subscriptions = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _disposed = new();
    private Connection? _connection;
    private bool _everConnected;
    private Task _reconnecting = Task.CompletedTask;

    private ViciClient(ViciClientOptions options, ILoggerFactory? loggerFactory)
    {
        _options = options;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<ViciClient>();
    }

    /// <summary>The options.</summary>
    public ViciClientOptions Options => _options;

    /// <summary>Whether a connection to charon is open now.</summary>
    public bool IsConnected => Volatile.Read(ref _connection) is { IsOpen: true };

    /// <summary>Connects to charon's socket.</summary>
    /// <param name="options">Where the socket is; null for strongSwan's default path.</param>
    /// <param name="loggerFactory">Logging; null for none.</param>
    /// <param name="cancellationToken">Cancels the connection attempt.</param>
    /// <returns>The connected client; dispose it.</returns>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    /// <exception cref="ViciException">The socket is missing or refuses the connection (transient: charon may be starting).</exception>
    public static async Task<ViciClient> ConnectAsync(ViciClientOptions? options = null, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        options ??= new ViciClientOptions();
        options.Validate();
        var client = new ViciClient(options, loggerFactory);
        try
        {
            await client._exchange.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await client.EnsureConnectedAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                client._exchange.Release();
            }

            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Sends a command and returns charon's answer as it is.</summary>
    /// <param name="command">The command, e.g. <c>version</c>.</param>
    /// <param name="request">Its message; null for none.</param>
    /// <param name="cancellationToken">Cancels the call (the connection is then closed, see <see cref="ViciClientOptions.CommandTimeout"/>).</param>
    /// <returns>The answer.</returns>
    /// <exception cref="ViciCommandException">charon does not know the command.</exception>
    /// <exception cref="ViciException">No connection, or no answer in time.</exception>
    public async Task<ViciMessage> CallAsync(string command, ViciMessage? request = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        ViciPacket answer = await ExchangeAsync(ViciPacketType.CommandRequest, command, request ?? new ViciMessage(), cancellationToken).ConfigureAwait(false);
        return answer.Type == ViciPacketType.CommandUnknown
            ? throw new ViciCommandException(command, null, unknownCommand: true)
            : answer.Message ?? new ViciMessage();
    }

    /// <summary>Sends a command whose answer carries <c>success</c> (<c>load-conn</c>, <c>load-shared</c>,
    /// <c>unload-conn</c>, <c>initiate</c>, …) and checks it.</summary>
    /// <param name="command">The command.</param>
    /// <param name="request">Its message; null for none.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The answer (success).</returns>
    /// <exception cref="ViciCommandException">charon refused the command (<see cref="ViciCommandException.ErrorMessage"/> says why) or does not know it.</exception>
    /// <exception cref="ViciException">No connection, or no answer in time.</exception>
    public async Task<ViciMessage> CallCheckedAsync(string command, ViciMessage? request = null, CancellationToken cancellationToken = default)
    {
        ViciMessage answer = await CallAsync(command, request, cancellationToken).ConfigureAwait(false);
        return answer.GetString("success") == "yes" ? answer : throw new ViciCommandException(command, answer.GetString("errmsg"));
    }

    /// <summary>
    /// Sends a command that answers with events before its response — <c>list-sas</c> (events <c>list-sa</c>),
    /// <c>list-conns</c> (<c>list-conn</c>), <c>list-policies</c> (<c>list-policy</c>) — and returns the events.
    /// </summary>
    /// <param name="command">The command.</param>
    /// <param name="eventName">The event it streams.</param>
    /// <param name="request">Its message (filters such as <c>ike</c>); null for none.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The events, in order.</returns>
    /// <exception cref="ViciCommandException">charon refused the command, or does not know it or the event.</exception>
    /// <exception cref="ViciException">No connection, or no answer in time.</exception>
    public async Task<IReadOnlyList<ViciMessage>> CallCollectingAsync(string command, string eventName, ViciMessage? request = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        var subscription = new Subscription(eventName, Channel.CreateUnbounded<ViciMessage>(new UnboundedChannelOptions { SingleReader = true }));
        await AddSubscriptionAsync(subscription, cancellationToken).ConfigureAwait(false);
        try
        {
            ViciMessage answer = await CallAsync(command, request, cancellationToken).ConfigureAwait(false);
            if (answer.GetString("success") is { } success && success != "yes")
            {
                throw new ViciCommandException(command, answer.GetString("errmsg"));
            }

            // The events came before the answer on the one connection, so they are all in the channel now.
            subscription.Channel.Writer.TryComplete();
            var events = new List<ViciMessage>();
            while (subscription.Channel.Reader.TryRead(out ViciMessage? message))
            {
                events.Add(message);
            }

            return events;
        }
        finally
        {
            await RemoveSubscriptionAsync(subscription).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Registers for an event and yields each one until <paramref name="cancellationToken"/> is cancelled or the
    /// client is disposed. The registration survives reconnections (events sent while the connection was down are
    /// lost); when charon goes away during the registration itself, it is registered once charon is back. A subscriber that falls behind by <see cref="ViciClientOptions.EventBufferCapacity"/> events loses
    /// the oldest ones (logged).
    /// </summary>
    /// <param name="eventName">The event, e.g. <c>ike-updown</c>, <c>child-updown</c> or <c>log</c>.</param>
    /// <param name="cancellationToken">Ends the subscription.</param>
    /// <returns>The events.</returns>
    /// <exception cref="ViciCommandException">charon does not know the event.</exception>
    /// <exception cref="ViciException">No connection when registering.</exception>
    public async IAsyncEnumerable<ViciMessage> SubscribeAsync(string eventName, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        Subscription? subscription = null;
        subscription = new Subscription(eventName, Channel.CreateBounded<ViciMessage>(
            new BoundedChannelOptions(_options.EventBufferCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            _ => Log.EventsDropped(_logger, eventName, Interlocked.Increment(ref subscription!.Dropped))));
        await AddSubscriptionAsync(subscription, cancellationToken).ConfigureAwait(false);
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
            while (true)
            {
                ViciMessage? message;
                try
                {
                    if (!await subscription.Channel.Reader.WaitToReadAsync(linked.Token).ConfigureAwait(false))
                    {
                        yield break;
                    }

                    if (!subscription.Channel.Reader.TryRead(out message))
                    {
                        continue;
                    }
                }
                catch (OperationCanceledException) when (_disposed.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    yield break;
                }

                yield return message;
            }
        }
        finally
        {
            await RemoveSubscriptionAsync(subscription).ConfigureAwait(false);
        }
    }

    /// <summary>Closes the connection and ends every subscription.</summary>
    /// <returns>A task.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }

        await _disposed.CancelAsync().ConfigureAwait(false);
        Connection? connection;
        lock (_gate)
        {
            connection = _connection;
            _connection = null;
            foreach (Subscription s in _subscriptions.Values.SelectMany(l => l))
            {
                s.Channel.Writer.TryComplete();
            }

            _subscriptions.Clear();
        }

        if (connection is not null)
        {
            await connection.CloseAsync("the client was disposed").ConfigureAwait(false);
        }

        try
        {
            await _reconnecting.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task AddSubscriptionAsync(Subscription subscription, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        bool first;
        lock (_gate)
        {
            if (!_subscriptions.TryGetValue(subscription.Name, out List<Subscription>? list))
            {
                _subscriptions[subscription.Name] = list = [];
            }

            first = list.Count == 0;
            list.Add(subscription);
        }

        if (!first)
        {
            return;
        }

        try
        {
            ViciPacket answer = await ExchangeAsync(ViciPacketType.EventRegister, subscription.Name, null, cancellationToken).ConfigureAwait(false);
            if (answer.Type == ViciPacketType.EventUnknown)
            {
                throw new ViciCommandException($"event-register {subscription.Name}", $"charon does not know the event '{subscription.Name}'");
            }
        }
        catch (ViciException ex) when (ex.IsTransient && !cancellationToken.IsCancellationRequested)
        {
            // charon went away while registering: the subscription stays, and is registered when charon is back.
            StartReconnecting();
        }
        catch
        {
            lock (_gate)
            {
                if (_subscriptions.TryGetValue(subscription.Name, out List<Subscription>? list))
                {
                    list.Remove(subscription);
                }
            }

            throw;
        }
    }

    private async Task RemoveSubscriptionAsync(Subscription subscription)
    {
        bool last;
        lock (_gate)
        {
            last = _subscriptions.TryGetValue(subscription.Name, out List<Subscription>? list) && list.Remove(subscription) && list.Count == 0;
        }

        subscription.Channel.Writer.TryComplete();
        if (!last || _disposed.IsCancellationRequested || !IsConnected)
        {
            return;
        }

        try
        {
            await ExchangeAsync(ViciPacketType.EventUnregister, subscription.Name, null, CancellationToken.None).ConfigureAwait(false);
        }
        catch (ViciException)
        {
            // The connection went away: nothing is registered any more.
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task<ViciPacket> ExchangeAsync(ViciPacketType type, string name, ViciMessage? message, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        await _exchange.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Connection connection = await EnsureConnectedAsync(cancellationToken).ConfigureAwait(false);
            return await connection.ExchangeAsync(type, name, message, _options.CommandTimeout, _logger, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _exchange.Release();
        }
    }

    /// <summary>The open connection, or a new one with every subscribed event registered. Called with <see cref="_exchange"/> held.</summary>
    private async Task<Connection> EnsureConnectedAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _connection) is { IsOpen: true } open)
        {
            return open;
        }

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(_options.SocketPath), cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new ViciException($"Cannot connect to charon's VICI socket {_options.SocketPath}: {ex.Message} (is charon running with the vici plugin?).", isTransient: true, ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var connection = new Connection(socket, _options.MaxPacketSize, Dispatch, OnConnectionLost);
        string[] events;
        bool reconnect;
        lock (_gate)
        {
            _connection = connection;
            reconnect = _everConnected;
            _everConnected = true;
            events = [.. _subscriptions.Where(s => s.Value.Count > 0).Select(s => s.Key)];
        }

        connection.Start();
        Log.Connected(_logger, _options.SocketPath);
        foreach (string name in events)
        {
            ViciPacket answer = await connection.ExchangeAsync(ViciPacketType.EventRegister, name, null, _options.CommandTimeout, _logger, cancellationToken).ConfigureAwait(false);
            if (answer.Type != ViciPacketType.EventConfirm)
            {
                throw new ViciException($"charon no longer knows the event '{name}' after reconnecting.", isTransient: false);
            }
        }

        if (reconnect)
        {
            Log.Reconnected(_logger, _options.SocketPath, events.Length);
        }

        return connection;
    }

    private void Dispatch(string name, ViciMessage message)
    {
        lock (_gate)
        {
            if (_subscriptions.TryGetValue(name, out List<Subscription>? list))
            {
                foreach (Subscription s in list)
                {
                    s.Channel.Writer.TryWrite(message);
                }
            }
        }
    }

    private void OnConnectionLost(Connection connection, string reason)
    {
        bool resubscribe;
        lock (_gate)
        {
            if (!ReferenceEquals(_connection, connection))
            {
                return;
            }

            _connection = null;
            resubscribe = !_disposed.IsCancellationRequested && _subscriptions.Values.Any(l => l.Count > 0);
        }

        if (_disposed.IsCancellationRequested)
        {
            return;
        }

        Log.ConnectionLost(_logger, _options.SocketPath, reason);
        if (resubscribe)
        {
            StartReconnecting();
        }
    }

    private void StartReconnecting()
    {
        lock (_gate)
        {
            if (_reconnecting.IsCompleted && !_disposed.IsCancellationRequested)
            {
                _reconnecting = Task.Run(ReconnectLoopAsync);
            }
        }
    }

    /// <summary>Reconnects with back-off while subscriptions wait for their events.</summary>
    private async Task ReconnectLoopAsync()
    {
        TimeSpan delay = _options.ReconnectDelay;
        CancellationToken stop = _disposed.Token;
        while (!stop.IsCancellationRequested)
        {
            lock (_gate)
            {
                if (!_subscriptions.Values.Any(l => l.Count > 0))
                {
                    return;
                }
            }

            await Task.Delay(delay, stop).ConfigureAwait(false);
            try
            {
                await _exchange.WaitAsync(stop).ConfigureAwait(false);
                try
                {
                    await EnsureConnectedAsync(stop).ConfigureAwait(false);
                    return;
                }
                finally
                {
                    _exchange.Release();
                }
            }
            catch (ViciException ex)
            {
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxReconnectDelay.Ticks));
                Log.ReconnectFailed(_logger, _options.SocketPath, ex.Message, delay);
            }
        }
    }

    private sealed class Subscription(string name, Channel<ViciMessage> channel)
    {
        public long Dropped;

        public string Name { get; } = name;

        public Channel<ViciMessage> Channel { get; } = channel;
    }

    /// <summary>One socket, its pipes and the loop that reads packets from it (whose end releases the stream).</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The read loop's end disposes the stream; the CancellationTokenSource has no timer to release.")]
    private sealed class Connection
    {
        private readonly Socket _socket;
        private readonly NetworkStream _stream;
        private readonly PipeReader _reader;
        private readonly PipeWriter _writer;
        private readonly int _maxPacketSize;
        private readonly Action<string, ViciMessage> _dispatch;
        private readonly Action<Connection, string> _lost;
        private readonly CancellationTokenSource _closed = new();
        private TaskCompletionSource<ViciPacket>? _pending;
        private Task _loop = Task.CompletedTask;
        private string? _closeReason;

        public Connection(Socket socket, int maxPacketSize, Action<string, ViciMessage> dispatch, Action<Connection, string> lost)
        {
            _socket = socket;
            _stream = new NetworkStream(socket, ownsSocket: true);
            _reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true));
            _writer = PipeWriter.Create(_stream, new StreamPipeWriterOptions(leaveOpen: true));
            _maxPacketSize = maxPacketSize;
            _dispatch = dispatch;
            _lost = lost;
        }

        public bool IsOpen => !_closed.IsCancellationRequested;

        public void Start() => _loop = Task.Run(ReadLoopAsync);

        public async Task<ViciPacket> ExchangeAsync(ViciPacketType type, string name, ViciMessage? message, TimeSpan timeout, ILogger logger, CancellationToken cancellationToken)
        {
            if (!IsOpen)
            {
                throw new ViciException($"The VICI connection is closed ({_closeReason}).", isTransient: true);
            }

            var answer = new TaskCompletionSource<ViciPacket>(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _pending, answer);
            if (_closed.IsCancellationRequested)
            {
                answer.TrySetException(new ViciException($"The VICI connection is closed ({_closeReason}).", isTransient: true));
            }

            Log.CommandSent(logger, type, name, message);

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            try
            {
                ViciCodec.WritePacket(_writer, type, name, message);
                await _writer.FlushAsync(deadline.Token).ConfigureAwait(false);
                return await answer.Task.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // A late answer must never be taken for the next exchange's: close the connection.
                await CloseAsync($"no answer to '{name}' within {timeout.TotalSeconds:0.#} s").ConfigureAwait(false);
                throw new ViciException($"charon did not answer '{name}' within {timeout.TotalSeconds:0.#} s.", isTransient: true);
            }
            catch (OperationCanceledException)
            {
                await CloseAsync($"'{name}' was cancelled while waiting for its answer").ConfigureAwait(false);
                throw;
            }
            catch (IOException ex)
            {
                await CloseAsync(ex.Message).ConfigureAwait(false);
                throw new ViciException($"Sending '{name}' to charon failed: {ex.Message}", isTransient: true, ex);
            }
            finally
            {
                Interlocked.CompareExchange(ref _pending, null, answer);
            }
        }

        public async Task CloseAsync(string reason)
        {
            if (Interlocked.CompareExchange(ref _closeReason, reason, null) is not null)
            {
                await _loop.ConfigureAwait(false);
                return;
            }

            await _closed.CancelAsync().ConfigureAwait(false);
            try
            {
                _socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Already gone.
            }

            await _loop.ConfigureAwait(false);
        }

        private async Task ReadLoopAsync()
        {
            string reason = "charon closed the connection";
            try
            {
                while (true)
                {
                    ReadResult result = await _reader.ReadAsync(_closed.Token).ConfigureAwait(false);
                    System.Buffers.ReadOnlySequence<byte> buffer = result.Buffer;
                    while (ViciCodec.TryReadPacket(ref buffer, _maxPacketSize, out ViciPacket packet))
                    {
                        if (packet.Type == ViciPacketType.Event)
                        {
                            _dispatch(packet.Name!, packet.Message!);
                        }
                        else if (Interlocked.Exchange(ref _pending, null) is { } pending)
                        {
                            pending.TrySetResult(packet);
                        }
                        else
                        {
                            throw new ViciException($"charon sent an unexpected {packet.Type} packet.", isTransient: true);
                        }
                    }

                    _reader.AdvanceTo(buffer.Start, buffer.End);
                    if (result.IsCompleted)
                    {
                        break;
                    }
                }
            }
            catch (OperationCanceledException) when (_closed.IsCancellationRequested)
            {
                reason = _closeReason ?? "closed";
            }
            catch (Exception ex) when (ex is IOException or SocketException or ViciException or ObjectDisposedException)
            {
                reason = ex.Message;
            }
            finally
            {
                Interlocked.CompareExchange(ref _closeReason, reason, null);
                await _closed.CancelAsync().ConfigureAwait(false);
                Interlocked.Exchange(ref _pending, null)?.TrySetException(new ViciException($"The VICI connection was lost: {reason}", isTransient: true));
                await _reader.CompleteAsync().ConfigureAwait(false);
                await _writer.CompleteAsync().ConfigureAwait(false);
                await _stream.DisposeAsync().ConfigureAwait(false);
                _lost(this, reason);
            }
        }
    }
}
