using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Overlay.Netlink;

namespace Overlay.Lab;

/// <summary>
/// A host outside the overlay on the lab's first segment (namespace <c>PREFIX-out</c>, 198.18.1.253
/// and 2001:db8:18:1::fd): no agent, no route to the overlay, so a pod's packet reaches it only as
/// the underlay lets it, and a reply reaches the pod only when the node masqueraded the packet. It
/// records the source address of every ICMP echo request it receives (raw ICMP sockets), which is
/// what <c>--ip-masq</c> is about: with masquerading a pod is seen with its node's address.
/// </summary>
public sealed class LabOutsideHost : IAsyncDisposable
{
    private readonly NetworkNamespace _namespace;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<IPAddress> _seen = new();
    private readonly SemaphoreSlim _arrived = new(0);
    private readonly List<Socket> _sockets = [];
    private readonly List<Task> _loops = [];

    internal LabOutsideHost(NetworkNamespace ns, string name, IPAddress address, IPAddress? addressV6)
    {
        _namespace = ns;
        Namespace = name;
        Address = address;
        AddressV6 = addressV6;
    }

    /// <summary>The namespace's name.</summary>
    public string Namespace { get; }

    /// <summary>The IPv4 address (198.18.1.253).</summary>
    public IPAddress Address { get; }

    /// <summary>The IPv6 address, when the lab has IPv6.</summary>
    public IPAddress? AddressV6 { get; }

    /// <summary>Source addresses of the echo requests received so far, in arrival order.</summary>
    public IReadOnlyList<IPAddress> SeenSources => [.. _seen];

    /// <summary>Waits until an echo request from a source matching <paramref name="match"/> has arrived (or has already).</summary>
    /// <param name="match">Which sources count; null for any.</param>
    /// <param name="cancellationToken">Ends the wait.</param>
    /// <returns>The source seen.</returns>
    public async Task<IPAddress> WaitForEchoAsync(Func<IPAddress, bool>? match = null, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            foreach (IPAddress source in _seen)
            {
                if (match is null || match(source))
                {
                    return source;
                }
            }

            await _arrived.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Forgets the sources seen so far.</summary>
    public void Clear() => _seen.Clear();

    internal void StartListening()
    {
        _sockets.Add(_namespace.CreateSocket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Icmp));
        if (AddressV6 is not null)
        {
            _sockets.Add(_namespace.CreateSocket(AddressFamily.InterNetworkV6, SocketType.Raw, ProtocolType.IcmpV6));
        }

        foreach (Socket socket in _sockets)
        {
            socket.Bind(new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0));
            _loops.Add(ReceiveLoopAsync(socket, _stop.Token));
        }
    }

    private async Task ReceiveLoopAsync(Socket socket, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[2048];
        bool v6 = socket.AddressFamily == AddressFamily.InterNetworkV6;
        EndPoint any = v6 ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);
        try
        {
            while (true)
            {
                SocketReceiveFromResult r = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, cancellationToken).ConfigureAwait(false);
                // IPv4 raw sockets deliver the IP header; ICMPv6 raw sockets deliver the ICMPv6 message only.
                int icmp = v6 ? 0 : (buffer[0] & 0x0f) * 4;
                byte echoRequest = v6 ? (byte)128 : (byte)8;
                if (r.ReceivedBytes > icmp && buffer[icmp] == echoRequest && r.RemoteEndPoint is IPEndPoint from)
                {
                    _seen.Enqueue(from.Address);
                    _arrived.Release();
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    /// <summary>Stops listening (the lab deletes the namespace).</summary>
    /// <returns>A task.</returns>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (Socket socket in _sockets)
        {
            socket.Dispose();
        }

        await Task.WhenAll(_loops).ConfigureAwait(false);
        _stop.Dispose();
        _arrived.Dispose();
    }
}
