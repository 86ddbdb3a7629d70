using System.Buffers;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Netlink.Internal;

namespace Overlay.Netlink;

/// <summary>
/// An rtnetlink (and xfrm) client: links, addresses, routes, neighbours, FDB entries, bulk
/// programming, notifications and xfrm policies/states, each as a typed async operation.
/// One request is in flight per client at a time; open several clients for parallelism.
/// </summary>
public sealed partial class NetlinkClient : IDisposable
{
    private const int SmallRequest = 1024;
    private readonly NetlinkClientOptions _options;
    private readonly ILogger _logger;
    private readonly NetlinkConnection _route;
    private readonly Lock _xfrmLock = new();
    private NetlinkConnection? _xfrm;
    private bool _disposed;

    private NetlinkClient(NetlinkClientOptions options, ILogger logger, NetlinkConnection route)
    {
        _options = options;
        _logger = logger;
        _route = route;
    }

    /// <summary>The namespace the client's sockets live in (null: the namespace of the thread that opened it).</summary>
    public NetworkNamespace? NetworkNamespace => _options.NetworkNamespace;

    /// <summary>Opens a client (an rtnetlink socket; the xfrm socket is opened on first use).</summary>
    /// <param name="options">Options, including the namespace.</param>
    /// <returns>The client.</returns>
    public static NetlinkClient Open(NetlinkClientOptions? options = null)
    {
        options ??= new NetlinkClientOptions();
        ILogger logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Overlay.Netlink");
        INetlinkTransport transport = OpenTransport(options, NetlinkProtocol.Route, [], logger);
        return new NetlinkClient(options, logger, new NetlinkConnection(transport, logger, options.RetryInterruptedDumps));
    }

    internal static NetlinkClient CreateForTest(INetlinkTransport transport, NetlinkClientOptions? options = null)
    {
        options ??= new NetlinkClientOptions();
        ILogger logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Overlay.Netlink");
        return new NetlinkClient(options, logger, new NetlinkConnection(transport, logger, options.RetryInterruptedDumps));
    }

    /// <summary>Closes the sockets.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _route.Dispose();
        _xfrm?.Dispose();
        _netfilter?.Dispose();
    }

    private static INetlinkTransport OpenTransport(NetlinkClientOptions options, int protocol, int[] groups, ILogger logger)
    {
        INetlinkTransport Open() => SocketNetlinkTransport.Open(protocol, groups, options.ReceiveBufferSize, options.SendBufferSize, options.ExtendedAcknowledgements);
        INetlinkTransport transport = options.NetworkNamespace is { } ns ? ns.Run(Open) : Open();
        Log.SocketOpened(logger, protocol, transport.PortId);
        return transport;
    }

    private NetlinkConnection Xfrm
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            lock (_xfrmLock)
            {
                return _xfrm ??= new NetlinkConnection(OpenTransport(_options, NetlinkProtocol.Xfrm, [], _logger), _logger, _options.RetryInterruptedDumps);
            }
        }
    }

    /// <summary>Builds one request with <paramref name="build"/> and executes it on <paramref name="connection"/>.</summary>
    private async ValueTask ExecuteAsync<TState>(NetlinkConnection connection, TState state, RequestBuilder<TState> build, string operation, ReplyHandler? onReply, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(SmallRequest);
        try
        {
            int length = Build(buffer, state, build, connection.NextSequence());
            await connection.ExecuteAsync(buffer.AsMemory(0, length), operation, onReply, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async ValueTask<List<T>> DumpAsync<T>(NetlinkConnection connection, ushort type, byte family, int headerLength, Func<NetlinkMessage, T?> decode, Func<T, bool>? filter, string operation, CancellationToken cancellationToken)
        where T : class
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(SmallRequest);
        var results = new List<T>();
        try
        {
            int length = BuildDump(buffer, type, family, headerLength);
            await connection.DumpAsync(
                buffer.AsMemory(0, length),
                operation,
                message =>
                {
                    if (message.Header.Type == type - 2)
                    {
                        T? item = decode(message);
                        if (item is not null && (filter is null || filter(item)))
                        {
                            results.Add(item);
                        }
                    }
                },
                results.Clear,
                cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return results;
    }

    private static int BuildDump(byte[] buffer, ushort type, byte family, int headerLength)
    {
        var writer = new NetlinkMessageWriter(buffer);
        RtnetlinkCodec.WriteDump(ref writer, type, family, headerLength, 0);
        return writer.Length;
    }

    private static int Build<TState>(byte[] buffer, TState state, RequestBuilder<TState> build, uint sequence)
    {
        var writer = new NetlinkMessageWriter(buffer);
        build(ref writer, state, sequence);
        return writer.Finish();
    }

    private static async IAsyncEnumerable<T> Enumerate<T>(Func<CancellationToken, ValueTask<List<T>>> dump, CancellationToken token, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(token, cancellationToken);
        foreach (T item in await dump(linked.Token).ConfigureAwait(false))
        {
            linked.Token.ThrowIfCancellationRequested();
            yield return item;
        }
    }

    private static bool IsAbsent(NetlinkException ex) => ex.IsNotFound;

    private delegate void RequestBuilder<TState>(ref NetlinkMessageWriter writer, TState state, uint sequence);
}
