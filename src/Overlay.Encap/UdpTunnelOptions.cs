using System.Net;

namespace Overlay.Encap;

/// <summary>Settings of a <see cref="UdpTunnel"/>: the shared <see cref="TunnelOptions"/> plus the UDP socket's.</summary>
public sealed class UdpTunnelOptions : TunnelOptions
{
    /// <summary>Where the UDP socket is bound (flannel: the interface address and port 8285).</summary>
    public IPEndPoint LocalEndpoint { get; set; } = new(IPAddress.Any, 8285);

    /// <summary>Send TCP segments with UDP GSO (<c>UDP_SEGMENT</c>) when the kernel supports it (default true).</summary>
    public bool UdpSegmentationOffload { get; set; } = true;

    /// <summary>Receive with UDP GRO (<c>UDP_GRO</c>) when the kernel supports it (default true).</summary>
    public bool UdpReceiveOffload { get; set; } = true;

    internal override void Validate()
    {
        ArgumentNullException.ThrowIfNull(LocalEndpoint);
        if (LocalEndpoint.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            throw new ArgumentException("LocalEndpoint must be IPv4.", nameof(LocalEndpoint));
        }

        base.Validate();
    }
}
