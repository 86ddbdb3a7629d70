using System.Net;
using Microsoft.Extensions.Logging;
using Overlay.Encap.Internal;

namespace Overlay.Encap;

/// <summary>
/// IP-in-IP in user space: the <see cref="Tunnel"/> engine over a raw IPv4 socket of protocol 4, sending exactly what
/// the kernel's ipip device with flannel's settings sends (outer IPv4 from <see cref="IPIPTunnelOptions.LocalAddress"/>
/// to the peer, protocol 4, the inner packet unchanged; outer TTL and DF inherited from the inner packet, ECN per
/// RFC 6040), so it interoperates with kernel ipip peers (flanneld's ipip backend). For kernels without ipip.
/// </summary>
/// <remarks>
/// <para>
/// The raw socket is created by the constructor in the network namespace of the <em>calling thread</em> (it needs
/// CAP_NET_RAW), like the TUN device; construct both on a thread that has entered the target namespace. Peers are set
/// in <see cref="Tunnel.Peers"/> with port 0 (the port is ignored).
/// </para>
/// <para>
/// If the kernel does have ipip, its fallback device <c>tunl0</c>, when up, also decapsulates every protocol-4 packet
/// addressed to the host; the raw socket receives its own copy regardless. Callers should not run both.
/// </para>
/// </remarks>
public sealed class IPIPTunnel : Tunnel
{
    /// <summary>Creates a tunnel over one TUN queue and opens its raw socket (in the calling thread's namespace).</summary>
    /// <param name="tun">The TUN device; the caller keeps ownership.</param>
    /// <param name="options">The settings.</param>
    /// <param name="loggerFactory">Logging; null logs nothing.</param>
    public IPIPTunnel(TunDevice tun, IPIPTunnelOptions options, ILoggerFactory? loggerFactory = null)
        : this([tun], options, loggerFactory)
    {
    }

    /// <summary>Creates a tunnel with one TUN→network worker per TUN queue and opens its raw socket (in the calling thread's namespace).</summary>
    /// <param name="queues">The queues of one TUN device (see <see cref="TunDevice.AttachQueue"/>); the caller keeps ownership.</param>
    /// <param name="options">The settings.</param>
    /// <param name="loggerFactory">Logging; null logs nothing.</param>
    /// <exception cref="EncapException">The raw socket could not be created (e.g. EPERM without CAP_NET_RAW) or bound.</exception>
    public IPIPTunnel(IReadOnlyList<TunDevice> queues, IPIPTunnelOptions options, ILoggerFactory? loggerFactory = null)
        : base(queues, options, () => RawIPTransport.Create(options), loggerFactory, "Overlay.Encap.IPIPTunnel")
    {
        LocalAddress = ((RawIPTransport)Transport).LocalAddress;
    }

    /// <summary>The underlay address packets are sent from and received on.</summary>
    public IPAddress LocalAddress { get; }
}
