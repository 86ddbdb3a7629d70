using System.Net;
using Microsoft.Extensions.Logging;
using Overlay.Encap.Internal;

namespace Overlay.Encap;

/// <summary>
/// The user-space data path of flannel's <c>udp</c> backend, done fast: the <see cref="Tunnel"/> engine over a UDP
/// socket, one raw inner IPv4 packet per datagram (flannel's wire format), with UDP GSO and GRO where the kernel has them.
/// </summary>
/// <remarks>
/// The UDP socket is created by the constructor in the network namespace of the <em>calling thread</em>, like the TUN
/// device; construct both on a thread that has entered the target namespace.
/// </remarks>
public sealed class UdpTunnel : Tunnel
{
    /// <summary>Creates a tunnel over one TUN queue and binds its UDP socket (in the calling thread's namespace).</summary>
    /// <param name="tun">The TUN device; the caller keeps ownership.</param>
    /// <param name="options">The settings.</param>
    /// <param name="loggerFactory">Logging; null logs nothing.</param>
    public UdpTunnel(TunDevice tun, UdpTunnelOptions options, ILoggerFactory? loggerFactory = null)
        : this([tun], options, loggerFactory)
    {
    }

    /// <summary>Creates a tunnel with one TUN→UDP worker per TUN queue and binds its UDP socket (in the calling thread's namespace).</summary>
    /// <param name="queues">The queues of one TUN device (see <see cref="TunDevice.AttachQueue"/>); the caller keeps ownership.</param>
    /// <param name="options">The settings.</param>
    /// <param name="loggerFactory">Logging; null logs nothing.</param>
    /// <exception cref="EncapException">The socket could not be created or bound.</exception>
    public UdpTunnel(IReadOnlyList<TunDevice> queues, UdpTunnelOptions options, ILoggerFactory? loggerFactory = null)
        : base(queues, options, () => UdpTransport.Create(options), loggerFactory, "Overlay.Encap.UdpTunnel")
    {
        var transport = (UdpTransport)Transport;
        LocalEndpoint = transport.LocalEndpoint;
        UsesUdpReceiveOffload = transport.GroEnabled;
        if (transport.SegmentationUnavailableReason is { } gso)
        {
            Log.OffloadUnavailable(Logger, "UDP GSO (UDP_SEGMENT)", gso, "sendmmsg");
        }

        if (transport.ReceiveOffloadUnavailableReason is { } gro)
        {
            Log.OffloadUnavailable(Logger, "UDP GRO (UDP_GRO)", gro, "recvmmsg of single datagrams");
        }
    }

    /// <summary>The address and port the UDP socket is bound to (the port is resolved if 0 was requested).</summary>
    public IPEndPoint LocalEndpoint { get; }

    /// <summary>Whether TCP segments are currently sent with UDP GSO.</summary>
    public bool UsesUdpSegmentationOffload => UsesSegmentationOffload;

    /// <summary>Whether the socket receives with UDP GRO.</summary>
    public bool UsesUdpReceiveOffload { get; }
}
