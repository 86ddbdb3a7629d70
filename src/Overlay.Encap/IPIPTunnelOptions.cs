using System.Net;

namespace Overlay.Encap;

/// <summary>Settings of an <see cref="IPIPTunnel"/>: the shared <see cref="TunnelOptions"/> plus the raw socket's local address.</summary>
public sealed class IPIPTunnelOptions : TunnelOptions
{
    /// <summary>
    /// The underlay address: the outer source of every packet sent, and the only destination the raw protocol-4
    /// socket receives for (flannel: the interface address, the <c>local</c> of its ipip device). Required, IPv4.
    /// </summary>
    public IPAddress? LocalAddress { get; set; }

    internal override void Validate()
    {
        ArgumentNullException.ThrowIfNull(LocalAddress);
        if (LocalAddress.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || LocalAddress.Equals(IPAddress.Any))
        {
            throw new ArgumentException("LocalAddress must be a unicast IPv4 address.", nameof(LocalAddress));
        }

        base.Validate();
    }
}
