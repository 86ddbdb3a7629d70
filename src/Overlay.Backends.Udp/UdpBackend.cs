using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Overlay.Backends.Udp.Internal;
using Overlay.Encap;
using Overlay.Netlink;
using Overlay.Subnets;

namespace Overlay.Backends.Udp;

/// <summary>
/// flannel's udp backend on Overlay.Encap's user-space data path: a TUN device
/// (<c>flannel%d</c>) with the subnet's network address as /32, MTU = underlay MTU − 28, a route for the whole
/// overlay network through it, and a UDP socket on the interface address and port 8285 carrying one raw inner IPv4
/// packet per datagram — flannel's wire format, so Overlay and flanneld udp nodes exchange traffic. Peers come from
/// leases (type <c>udp</c>, or empty as flanneld publishes it) and are entries of the engine's peer table, updated
/// while packets flow. Unlike flanneld: a sender check (on by default), no TTL decrements, no truncation, offloads,
/// one worker per TUN queue, and everything is removed on disposal.
/// </summary>
public sealed class UdpBackend : IOverlayBackend
{
    /// <summary>The IPv4 + UDP header overhead subtracted from the underlay MTU.</summary>
    public const int Overhead = 28;

    private readonly UdpBackendOptions _options;

    /// <summary>Creates the backend with default options.</summary>
    public UdpBackend()
        : this(new UdpBackendOptions())
    {
    }

    /// <summary>Creates the backend.</summary>
    /// <param name="options">Host-side settings (device name, queues, offloads, meter).</param>
    public UdpBackend(UdpBackendOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <inheritdoc />
    public string Type => UdpBackendConfig.TypeName;

    /// <summary>The host-side options this backend registers networks with (for tests).</summary>
    internal UdpBackendOptions Options => _options;

    /// <inheritdoc />
    /// <remarks>
    /// Order as flannel: parse the configuration, acquire the lease (<c>BackendType</c> <c>udp</c>, public address
    /// = the external interface's public address), then create the TUN device and the UDP socket inside the
    /// registration's network namespace (on a dedicated thread), configure address, MTU, link and route, and start
    /// the engine. If a step fails, everything created so far is removed and the error is thrown.
    /// </remarks>
    /// <exception cref="NetworkRegistrationException">IPv6 is enabled, IPv4 is not, the interface has no IPv4 address or too small an MTU (permanent).</exception>
    public async ValueTask<IOverlayNetwork> RegisterNetworkAsync(NetworkRegistration registration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registration);
        registration.Validate();
        _options.Validate();
        UdpBackendConfig config = UdpBackendConfig.Parse(registration.Config.Backend);
        NetworkConfig network = registration.Config;
        ExternalInterface external = registration.ExternalInterface;
        if (!network.EnableIPv4 || network.Network is not { } overlay)
        {
            throw NetworkRegistrationException.Permanent(Type, "The udp backend carries IPv4 only: enable IPv4 and set Network.");
        }

        if (network.EnableIPv6)
        {
            throw NetworkRegistrationException.Permanent(Type, "The udp backend carries IPv4 only (flannel's wire format is one IPv4 packet per datagram); disable IPv6 or use vxlan or host-gw.");
        }

        if (external.Address is not { AddressFamily: AddressFamily.InterNetwork } interfaceAddress)
        {
            throw NetworkRegistrationException.Permanent(Type, $"The udp backend binds its socket to the interface's IPv4 address, and {external.Name} has none.");
        }

        int mtu = external.Mtu - Overhead;
        if (mtu < 68)
        {
            throw NetworkRegistrationException.Permanent(Type, $"The underlay MTU {external.Mtu} of {external.Name} leaves {mtu} bytes for IPv4 inside the tunnel; at least 68 are needed.");
        }

        Lease lease = await registration.Registry.AcquireLeaseAsync(registration.CreateLeaseRequest(registration.CreateLeaseAttributes(Type)), cancellationToken).ConfigureAwait(false);
        if (lease.Subnet is not { } subnet)
        {
            throw NetworkRegistrationException.Permanent(Type, $"The lease {lease.Key} has no IPv4 subnet.");
        }

        ILogger logger = registration.LoggerFactory.CreateLogger<UdpBackend>();
        var settings = new UdpNetworkSettings(
            Subnet: subnet,
            Overlay: new IPNetwork(Mask(subnet.BaseAddress, overlay.PrefixLength), overlay.PrefixLength),
            Mtu: mtu,
            LocalEndpoint: new IPEndPoint(interfaceAddress, config.Port),
            Port: config.Port,
            CheckSenderAddress: config.CheckSenderAddress);
        return await UdpNetwork.CreateAsync(registration, lease, settings, _options, logger, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>flannel masks the own subnet IP to the network's prefix length for the route.</summary>
    private static IPAddress Mask(IPAddress address, int prefixLength)
    {
        uint value = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(address.GetAddressBytes());
        uint mask = prefixLength == 0 ? 0 : uint.MaxValue << (32 - prefixLength);
        byte[] bytes = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes, value & mask);
        return new IPAddress(bytes);
    }
}
