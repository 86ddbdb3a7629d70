namespace Overlay.Netlink.Internal;

/// <summary>A netlink datagram socket (real or fake).</summary>
internal interface INetlinkTransport : IDisposable
{
    /// <summary>The port id the kernel assigned (nl_pid).</summary>
    uint PortId { get; }

    /// <summary>The effective receive buffer size in bytes.</summary>
    int ReceiveBufferSize { get; }

    /// <summary>The effective send buffer size in bytes.</summary>
    int SendBufferSize { get; }

    /// <summary>Sends one datagram (any number of messages) to the kernel.</summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken);

    /// <summary>Receives one datagram; returns its length.</summary>
    ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken);
}
