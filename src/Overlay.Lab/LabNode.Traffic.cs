using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Overlay.Lab.Internal;

namespace Overlay.Lab;

public sealed partial class LabNode
{
    /// <summary>How many echo requests <see cref="PingUntilAsync"/> sends at most by default.</summary>
    public const int DefaultPingAttempts = 10;

    /// <summary>How long one echo request waits for its reply by default (as <c>ping -W 2</c>).</summary>
    public static readonly TimeSpan DefaultPingTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Sends one ICMP (IPv4) or ICMPv6 echo request from inside the node, over a raw socket created
    /// in its namespace (no <c>ping</c> binary), and waits for the matching reply.
    /// </summary>
    /// <param name="target">The address to ping.</param>
    /// <param name="source">The source address (bound, as <c>ping -I ADDRESS</c>), e.g. the node's
    /// <see cref="PodAddress"/> to test pod-to-pod paths; null lets the kernel choose.</param>
    /// <param name="timeout">How long to wait for the reply; null for <see cref="DefaultPingTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The round-trip time, or null when no reply came in time (or the kernel refused to
    /// send, e.g. no route).</returns>
    public Task<TimeSpan?> PingAsync(IPAddress target, IPAddress? source = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        PingUntilAsync(target, source, attempts: 1, timeout, cancellationToken);

    /// <summary>
    /// Sends echo requests (as <see cref="PingAsync"/>) one after another until one is answered or
    /// <paramref name="attempts"/> are used; the first ones may be lost while neighbours are resolved
    /// or an agent is still programming its peers. An attempt the kernel refuses still takes its
    /// <paramref name="timeout"/>, so the attempts span a predictable time.
    /// </summary>
    /// <param name="target">The address to ping.</param>
    /// <param name="source">The source address, or null.</param>
    /// <param name="attempts">The most echo requests to send (at least 1).</param>
    /// <param name="timeout">How long each waits for its reply; null for <see cref="DefaultPingTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the pings.</param>
    /// <returns>The round-trip time of the first answered request, or null when none was answered.</returns>
    public Task<TimeSpan?> PingUntilAsync(IPAddress target, IPAddress? source = null, int attempts = DefaultPingAttempts, TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(attempts);
        TimeSpan wait = timeout ?? DefaultPingTimeout;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(wait, TimeSpan.Zero, nameof(timeout));
        if (source is not null && source.AddressFamily != target.AddressFamily)
        {
            throw new ArgumentException($"Source {source} and target {target} are of different address families.", nameof(source));
        }

        return IcmpEcho.PingAsync(_namespace, source, target, attempts, wait, cancellationToken);
    }

    /// <summary>
    /// Sends <paramref name="bytes"/> of pseudo-random data over TCP from this node's
    /// <paramref name="source"/> to <paramref name="peer"/>'s <paramref name="target"/> (sockets
    /// created inside the two namespaces) and returns true when the far end received exactly those
    /// bytes (SHA-256 compared).
    /// </summary>
    /// <param name="peer">The receiving node.</param>
    /// <param name="source">The local address to send from (e.g. <see cref="PodAddress"/>).</param>
    /// <param name="target">The peer's address to send to (e.g. its <see cref="PodAddress"/>).</param>
    /// <param name="bytes">How many bytes.</param>
    /// <param name="cancellationToken">Cancels the transfer.</param>
    /// <returns>True when every byte arrived intact.</returns>
    public async Task<bool> TcpTransferAsync(LabNode peer, IPAddress source, IPAddress target, long bytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        using Socket listener = peer.OpenNamespace().CreateSocket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(target, 0));
        listener.Listen(1);
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;

        Task<byte[]> receive = Task.Run(async () =>
        {
            using Socket accepted = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            byte[] buffer = new byte[64 * 1024];
            long total = 0;
            int n;
            while ((n = await accepted.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false)) > 0)
            {
                sha.AppendData(buffer, 0, n);
                total += n;
            }

            return total == bytes ? sha.GetHashAndReset() : [];
        }, cancellationToken);

        using Socket client = _namespace.CreateSocket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        client.Bind(new IPEndPoint(source, 0));
        await client.ConnectAsync(new IPEndPoint(target, port), cancellationToken).ConfigureAwait(false);
        using var sent = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
#pragma warning disable CA5394 // test data, not a secret: a fast seeded generator
        var random = new Random(port);
#pragma warning restore CA5394
        byte[] chunk = new byte[64 * 1024];
        for (long left = bytes; left > 0;)
        {
            int size = (int)Math.Min(chunk.Length, left);
#pragma warning disable CA5394
            random.NextBytes(chunk.AsSpan(0, size));
#pragma warning restore CA5394
            sent.AppendData(chunk, 0, size);
            int offset = 0;
            while (offset < size)
            {
                offset += await client.SendAsync(chunk.AsMemory(offset, size - offset), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }

            left -= size;
        }

        client.Shutdown(SocketShutdown.Send);
        byte[] received = await receive.ConfigureAwait(false);
        return received.AsSpan().SequenceEqual(sent.GetHashAndReset());
    }
}
